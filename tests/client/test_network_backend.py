"""The default client's socket I/O: asyncio's own transports under asyncio, httpcore's elsewhere.

The SDK's default transport reads and writes through `connectsafely._http._net` under
asyncio (and through httpcore's own backend under Trio). These tests hold it to what
httpcore's backend does, over real sockets: calls work (plain and TLS), an idle
connection the server closed is replaced without a failed attempt, a big body is read
with bounded buffering, a server that reads slowly is waited for (and a write timeout
is typed), a server that never reads or answers ends in `APITimeoutError`, and the
options httpcore passes (socket options, a local address, a Unix socket) are applied.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import httpcore
import httpx
import pytest

import connectsafely
from connectsafely import APIConnectionError, APITimeoutError
from connectsafely._http import _net
from connectsafely.testing import FakeConnectSafely, LoopbackServer

pytestmark = pytest.mark.anyio

EXISTS = b'{"success":true,"hasConversation":false}'
MB = 1024 * 1024

Handler = Callable[[anyio.abc.SocketStream], Awaitable[None]]


def _streams(client: connectsafely.AsyncClient) -> list[Any]:
    """The network streams under the client's open connections (white box)."""
    http = client._core.pool.acquire()
    pool = http._transport._pool  # type: ignore[attr-defined]
    return [connection._connection._network_stream for connection in pool.connections]


def _chain(error: BaseException | None) -> list[BaseException]:
    """``error`` and every exception it was raised from or during."""
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _native(stream: Any) -> bool:
    return isinstance(stream, _net._Stream)


async def _read_request(stream: anyio.abc.SocketStream, buffered: bytes = b"") -> bytes:
    """Read one request (head and Content-Length body); return its head."""
    data = buffered
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += await stream.receive()
    return head


