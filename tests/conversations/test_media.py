"""Downloading message media: host allow-list, streaming, saving, retries and clean-up."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient, MediaDownload, SavedMedia
from connectsafely.testing import FakeConnectSafely

pytestmark = pytest.mark.anyio

ACCOUNT = "696ce9e780e0483585e4e553"  # the fake's default account
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
BIG = os.urandom(3 * 1024 * 1024)


def download_requests(fake: FakeConnectSafely) -> list[Any]:
    return fake.requests_to("/linkedin/conversations/download-media")


class TrackedBody(httpx.AsyncByteStream):
    """A response body that tells its `TrackingTransport` when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, owner: TrackingTransport) -> None:
        self._inner = inner
        self._owner = owner
        self._closed = False
        self._chunks: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> TrackedBody:
        self._chunks = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        assert self._chunks is not None
        chunk = await self._chunks.__anext__()
        self._owner.bytes_received += len(chunk)
        return chunk

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._owner.open_responses -= 1
        await self._inner.aclose()


class TrackingTransport(httpx.AsyncBaseTransport):
    """Counts the responses it handed out that nobody has closed yet, and body bytes.

    Every response is handed out afresh (open), whatever the wrapped transport did
    with its own: the in-process transport reads (and closes) its response before
    returning it, so only this count shows whether the SDK closes what it received.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.open_responses = 0
        self.bytes_received = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        self.open_responses += 1
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=TrackedBody(response.stream, self),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


@attrs.define
class Pooled:
    """A client factory over a one-connection pool, and what it leaked."""

    fake: FakeConnectSafely
    http: httpx.AsyncClient
    tracker: TrackingTransport
    base_url: str | None

    def client(self) -> AsyncClient:
        options: dict[str, Any] = {"api_key": self.fake.api_key, "http_client": self.http}
        if self.base_url is not None:
            options["base_url"] = self.base_url
        return AsyncClient(timeout=httpx.Timeout(10.0, pool=1.0), account_id=ACCOUNT, **options)

    def leaked(self) -> int:
        """Responses not closed (both wires) plus connections still checked out of the
        pool (loopback; in-process there is no pool)."""
        pool = getattr(self.tracker.inner, "_pool", None)
        checked_out = 0
        if pool is not None:
            checked_out = sum(1 for c in pool.connections if not (c.is_idle() or c.is_closed()))
        return self.tracker.open_responses + checked_out


@pytest.fixture
def pooled(fake: FakeConnectSafely, wire: str, request: pytest.FixtureRequest) -> Pooled:
    """Clients over a one-connection pool, with every response they get tracked.

    With a single connection, a response left open would make the next call wait for
    the pool (and fail with a pool timeout): the user-visible symptom of a leak over a
    socket. In-process there is no pool, so the tracked responses are what shows it.
    """
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    inner: httpx.AsyncBaseTransport
    base_url = None
    if wire == "inprocess":
        inner = fake.transport()
    else:
        server, app = request.getfixturevalue("loopback")
        app.target = fake
        inner = httpx.AsyncHTTPTransport(limits=limits)
        base_url = server.base_url
    tracker = TrackingTransport(inner)
    http = httpx.AsyncClient(transport=tracker, limits=limits)
    return Pooled(fake, http, tracker, base_url)


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def read_all(download: MediaDownload) -> bytes:
    async with download as media:
        return b"".join([chunk async for chunk in media.aiter_bytes()])


async def fail_after_one_chunk(download: MediaDownload) -> None:
    async with download as media:
        await anext(media.aiter_bytes())
        raise KeyError("boom")


# -- streaming and saving --------------------------------------------------------------


async def test_download_streams_the_bytes_with_their_content_type(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(PNG, content_type="image/png")
    chunks = []
    async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
        assert isinstance(media, MediaDownload)
        assert media.content_type == "image/png"
        assert media.content_length == len(PNG)
        async for chunk in media.aiter_bytes(1000):
            chunks.append(chunk)
    assert b"".join(chunks) == PNG
    assert max(len(c) for c in chunks) == 1000
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/linkedin/conversations/download-media")
    assert request.json() == {"accountId": ACCOUNT, "url": url}
    assert request.idempotency_key


async def test_download_uses_the_clients_default_account(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(PNG, url="https://media.licdn.com/dms/image/v2/abc/feedshare?e=1&t=x")
    async with make_client(account_id=ACCOUNT) as client:
        data = await read_all(client.conversations.download_media(url))
    assert data == PNG
    assert fake.requests[0].json()["accountId"] == ACCOUNT


async def test_save_media_writes_the_file_without_leaving_a_partial(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    url = fake.add_media(BIG, content_type="application/pdf")
    target = tmp_path / "report.pdf"
    saved = await client.conversations.save_media(url, target, account_id=ACCOUNT)
    assert saved == SavedMedia(path=target, content_type="application/pdf", byte_size=len(BIG))
    assert target.read_bytes() == BIG
    assert files_in(tmp_path) == ["report.pdf"]


async def test_save_to_inside_the_block(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    url = fake.add_media(PNG)
    async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
        saved = await media.save_to(str(tmp_path / "photo.png"))
    assert saved.byte_size == len(PNG)
    assert (tmp_path / "photo.png").read_bytes() == PNG


async def test_failed_save_removes_the_partial_file(
    make_client: Any, fake: FakeConnectSafely, wire: str, tmp_path: Path
) -> None:
    if wire == "inprocess":
        pytest.skip("in-process responses arrive whole: there is no 'mid-body' to lose")
    url = fake.add_media(BIG)
    fake.drop_next(mid_body=True, path="/linkedin/conversations/download-media")
    async with make_client(account_id=ACCOUNT) as client:
        with pytest.raises(connectsafely.APIConnectionError):
            await client.conversations.save_media(url, tmp_path / "photo.png")
    assert files_in(tmp_path) == []


async def test_the_body_can_be_read_once(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    url = fake.add_media(BIG)
    async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
        await anext(media.aiter_bytes())
        with pytest.raises(RuntimeError, match="once"):
            media.aiter_bytes()
        with pytest.raises(RuntimeError, match="once"):
            await media.save_to(tmp_path / "photo.png")
    assert files_in(tmp_path) == []


async def test_save_media_checks_the_path_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path
) -> None:
    url = fake.add_media(PNG)
    with pytest.raises(FileNotFoundError, match="directory"):
        await client.conversations.save_media(
            url, tmp_path / "missing" / "a.png", account_id=ACCOUNT
        )
    with pytest.raises(IsADirectoryError):
        await client.conversations.save_media(url, tmp_path, account_id=ACCOUNT)
    with pytest.raises(TypeError, match="path"):
        await client.conversations.save_media(url, 42, account_id=ACCOUNT)  # type: ignore[arg-type]
    assert fake.requests == []


# -- host allow-list -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://www.linkedin.com/dms/prv/image/1",  # not https
        "ftp://media.licdn.com/dms/image/1",
        "https://www.linkedin.com/in/john-doe",  # linkedin.com, but not media
        "https://www.linkedin.com/dms/prv/",  # no file
        "https://www.linkedin.com/dms/prv/../../feed/",  # climbs out of /dms/prv/
        "https://www.linkedin.com/dms/prv/%2e%2e/%2e%2e/feed",
        "https://linkedin.com/dms/prv/image/1",  # other host
        "https://media.licdn.com.evil.example/dms/image/1",  # suffix trick
        "https://evil.example/media.licdn.com/dms/image/1",
        "https://evilmedia.licdn.com/dms/image/1",
        "https://media.licdn.com./dms/image/1",  # trailing dot
        "https://media.licdn.com@evil.example/dms/image/1",  # userinfo
        "https://user:pass@media.licdn.com/dms/image/1",
        "https://media.licdn.com:8443/dms/image/1",  # other port
        "https://media.licdn.com:bad/dms/image/1",
        "https://media.licdn.com\\@evil.example/x",  # backslash confusion
        "https://media.licdn.com/",
        "https://media.licdn.com",
        "https://media.licdn.com/dms/image 1",  # whitespace
        "https://media.licdn.com/dms/\nimage",
        "//media.licdn.com/dms/image/1",  # scheme-relative
        "media.licdn.com/dms/image/1",
        "",
    ],
)
async def test_urls_outside_the_linkedin_media_hosts_are_refused_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, url: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="url"):
        client.conversations.download_media(url, account_id=ACCOUNT)
    with pytest.raises(ValueError, match="url"):
        await client.conversations.save_media(url, tmp_path / "x", account_id=ACCOUNT)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        (
            "https://www.linkedin.com/dms/prv/image/v2/D4E06AQ/messaging-attachmentFile/0?e=1&t=Ab",
            "https://www.linkedin.com/dms/prv/image/v2/D4E06AQ/messaging-attachmentFile/0?e=1&t=Ab",
        ),
        ("HTTPS://WWW.LINKEDIN.COM/dms/prv/Image/1", "https://www.linkedin.com/dms/prv/Image/1"),
        (
            "https://media.licdn.com:443/dms/image/v2/C4E03AQ/Photo?e=2",
            "https://media.licdn.com/dms/image/v2/C4E03AQ/Photo?e=2",
        ),
        ("https://Media.Licdn.Com/dms/document/X", "https://media.licdn.com/dms/document/X"),
    ],
)
async def test_documented_media_urls_are_accepted_in_canonical_form(
    client: AsyncClient, fake: FakeConnectSafely, url: str, sent: str
) -> None:
    # Accepted by the SDK: the request is sent (the fake knows none of them: 404).
    with pytest.raises(connectsafely.NotFoundError, match="Media not found"):
        async with client.conversations.download_media(url, account_id=ACCOUNT):
            pass
    assert fake.requests[0].json()["url"] == sent


async def test_non_string_url_and_missing_account_are_refused_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(TypeError, match="url"):
        client.conversations.download_media(b"https://media.licdn.com/x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="account_id"):
        client.conversations.download_media("https://media.licdn.com/x")
    assert fake.requests == []


# -- errors and retries ----------------------------------------------------------------


async def test_unknown_media_raises_not_found_with_the_servers_message(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(PNG, account_id=fake.add_account().account_id)  # another account's
    download = client.conversations.download_media(url, account_id=ACCOUNT)
    with pytest.raises(connectsafely.NotFoundError, match="Media not found") as info:
        async with download:
            pass
    assert info.value.body == {"error": "Media not found"}


async def test_download_is_retried_until_the_headers_arrive(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    url = fake.add_media(PNG)
    fake.fail_next(503)
    fake.rate_limit_next(retry_after=2)
    async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
        data = b"".join([chunk async for chunk in media.aiter_bytes()])
    assert data == PNG
    requests = download_requests(fake)
    assert len(requests) == 3
    assert len({r.idempotency_key for r in requests}) == 1
    assert len(sleeps) == 2
    assert sleeps[1] == 2


async def test_download_failure_after_retries_raises_the_typed_error(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(PNG)
    fake.fail_next(502, count=5)
    async with make_client(max_retries=1) as client:
        with pytest.raises(connectsafely.InternalServerError):
            async with client.conversations.download_media(url, account_id=ACCOUNT):
                pass
    assert len(download_requests(fake)) == 2


async def test_success_false_json_body_raises_operation_failed(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(PNG)
    fake.fail_next(200, body={"success": False, "error": "LinkedIn session expired"})
    with pytest.raises(connectsafely.OperationFailedError, match="session expired"):
        async with client.conversations.download_media(url, account_id=ACCOUNT):
            pass


async def test_a_json_file_is_still_returned_as_bytes(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(b'{"a": 1}', content_type="application/json")
    async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
        assert b"".join([c async for c in media.aiter_bytes()]) == b'{"a": 1}'


async def test_a_redirect_is_not_followed(client: AsyncClient, fake: FakeConnectSafely) -> None:
    url = fake.add_media(PNG)
    fake.fail_next(307, headers={"Location": "https://evil.example/collect"})
    with pytest.raises(connectsafely.APIStatusError, match="does not follow redirects"):
        async with client.conversations.download_media(url, account_id=ACCOUNT):
            pass
    assert len(fake.requests) == 1


async def test_connection_lost_mid_body_is_raised_not_retried(
    make_client: Any, fake: FakeConnectSafely, wire: str
) -> None:
    if wire == "inprocess":
        pytest.skip("in-process responses arrive whole: there is no 'mid-body' to lose")
    url = fake.add_media(BIG)
    fake.drop_next(mid_body=True, path="/linkedin/conversations/download-media")
    async with make_client(account_id=ACCOUNT) as client:
        with pytest.raises(connectsafely.APIConnectionError):
            await read_all(client.conversations.download_media(url))
    assert len(download_requests(fake)) == 1


# -- clean-up --------------------------------------------------------------------------


async def test_leaving_early_returns_the_connection_to_the_pool(
    pooled: Pooled, fake: FakeConnectSafely, wire: str
) -> None:
    url = fake.add_media(BIG)
    async with pooled.client() as client:
        for _ in range(3):  # with one connection, a leak would block the second round
            async with client.conversations.download_media(url) as media:
                async for chunk in media.aiter_bytes():
                    assert chunk
                    break
            assert pooled.leaked() == 0
        await client.conversations.exists("jordan-lee")
    await pooled.http.aclose()
    gc.collect()
    if wire == "loopback":
        # Closed, not read to its end: three early exits fetched far less than one file.
        assert pooled.tracker.bytes_received < len(BIG)


async def test_leaving_without_reading_the_body_closes_the_response(
    pooled: Pooled, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(BIG)
    async with pooled.client() as client:
        for _ in range(3):
            async with client.conversations.download_media(url) as media:
                assert media.content_length == len(BIG)
            assert pooled.leaked() == 0
        await client.conversations.exists("jordan-lee")
    await pooled.http.aclose()


async def test_an_error_response_cut_mid_body_is_closed(
    pooled: Pooled, fake: FakeConnectSafely, wire: str
) -> None:
    if wire == "inprocess":
        pytest.skip("in-process responses arrive whole: there is no 'mid-body' to lose")
    # The fake's 404 for unknown media, cut half-way through its body, on every attempt.
    fake.drop_next(mid_body=True, count=3, path="/linkedin/conversations/download-media")
    async with pooled.client() as client:
        with pytest.raises(connectsafely.APIConnectionError, match="reading the response"):
            async with client.conversations.download_media("https://media.licdn.com/x"):
                pass
        assert len(download_requests(fake)) == 3
        assert pooled.leaked() == 0
    await pooled.http.aclose()


async def test_an_exception_inside_the_block_closes_the_response(
    pooled: Pooled, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(BIG)
    async with pooled.client() as client:
        media = client.conversations.download_media(url)
        with pytest.raises(KeyError):
            await fail_after_one_chunk(media)
        assert pooled.leaked() == 0
        with pytest.raises(RuntimeError, match="inside `async with`"):
            _ = media.content_type
        await client.conversations.exists("jordan-lee")
    await pooled.http.aclose()


async def test_cancelling_a_download_releases_the_connection(
    pooled: Pooled, fake: FakeConnectSafely
) -> None:
    url = fake.add_media(BIG)
    async with pooled.client() as client:
        with anyio.CancelScope() as scope:
            async with client.conversations.download_media(url) as media:
                await anext(media.aiter_bytes())
                scope.cancel()
                await anyio.sleep(1)
        assert scope.cancelled_caught
        assert pooled.leaked() == 0
        await client.conversations.exists("jordan-lee")
    await pooled.http.aclose()


async def test_error_statuses_release_the_connection_too(
    pooled: Pooled, fake: FakeConnectSafely
) -> None:
    async with pooled.client() as client:
        for _ in range(3):
            with pytest.raises(connectsafely.NotFoundError):
                async with client.conversations.download_media("https://media.licdn.com/x"):
                    pass
        assert pooled.leaked() == 0
    await pooled.http.aclose()


async def test_a_download_is_entered_once(client: AsyncClient, fake: FakeConnectSafely) -> None:
    url = fake.add_media(PNG)
    download = client.conversations.download_media(url, account_id=ACCOUNT)
    async with download:
        pass
    with pytest.raises(RuntimeError, match="once"):
        async with download:
            pass
    assert len(fake.requests) == 1


async def test_chunk_size_must_be_positive(client: AsyncClient, fake: FakeConnectSafely) -> None:
    url = fake.add_media(PNG)
    async with client.conversations.download_media(url, account_id=ACCOUNT) as media:
        with pytest.raises(ValueError, match="chunk_size"):
            media.aiter_bytes(0)
