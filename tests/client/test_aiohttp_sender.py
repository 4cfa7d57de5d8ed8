"""`AioHttpClient`'s direct route: the SDK's usual call goes to aiohttp without httpx's client.

What is sent (headers in order, URL, body) and what the caller gets back (results, typed
errors with their `httpx.Request`/`httpx.Response`, cookies, httpx's log line) must be
what httpx's route through the same client gives; whatever httpx would treat
differently (auth, event hooks, streamed bodies, ...) must still go through httpx.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest

import connectsafely
from connectsafely.testing import FakeConnectSafely, LoopbackServer

pytest.importorskip("aiohttp")
pytest.importorskip("httpx_aiohttp")

pytestmark = pytest.mark.anyio

ACCOUNT = "696ce9e780e0483585e4e553"  # the fake's default account
SEND_PATH = "/linkedin/conversations/send"


@pytest.fixture
def served(fake: FakeConnectSafely, loopback: tuple[LoopbackServer, Any]) -> LoopbackServer:
    server, app = loopback
    app.target = fake
    return server


@pytest.fixture
def conversation_urn(fake: FakeConnectSafely) -> str:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 12)
    return conversation.urn


@pytest.fixture
def asyncio_only(anyio_backend: str) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only (the Trio refusal is tested below)")


@pytest.fixture
def httpx_route(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every request that went through httpx's client (``AioHttpClient.send``)."""
    seen: list[str] = []
    original = connectsafely.AioHttpClient.send

    async def send(self: Any, request: httpx.Request, **options: Any) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return await original(self, request, **options)

    monkeypatch.setattr(connectsafely.AioHttpClient, "send", send)
    return seen


def _client(
    server: LoopbackServer, http_client: connectsafely.AioHttpClient | None = None, **options: Any
) -> connectsafely.AsyncClient:
    return connectsafely.AsyncClient(
        api_key=FakeConnectSafely().api_key,
        base_url=server.base_url,
        http_client=http_client or connectsafely.AioHttpClient(),
        **options,
    )


async def _noop_hook(_: object) -> None:
    return None


class _Signed(httpx.Auth):
    """An auth flow that only adds a header (the API key stays in Authorization)."""

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["X-Signed"] = "yes"
        yield request


def _sent(request: Any) -> tuple[Any, ...]:
    """What a recorded request looked like on the wire, but for its fresh key."""
    headers = tuple((k, "<key>" if k == "idempotency-key" else v) for k, v in request.raw_headers)
    return request.method, request.raw_path, request.query, headers, request.body


async def _calls(client: connectsafely.AsyncClient, urn: str) -> None:
    """A POST with a JSON body, a GET with a query, a PATCH without a body."""
    await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    [_ async for _ in client.conversations.messages(urn, page_size=5)]
    await client.conversations.star(urn)


# -- what is sent ------------------------------------------------------------------------


async def test_direct_calls_send_what_httpxs_route_sends(
    asyncio_only: None,
    served: LoopbackServer,
    fake: FakeConnectSafely,
    conversation_urn: str,
    httpx_route: list[str],
) -> None:
    http = connectsafely.AioHttpClient(headers={"X-Team": "growth"})
    async with _client(served, http) as client:
        await _calls(client, conversation_urn)
        assert httpx_route == []  # all three went directly
        direct = [_sent(r) for r in fake.requests]
        fake.requests.clear()
        http.event_hooks = {"request": [_noop_hook], "response": []}  # now httpx's route
        await _calls(client, conversation_urn)
    assert len(httpx_route) == len(direct) >= 3  # a send, pages, a PATCH
    assert [_sent(r) for r in fake.requests] == direct
    method, _, _, headers, body = direct[0]
    assert (method, json.loads(body)["message"]) == ("POST", "Hi!")
    assert {"x-team", "authorization", "idempotency-key", "content-length"} <= dict(headers).keys()
    assert any(query.get("cursor") for _, _, query, _, _ in direct)  # a GET with a query
    assert direct[-1][0] == "PATCH"