def _answer(body: bytes, *, close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """An HTTP server on 127.0.0.1 whose every connection ``handler`` serves by hand."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handler)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            tg.cancel_scope.cancel()


@contextmanager
def blocking_server(handler: Callable[[socket.socket], None]) -> Iterator[str]:
    """A server whose one connection ``handler`` serves from a thread, reading only
    when it calls ``recv``: an event-loop server would read (and buffer) eagerly, and
    the client's writes would never have to wait."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # accepted: inherit
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            handler(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()
        thread.join(10)


def _client(base_url: str, **options: Any) -> connectsafely.AsyncClient:
    options.setdefault("max_retries", 0)
    options.setdefault("api_key", "csk_test_net")
    return connectsafely.AsyncClient(base_url=base_url, **options)


@pytest.fixture
def served(fake: FakeConnectSafely) -> Any:
    with LoopbackServer(fake) as server:
        yield server


async def test_calls_use_asyncio_streams_under_asyncio_and_httpcores_under_trio(
    anyio_backend: str, fake: FakeConnectSafely, served: LoopbackServer
) -> None:
    async with _client(served.base_url, api_key=fake.api_key) as client:
        exists = await client.conversations.exists("jane-doe")
        assert exists.has_conversation is False
        [stream] = _streams(client)
        assert _native(stream) is (anyio_backend == "asyncio")
        sock = stream.get_extra_info("socket")
        # Nagle's algorithm off, as httpcore's backends leave it: a request written in
        # two parts would otherwise wait for the server's delayed ACK (~40 ms).
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert stream.get_extra_info("server_addr")[1] == served.port
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("ssl_object") is None


async def test_a_transport_the_caller_gives_is_left_as_it_is(
    anyio_backend: str, fake: FakeConnectSafely, served: LoopbackServer
) -> None:
    transport = httpx.AsyncHTTPTransport()
    async with _client(served.base_url, api_key=fake.api_key, transport=transport) as client:
        await client.conversations.exists("jane-doe")
        [stream] = _streams(client)
        assert not _native(stream)


async def test_an_idle_connection_the_server_closed_is_replaced_without_a_failed_attempt(
    anyio_backend: str,
) -> None:
    connections = 0
    requests = 0
    release, closed = anyio.Event(), anyio.Event()

    async def handler(stream: anyio.abc.SocketStream) -> None:
        nonlocal connections, requests
        connections += 1
        async with stream:
            await _read_request(stream)
            requests += 1
            await stream.send(_answer(EXISTS))
            await release.wait()
        closed.set()  # the server closes the idle keep-alive connection

    async with raw_server(handler) as url, _client(url) as client:
        await client.conversations.exists("a")
        [stream] = _streams(client)
        release.set()
        await closed.wait()
        with anyio.fail_after(5):
            # No event says the FIN arrived: the stream's state is polled for it.
            while not stream.get_extra_info("is_readable"):  # noqa: ASYNC110
                await anyio.sleep(0.005)
        await client.conversations.exists("b")  # max_retries=0: a failed attempt raises
        release = anyio.Event()  # the second connection stays open until the end
    assert (connections, requests) == (2, 2)


async def test_a_big_body_read_slowly_is_whole_and_buffered_to_a_bound(
    anyio_backend: str, fake: FakeConnectSafely, served: LoopbackServer
) -> None:
    data = bytes(range(256)) * (12 * MB // 256)
    account = fake.add_account()
    url = fake.add_media(data, account_id=account.account_id)
    held: list[int] = []
    async with (
        _client(served.base_url, api_key=fake.api_key) as client,
        client.conversations.download_media(url, account_id=account.account_id) as media,
    ):
        chunks = []
        async for chunk in media.aiter_bytes():
            chunks.append(chunk)
            await anyio.sleep(0.001)  # a consumer slower than loopback
            held.extend(s._protocol.held for s in _streams(client) if _native(s))
    assert b"".join(chunks) == data
    if anyio_backend == "asyncio":
        # Reading pauses past the high-water mark: at most one socket read more is held.
        assert held and max(held) <= _net._HIGH_WATER + 256 * 1024


async def test_an_upload_to_a_slow_reader_waits_for_it_and_arrives_whole(
    anyio_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffered: list[int] = []
    write = _net._Stream.write

    async def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        await write(self, *args, **kwargs)
        buffered.append(self._transport.get_write_buffer_size())

    monkeypatch.setattr(_net._Stream, "write", recording)
    data = bytes(range(251)) * (24 * MB // 251)  # more than loopback's socket buffers
    file = tmp_path / "big.bin"
    file.write_bytes(data)
    received = bytearray()

    def handler(connection: socket.socket) -> None:
        time.sleep(0.3)  # reads nothing for a while: the client's writes must wait
        head = b""
        while b"\r\n\r\n" not in head:
            head += connection.recv(65536)
        head, _, body = head.partition(b"\r\n\r\n")
        received.extend(body)
        while len(received) < len(data):
            received.extend(connection.recv(65536))
        answer = {"success": True, "attachment": {"assetUrn": "urn:li:asset:1"}}
        connection.sendall(_answer(json.dumps(answer).encode(), close=True))

    with blocking_server(handler) as url:
        async with _client(url, account_id="acc") as client:
            with anyio.fail_after(30):
                attachment = await client.attachments.upload(file)
    assert attachment.asset_urn == "urn:li:asset:1"
    assert bytes(received) == data
    if anyio_backend == "asyncio":
        # A write returns once the transport takes more: the file is never all in memory.
        assert buffered and max(buffered) <= 2 * MB


async def test_a_server_that_never_reads_is_a_write_timeout(
    anyio_backend: str, tmp_path: Path
) -> None:
    file = tmp_path / "big.bin"
    file.write_bytes(b"\0" * (48 * MB))
    stop = threading.Event()

    def handler(connection: socket.socket) -> None:
        stop.wait(10)  # reads nothing

    timeout = httpx.Timeout(5.0, write=0.2)
    with blocking_server(handler) as url:
        try:
            async with _client(url, account_id="acc", timeout=timeout) as client:
                with anyio.fail_after(10), pytest.raises(APITimeoutError) as caught:
                    await client.attachments.upload(file)
        finally:
            stop.set()
    assert isinstance(caught.value.__cause__, httpx.WriteTimeout)


async def test_a_server_that_never_answers_is_a_read_timeout(anyio_backend: str) -> None:
    stop = anyio.Event()

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await _read_request(stream)
            await stop.wait()

    timeout = httpx.Timeout(5.0, read=0.2)
    async with raw_server(handler) as url, _client(url, timeout=timeout) as client:
        with anyio.fail_after(10), pytest.raises(APITimeoutError) as caught:
            await client.conversations.exists("a")
        stop.set()
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
        assert _streams(client) == []  # the timed-out connection is not kept


async def test_a_refused_connection_is_a_connection_error(anyio_backend: str) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with _client(f"http://127.0.0.1:{port}") as client:
        with anyio.fail_after(10), pytest.raises(APIConnectionError) as caught:
            await client.conversations.exists("a")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_a_server_that_cuts_the_answer_short_is_a_connection_error(
    anyio_backend: str,
) -> None:
    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await _read_request(stream)
            await stream.send(_answer(EXISTS)[:-10])  # then closes mid-body

    async with raw_server(handler) as url, _client(url) as client:
        with anyio.fail_after(10), pytest.raises(APIConnectionError):
            await client.conversations.exists("a")


# -- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (made with openssl)."""
    if shutil.which("openssl") is None:  # pragma: no cover - the CI image has it
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@asynccontextmanager
async def tls_server(certificate: tuple[Path, Path], handler: Handler) -> AsyncIterator[str]:
    """`raw_server`, speaking TLS with ``certificate``."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def wrapped(stream: anyio.abc.SocketStream) -> None:
        from anyio.streams.tls import TLSStream

        async with stream:
            try:
                tls = await TLSStream.wrap(stream, server_side=True, ssl_context=context)
            except (ssl.SSLError, anyio.BrokenResourceError, anyio.EndOfStream):
                return  # the client refused the certificate
            await handler(tls)  # type: ignore[arg-type]

    async with raw_server(wrapped) as url:
        yield url.replace("http://", "https://")


async def test_tls_calls_work_and_reuse_their_connection(
    anyio_backend: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    connections = 0

    async def handler(stream: anyio.abc.SocketStream) -> None:
        nonlocal connections
        connections += 1
        async with stream:
            for _ in range(2):
                await _read_request(stream)
                await stream.send(_answer(EXISTS))
            await anyio.sleep_forever()  # keeps the connection open

    async with tls_server(certificate, handler) as url, _client(url) as client:
        for name in ("a", "b"):
            assert (await client.conversations.exists(name)).has_conversation is False
        [stream] = _streams(client)
        assert _native(stream) is (anyio_backend == "asyncio")
        assert stream.get_extra_info("ssl_object").version().startswith("TLS")
    assert connections == 1


async def test_an_untrusted_certificate_is_a_connection_error(
    anyio_backend: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def handler(stream: anyio.abc.SocketStream) -> None:
        await stream.aclose()

    async with tls_server(certificate, handler) as url, _client(url) as client:
        with anyio.fail_after(10), pytest.raises(APIConnectionError) as caught:
            await client.conversations.exists("a")
    assert any(isinstance(error, ssl.SSLCertVerificationError) for error in _chain(caught.value))


async def test_a_tls_handshake_that_never_ends_is_a_connect_timeout(
    anyio_backend: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    stop = anyio.Event()

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stop.wait()  # accepts TCP, never answers the ClientHello

    timeout = httpx.Timeout(5.0, connect=0.2)
    async with raw_server(handler) as url:
        async with _client(url.replace("http://", "https://"), timeout=timeout) as client:
            with anyio.fail_after(10), pytest.raises(APITimeoutError) as caught:
                await client.conversations.exists("a")
        stop.set()
    assert isinstance(caught.value.__cause__, httpx.ConnectTimeout)


# -- what httpcore may pass the backend ------------------------------------------------


async def _get(pool: httpcore.AsyncConnectionPool, url: str) -> httpcore.Response:
    async with pool:
        response = await pool.request("GET", url)
        assert response.status == 200
        return response


async def test_socket_options_and_the_local_address_are_applied(
    anyio_backend: str, served: LoopbackServer
) -> None:
    option = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    backend = _net.NetworkBackend()
    pool = httpcore.AsyncConnectionPool(
        network_backend=backend, socket_options=[option], local_address="127.0.0.1"
    )
    async with pool:
        await pool.request("GET", served.base_url + "/health")
        [connection] = pool.connections
        stream = connection._connection._network_stream  # type: ignore[attr-defined]
        assert _native(stream) is (anyio_backend == "asyncio")
        sock = stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("unknown") is None


async def test_a_unix_socket_connection_is_served(anyio_backend: str, tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    listener = await anyio.create_unix_listener(path)

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await _read_request(stream)
            await stream.send(_answer(EXISTS, close=True))

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handler)
        pool = httpcore.AsyncConnectionPool(uds=str(path), network_backend=_net.NetworkBackend())
        response = await _get(pool, "http://api/exists")
        assert response.content == EXISTS
        tg.cancel_scope.cancel()


async def test_the_backend_sleeps_on_either_loop(anyio_backend: str) -> None:
    with anyio.fail_after(5):
        await _net.NetworkBackend().sleep(0.001)


def test_importing_the_client_leaves_httpcore_to_httpx() -> None:
    # httpx loads httpcore only when it makes a transport; the backend must not load it
    # at `from connectsafely import AsyncClient` (about a tenth of a second).
    probe = (
        "import sys\n"
        "from connectsafely import AsyncClient\n"
        "before = 'httpcore' in sys.modules\n"
        "async def main():\n"
        "    async with AsyncClient(api_key='csk_probe') as client:\n"
        "        client._core.pool.acquire()  # the SDK's httpx client, made on first use\n"
        "import asyncio; asyncio.run(main())\n"
        "print(before, 'httpcore' in sys.modules, 'connectsafely._http._net' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "True"]
