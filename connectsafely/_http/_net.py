"""`NetworkBackend`: httpcore's socket I/O on asyncio's own transports, for less CPU per call.

Under asyncio, httpcore moves bytes through anyio: each read and each write enters an
anyio cancel scope with a loop timer (``fail_after``), a context-manager exception map,
and anyio's socket stream, which pauses and resumes the transport around every read.
For the SDK's small API calls that is about a fifth of a call's CPU. This backend
gives httpcore a stream on an `asyncio.Protocol` instead:

- a read returns bytes the protocol already holds, or waits on one future (with a
  ``call_later`` timer when there is a timeout);
- a write hands the bytes to the transport and waits only while the transport says
  its buffer is full (``pause_writing``);
- the protocol reads while the connection sits idle, up to a high-water mark, so a
  server that closed an idle keep-alive connection is known without a ``poll()``;
- TLS is ``loop.start_tls``, under the connect timeout.

Errors are httpcore's own (``ConnectError``, ``ReadTimeout``, ...), which httpx maps to
its exceptions exactly as it does for anyio's backend. Under any other event loop
(Trio), every connection goes to httpcore's own backend for that loop, unchanged.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import sniffio

__all__ = ["NetworkBackend", "plain_pool", "use_native_backend"]

_HIGH_WATER = 256 * 1024
"""Bytes held unread before the protocol stops reading the socket."""
_LOW_WATER = 64 * 1024
"""Reading resumes once the caller has taken the held bytes below this."""
_HAPPY_EYEBALLS_DELAY = 0.25
"""Seconds before a second address of the host is tried in parallel (RFC 8305)."""


class _Protocol(asyncio.Protocol):
    """Holds what the transport delivered until the stream reads it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.held = 0
        self.reading_paused = False
        self.eof = False
        self.error: BaseException | None = None
        self.writing_paused = False
        self._waiter: asyncio.Future[bool] | None = None
        self._drained: asyncio.Future[bool] | None = None

    # -- asyncio's callbacks -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.held += len(data)
        if self.held > _HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self._waiter)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self._waiter)
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        _wake(self._waiter)
        _wake(self._drained)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self._drained)

    # -- what the stream awaits ----------------------------------------------------------

    def take(self, max_bytes: int) -> bytes:
        """The next held bytes, at most ``max_bytes`` (there must be some)."""
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.held -= len(chunk)
        if self.reading_paused and self.held < _LOW_WATER and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()
        return chunk

    async def readable(self, timeout: float | None) -> bool:
        """Wait until bytes or the end arrive; False when ``timeout`` ran out first."""
        self._waiter = waiter = asyncio.get_running_loop().create_future()
        try:
            return await _within(waiter, timeout)
        finally:
            self._waiter = None

    async def drained(self, timeout: float | None) -> bool:
        """Wait until the transport takes writes again; False on ``timeout``."""
        self._drained = drained = asyncio.get_running_loop().create_future()
        try:
            return await _within(drained, timeout)
        finally:
            self._drained = None