async def test_a_change_to_the_clients_headers_is_sent(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    http = connectsafely.AioHttpClient(headers={"X-Team": "growth"})
    async with _client(served, http) as client:
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        http.headers["X-Team"] = "sales"
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert [r.headers["x-team"] for r in fake.requests] == ["growth", "sales"]


@pytest.mark.parametrize(
    "setting",
    [
        {"event_hooks": {"request": [_noop_hook], "response": []}},
        {"auth": _Signed()},
        {"follow_redirects": True},
        {"params": {"team": "growth"}},
        {"cookies": {"session": "abc"}},
        {"default_encoding": "latin-1"},
    ],
    ids=lambda setting: next(iter(setting)),
)
async def test_client_settings_httpx_applies_per_request_use_httpxs_route(
    asyncio_only: None,
    served: LoopbackServer,
    fake: FakeConnectSafely,
    httpx_route: list[str],
    setting: dict[str, Any],
) -> None:
    async with _client(served, connectsafely.AioHttpClient(**setting)) as client:
        result = await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert result.success is True
    assert httpx_route == [f"POST {SEND_PATH}"]
    if "params" in setting:
        assert fake.requests[0].query == {"team": "growth"}
    if "cookies" in setting:
        assert fake.requests[0].headers["cookie"] == "session=abc"
    if "auth" in setting:
        assert fake.requests[0].headers["x-signed"] == "yes"


async def test_a_streamed_upload_goes_through_httpx_and_arrives_whole(
    asyncio_only: None,
    served: LoopbackServer,
    fake: FakeConnectSafely,
    httpx_route: list[str],
    tmp_path: Any,
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB, sent in chunks from the file
    path = tmp_path / "deck.pdf"
    path.write_bytes(data)
    async with _client(served) as client:
        small = await client.attachments.upload(b"%PDF-1.4 tiny", filename="tiny.pdf")
        big = await client.attachments.upload(path)
    assert httpx_route == ["POST /linkedin/conversations/upload-attachment"]  # the file
    assert [r.body for r in fake.requests] == [b"%PDF-1.4 tiny", data]
    assert (small.byte_size, big.byte_size) == (13, len(data))


async def test_a_download_streams_over_aiohttp_and_gives_its_connection_back(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    body = bytes(range(256)) * 1024
    url = fake.add_media(body, content_type="image/png")
    http = connectsafely.AioHttpClient()
    async with _client(served, http) as client:
        async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
            got = b"".join([chunk async for chunk in media.aiter_bytes()])
        assert got == body
        assert _checked_out(http) == 0


# -- what comes back ---------------------------------------------------------------------


async def test_error_responses_carry_the_same_request_and_response_as_httpxs_route(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    errors = []
    http = connectsafely.AioHttpClient()
    async with _client(served, http, max_retries=0) as client:
        for route in ("direct", "httpx"):
            if route == "httpx":
                http.event_hooks = {"request": [_noop_hook], "response": []}
            fake.fail_next(404, headers={"X-Request-Id": "req-1"})
            with pytest.raises(connectsafely.NotFoundError) as info:
                await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
            errors.append(info.value)
    direct, via_httpx = (_error_shape(error) for error in errors)
    assert direct == via_httpx
    assert direct["request_id"] == "req-1"
    assert errors[0].response is not None
    assert errors[0].response.elapsed.total_seconds() > 0


def _error_shape(error: connectsafely.APIStatusError) -> dict[str, Any]:
    response, request = error.response, error.request
    assert response is not None
    assert request is not None
    assert response.request is request
    ignored = {"date", "idempotency-key"}
    return {
        "type": type(error),
        "message": error.message,
        "status": error.status_code,
        "body": error.body,
        "request_id": error.request_id,
        "request": (request.method, str(request.url), request.content),
        "request_headers": [(k, v) for k, v in request.headers.items() if k not in ignored],
        "response_headers": [(k, v) for k, v in response.headers.items() if k not in ignored],
        "response": (response.http_version, response.reason_phrase, response.content),
        "text": response.text,
        "next": response.next_request,
    }


async def test_a_body_that_is_not_json_is_a_validation_error_with_the_request(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body="<html>maintenance</html>")
    async with _client(served) as client:
        with pytest.raises(connectsafely.APIResponseValidationError) as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert info.value.request is not None
    assert info.value.request.url.path == SEND_PATH
    assert "maintenance" in str(info.value.body)


async def test_success_false_is_operation_failed_with_the_response(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": False, "error": "Recipient unreachable"})
    async with _client(served) as client:
        with pytest.raises(connectsafely.OperationFailedError, match="unreachable") as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert info.value.response is not None
    assert info.value.response.json() == {"success": False, "error": "Recipient unreachable"}


@pytest.mark.real_sleep
async def test_remaining_zero_with_a_near_reset_pauses_the_next_call(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    reset = datetime.now(timezone.utc) + timedelta(seconds=0.3)
    headers = {
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    fake.fail_next(200, body={"success": True, "message": "Hi"}, headers=headers)
    async with _client(served) as client:
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    first, second = fake.requests
    assert second.received_at - first.received_at >= 0.2


# A tiny ASGI app for answers the fake does not give: a cookie, a gzip body, a stall.
Handler = Callable[[Callable[[dict[str, Any]], Any]], Any]


def _app(answer: Handler) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        await answer(send)

    return app


@pytest.fixture
async def custom() -> AsyncIterator[Callable[[Handler], Any]]:
    servers: list[LoopbackServer] = []

    def serve(answer: Handler) -> LoopbackServer:
        server = LoopbackServer(_app(answer)).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        await anyio.to_thread.run_sync(server.stop)


SEND_OK = {"success": True, "message": "sent", "recipientProfileUrn": "urn:li:fsd_profile:x"}


async def _json(send: Any, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def test_a_set_cookie_is_kept_and_then_sent_as_httpx_would(
    asyncio_only: None, custom: Callable[[Handler], LoopbackServer], httpx_route: list[str]
) -> None:
    body = json.dumps(SEND_OK).encode()
    server = custom(lambda send: _json(send, body, (b"set-cookie", b"session=abc; Path=/")))
    http = connectsafely.AioHttpClient()
    async with _client(server, http) as client:
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        assert http.cookies.get("session") == "abc"
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert httpx_route == [f"POST {SEND_PATH}"]  # the second: a cookie to send


async def test_a_compressed_body_is_decoded_as_httpx_would(
    asyncio_only: None, custom: Callable[[Handler], LoopbackServer]
) -> None:
    body = gzip.compress(json.dumps(SEND_OK).encode())
    server = custom(lambda send: _json(send, body, (b"content-encoding", b"gzip")))
    async with _client(server) as client:
        result = await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert result.success is True


async def test_httpx_logs_each_direct_call_as_it_logs_its_own(
    asyncio_only: None,
    served: LoopbackServer,
    fake: FakeConnectSafely,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with _client(served) as client:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    [line] = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert line == f'HTTP Request: POST {served.base_url}{SEND_PATH} "HTTP/1.1 200 OK"'


# -- timeouts, failures, connections -----------------------------------------------------


async def test_the_clients_timeouts_map_onto_aiohttps(asyncio_only: None) -> None:
    http = connectsafely.AioHttpClient()
    try:
        sender = http._sdk_sender()
        made = sender._client_timeout(httpx.Timeout(30.0, connect=5.0, pool=2.0))  # type: ignore[attr-defined]
        assert (made.sock_connect, made.sock_read, made.connect, made.total) == (5, 30, 2, None)
    finally:
        await http.aclose()


async def test_a_read_timeout_is_a_timeout_error_caused_by_httpxs(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    fake.delay_next(2.0)
    async with _client(served, timeout=httpx.Timeout(5.0, read=0.2), max_retries=0) as client:
        with pytest.raises(connectsafely.APITimeoutError) as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert info.value.request is not None
    assert info.value.request.url.path == SEND_PATH


async def test_a_refused_connection_is_a_connect_error_nothing_was_sent(
    asyncio_only: None,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    async with connectsafely.AsyncClient(
        api_key=FakeConnectSafely().api_key,
        base_url=f"http://127.0.0.1:{port}",
        http_client=connectsafely.AioHttpClient(),
        max_retries=0,
    ) as client:
        with pytest.raises(connectsafely.APIConnectionError) as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert not isinstance(info.value, connectsafely.APITimeoutError)


async def test_a_body_cut_short_is_a_connection_error(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    fake.drop_next(mid_body=True)
    http = connectsafely.AioHttpClient()
    async with _client(served, http, max_retries=0) as client:
        with pytest.raises(connectsafely.APIConnectionError) as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
        assert _checked_out(http) == 0


async def test_no_connection_is_left_checked_out(
    asyncio_only: None, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    http = connectsafely.AioHttpClient()
    async with _client(served, http) as client:
        fake.fail_next(503, count=2)
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        fake.fail_next(404)
        with pytest.raises(connectsafely.NotFoundError):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        fake.fail_next(200, body="not json")
        with pytest.raises(connectsafely.APIResponseValidationError):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        fake.delay_next(5.0)
        with anyio.move_on_after(0.2):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(
                    lambda: client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
                )
        assert _checked_out(http) == 0


async def test_cancelled_mid_body_closes_the_connection(
    asyncio_only: None, custom: Callable[[Handler], LoopbackServer]
) -> None:
    async def stall(send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"99")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"success"', "more_body": True})
        await anyio.sleep(5)

    http = connectsafely.AioHttpClient()
    async with _client(custom(stall), http) as client:
        with anyio.move_on_after(0.3) as scope:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        assert scope.cancelled_caught
        assert _checked_out(http) == 0


async def test_a_client_closed_by_its_owner_says_so(
    asyncio_only: None, served: LoopbackServer
) -> None:
    http = connectsafely.AioHttpClient(close_with_client=False)
    async with _client(served, http) as client:
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        await http.aclose()
        with pytest.raises(RuntimeError, match="client has been closed"):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")


async def test_under_trio_every_route_says_why_not(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely, tmp_path: Any
) -> None:
    if anyio_backend != "trio":
        pytest.skip("checks the Trio refusal")
    path = tmp_path / "deck.pdf"
    path.write_bytes(b"%PDF-1.4")
    url = fake.add_media(b"png", content_type="image/png")
    async with _client(served) as client:
        with pytest.raises(connectsafely.ConnectSafelyError, match="only under asyncio"):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
        with pytest.raises(connectsafely.ConnectSafelyError, match="only under asyncio"):
            await client.attachments.upload(path)
        with pytest.raises(connectsafely.ConnectSafelyError, match="only under asyncio"):
            async with client.conversations.download_media(url, account_id=ACCOUNT):
                pass
    assert fake.requests == []


def _checked_out(http: connectsafely.AioHttpClient) -> int:
    """Connections of the client's aiohttp pool that are in use (not idle, not closed)."""
    session = http._aio_transport.session()
    connector = session.connector
    assert connector is not None
    return len(connector._acquired)  # type: ignore[attr-defined]