def _wake(waiter: asyncio.Future[bool] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(True)


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


async def _within(waiter: asyncio.Future[bool], timeout: float | None) -> bool:
    """``await waiter``, which is set False by a timer after ``timeout`` seconds."""
    if timeout is None:
        return await waiter
    timer = asyncio.get_running_loop().call_later(timeout, _expire, waiter)
    try:
        return await waiter
    finally:
        timer.cancel()


class _Stream(httpcore.AsyncNetworkStream):
    """One connection's bytes, for httpcore, over an asyncio transport and `_Protocol`."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks:
            if not protocol.eof and not await protocol.readable(timeout):
                raise httpcore.ReadTimeout("Timed out reading from the server.")
            if not protocol.chunks:
                if protocol.error is not None:
                    raise httpcore.ReadError(str(protocol.error) or repr(protocol.error))
                return b""  # the end of the stream, as anyio's backend reports it
        return protocol.take(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if self._transport.is_closing():
            raise httpcore.WriteError(_closed_reason(protocol))
        self._transport.write(buffer)
        while protocol.writing_paused:
            if not await protocol.drained(timeout):
                raise httpcore.WriteTimeout("Timed out writing to the server.")
            if protocol.error is not None or self._transport.is_closing():
                raise httpcore.WriteError(_closed_reason(protocol))

    async def aclose(self) -> None:
        transport = self._transport
        if not transport.is_closing():
            transport.close()
        # The socket closes on the loop's next turn: take that turn, so it is closed
        # when this returns (as with anyio's backend), unless the task is cancelled.
        try:
            await asyncio.sleep(0)
        finally:
            transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = self._protocol
        try:
            transport = await _connect_step(
                loop.start_tls(
                    self._transport, protocol, ssl_context, server_hostname=server_hostname
                ),
                timeout,
            )
        except BaseException:
            self._transport.abort()
            raise
        if transport is None:  # pragma: no cover - start_tls returns None only when closed
            raise httpcore.ConnectError("The connection closed during the TLS handshake.")
        protocol.transport = transport
        return _Stream(transport, protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "is_readable":  # first: the pool asks it of every idle connection
            # Held bytes or the end: the protocol reads an idle connection (to the
            # high-water mark), so whatever the server sent has already arrived here.
            protocol = self._protocol
            return bool(protocol.chunks) or protocol.eof or transport.is_closing()
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        return None


def _closed_reason(protocol: _Protocol) -> str:
    error = protocol.error
    return f"The connection is closed ({error})." if error else "The connection is closed."


async def _connect_step(step: Any, timeout: float | None) -> Any:
    """Await a connect step (TCP connect, TLS handshake) as httpcore's errors."""
    try:
        return await asyncio.wait_for(step, timeout)
    except (asyncio.TimeoutError, TimeoutError) as exc:
        raise httpcore.ConnectTimeout("Timed out connecting to the server.") from exc
    except (OSError, ssl.SSLError) as exc:
        raise httpcore.ConnectError(str(exc) or repr(exc)) from exc


def _set_options(transport: asyncio.Transport, options: Iterable[Any] | None) -> None:
    if options:
        sock: socket.socket = transport.get_extra_info("socket")
        for option in options:
            sock.setsockopt(*option)


class NetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend: native streams under asyncio, httpcore's own elsewhere.

    The event loop is looked at for each new connection, so one client serves any
    loop it is used from; connections already open keep the streams they were made with.
    """

    def __init__(self) -> None:
        self._other: dict[str, httpcore.AsyncNetworkBackend] = {}

    def _fallback(self, library: str) -> httpcore.AsyncNetworkBackend:
        backend = self._other.get(library)
        if backend is None:
            backend = httpcore.TrioBackend() if library == "trio" else httpcore.AnyIOBackend()
            self._other[library] = backend
        return backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        library = sniffio.current_async_library()
        if library != "asyncio":
            return await self._fallback(library).connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        transport, _ = await _connect_step(
            loop.create_connection(
                lambda: protocol,
                host,
                port,
                local_addr=None if local_address is None else (local_address, 0),
                happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY,
            ),
            timeout,
        )
        return _opened(transport, protocol, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        library = sniffio.current_async_library()
        if library != "asyncio":
            return await self._fallback(library).connect_unix_socket(path, timeout, socket_options)
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        transport, _ = await _connect_step(
            loop.create_unix_connection(lambda: protocol, path), timeout
        )
        return _opened(transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        library = sniffio.current_async_library()
        if library != "asyncio":
            await self._fallback(library).sleep(seconds)
        else:
            await asyncio.sleep(seconds)


def _opened(
    transport: asyncio.BaseTransport, protocol: _Protocol, options: Iterable[Any] | None
) -> _Stream:
    assert isinstance(transport, asyncio.Transport)
    try:
        _set_options(transport, options)
    except OSError as exc:
        transport.abort()
        raise httpcore.ConnectError(str(exc)) from exc
    return _Stream(transport, protocol)


def plain_pool(transport: httpx.AsyncBaseTransport) -> httpcore.AsyncConnectionPool | None:
    """httpcore's plain connection pool under httpx's default transport, else None.

    None for any other transport, and for a pool that is not httpcore's own class (a
    proxy's, or one someone chose): the SDK tunes only the pool it made.
    """
    if transport.__class__ is not httpx.AsyncHTTPTransport:
        return None
    pool = getattr(transport, "_pool", None)
    if pool.__class__ is not httpcore.AsyncConnectionPool:
        return None
    return pool


def use_native_backend(pool: httpcore.AsyncConnectionPool) -> bool:
    """Put a `NetworkBackend` under the SDK's own pool (see `plain_pool`).

    Only a pool with httpcore's default backend is changed (not a backend someone
    chose). Returns whether it was changed.
    """
    previous = getattr(pool, "_network_backend", None)
    if previous is None or previous.__class__.__name__ != "AutoBackend":
        return False
    pool._network_backend = NetworkBackend()
    return True
