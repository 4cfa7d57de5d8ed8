"""The API key stays secret, headers cannot be injected, URNs cannot escape their segment.

- The key never appears in any log record (every logger, httpx and httpcore included,
  at DEBUG), in a repr, in an exception's text or formatted traceback, or in a pickle.
- CR/LF (and other control characters) in anything that becomes a header are refused
  before a request is built.
- A conversation URN is always exactly one path segment: ``/``, ``?``, ``#``, ``../``
  or an already-encoded ``%2F`` in it can never change which endpoint is called.
- Plain ``http://`` is refused for anything but loopback hosts.
"""

from __future__ import annotations

import logging
import os
import pickle
import traceback
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import connectsafely
from connectsafely import AsyncClient, ConfigurationError
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND

pytestmark = pytest.mark.anyio

KEY = "cs_live_SECRETabcdef0123456789"


def _all_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), repr(record.__dict__)]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


def _exception_text(error: BaseException) -> str:
    return "\n".join(
        [
            str(error),
            repr(error),
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
            repr(getattr(error, "request", None)),
            repr(getattr(error, "response", None)),
            repr(getattr(getattr(error, "request", None), "headers", None)),
        ]
    )


async def _exercise(client: AsyncClient, fake: FakeConnectSafely, tmp_path: Path) -> list[Any]:
    """Sends, retries, errors, an upload and a multi-page walk; returns the errors."""
    errors: list[Any] = []
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 25)
    await client.conversations.send("Hello", recipient_profile_id="jane-doe")
    fake.fail_next(503)
    fake.drop_next(path=SEND)
    await client.conversations.send("Retried", recipient_profile_id="jane-doe")
    for inject in (
        lambda: fake.fail_next(400, body={"error": "bad"}),
        lambda: fake.fail_next(503, count=3),
        lambda: fake.drop_next(count=3),
        lambda: fake.fail_next(200, body="not json"),
        lambda: fake.fail_next(200, body={"success": False, "error": "refused"}),
    ):
        inject()
        try:
            await client.conversations.send("Fails", recipient_profile_id="jane-doe")
        except connectsafely.APIError as error:
            errors.append(error)
    file = tmp_path / "report.pdf"
    file.write_bytes(b"%PDF-1.7" * 100)
    fake.fail_next(502, path="/linkedin/conversations/upload-attachment")
    await client.attachments.upload(file)
    pager = client.conversations.messages(conversation.urn, page_size=10)
    assert len([m async for m in pager]) == 25
    try:
        await anext(client.conversations.messages("urn:li:fs_conversation:unknown"))
    except connectsafely.NotFoundError as error:
        errors.append(error)
    assert len(errors) == 6
    return errors


async def test_key_never_appears_in_debug_logs_reprs_or_errors(
    make_client: Any,
    fake: FakeConnectSafely,
    wire: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.api_key = KEY
    caplog.set_level(logging.DEBUG)  # the root: every logger, httpx and httpcore too
    async with make_client(api_key=KEY) as client:
        with anyio.fail_after(20):
            errors = await _exercise(client, fake, tmp_path)
        texts = [
            repr(client),
            repr(client.with_options(max_retries=0)),
            repr(client.conversations),
            repr(client.attachments),
            repr(client.conversations.messages("urn:li:fs_conversation:x")),
            repr(client.conversations.messages("urn:li:fs_conversation:x").pages()),
            repr(client._core.config),
        ]
    texts += [_exception_text(error) for error in errors]
    texts += [_all_text(record) for record in caplog.records]
    for text in texts:
        assert KEY not in text
    for error in errors:
        assert KEY.encode() not in pickle.dumps(error)
    # The capture really was at DEBUG: our retry lines and, over a socket, httpcore's
    # (the optional aiohttp transport, CONNECTSAFELY_TEST_TRANSPORT=aiohttp, has none).
    names = {record.name.split(".")[0] for record in caplog.records}
    assert "connectsafely" in names
    if wire == "loopback":
        assert "httpx" in names
        if os.environ.get("CONNECTSAFELY_TEST_TRANSPORT") != "aiohttp":
            assert "httpcore" in names
    # The key was sent, as the Bearer token, on every request.
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake.requests)


async def test_wrong_key_is_not_echoed_anywhere(
    fake: FakeConnectSafely, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "cs_live_WRONGkey987654321"
    caplog.set_level(logging.DEBUG)
    async with fake.client(api_key=wrong) as client:
        with pytest.raises(connectsafely.AuthenticationError) as info:
            await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    assert wrong not in _exception_text(info.value)
    assert all(wrong not in _all_text(record) for record in caplog.records)


@pytest.mark.parametrize("bad", ["cs_live abc", "cs_live\n", "cs\x00live", "cs_live\r\nX: 1"])
def test_malformed_key_error_does_not_contain_the_key(bad: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        AsyncClient(api_key=bad)
    text = _exception_text(info.value)
    assert bad not in text and bad.strip() not in text


def test_key_is_not_exposed_by_the_client_object() -> None:
    client = AsyncClient(api_key=KEY)
    assert KEY not in repr(client) and KEY not in str(client)
    assert KEY not in repr(vars(client))
    with pytest.raises(TypeError):
        pickle.dumps(client)


# -- header injection ------------------------------------------------------------------

CRLF_VALUES = ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "\r\n"]


@pytest.mark.parametrize("value", CRLF_VALUES)
def test_crlf_in_default_headers_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="default_headers"):
        AsyncClient(api_key=KEY, default_headers={"X-Team": value})
    with pytest.raises(ValueError, match="default_headers"):
        AsyncClient(api_key=KEY).with_options(default_headers={"X-Team": value})


@pytest.mark.parametrize("name", ["X-A\r\nB", "X A", "X:A", "", "X-\x00"])
def test_bad_header_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="default_headers"):
        AsyncClient(api_key=KEY, default_headers={name: "v"})


@pytest.mark.parametrize("value", CRLF_VALUES)
async def test_crlf_in_idempotency_key_filename_content_type_and_account_is_refused(
    client: AsyncClient, fake: FakeConnectSafely, value: str
) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await client.conversations.send("Hi", recipient_profile_id="jane", idempotency_key=value)
    with pytest.raises(ValueError, match="filename"):
        await client.attachments.upload(b"data", filename=value)
    with pytest.raises(ValueError, match="content_type"):
        await client.attachments.upload(b"data", filename="a.pdf", content_type=f"text/{value}")
    with pytest.raises(ValueError, match="account_id"):
        await client.conversations.send("Hi", recipient_profile_id="jane", account_id=value)
    assert fake.requests == []


# -- URN path segments -----------------------------------------------------------------

EVIL_URNS = [
    "urn:li:x/../../send",
    "urn:li:../../conversations/send",
    "urn:li:x?accountId=evil&count=1",
    "urn:li:x#fragment",
    "urn:li:x%2F..%2F..%2Fsend",
    "urn:li:x%3Fa%3D1",
    "urn:li:x/messages",
    "urn:li:x\\..\\..",
    "urn:li:x;jsessionid=1",
    "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAA,2-YWJj+/==)",
    "urn:li:x%00",
    "urn:li:x %20 y",
    "urn:li:ü/ß?#",
]


def _check_segment(fake: FakeConnectSafely, urn: str) -> None:
    request = fake.requests[-1]
    assert request.segments == ("linkedin", "conversations", urn, "messages")
    assert request.path == f"/linkedin/conversations/{urn}/messages"
    assert request.raw_path.count("/") == 4
    assert "?" not in request.raw_path and "#" not in request.raw_path
    assert set(request.query) <= {"accountId", "count"}


@pytest.mark.parametrize("urn", EVIL_URNS)
async def test_urn_never_escapes_its_path_segment(
    client: AsyncClient, fake: FakeConnectSafely, urn: str
) -> None:
    with pytest.raises(connectsafely.NotFoundError):
        await anext(client.conversations.messages(urn))
    assert len(fake.requests) == 1
    _check_segment(fake, urn)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.text(
        st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("/?#%.\\;&="),
        min_size=1,
        max_size=40,
    )
)
def test_any_printable_urn_round_trips_as_one_segment(suffix: str) -> None:
    urn = "urn:li:" + suffix
    fake = FakeConnectSafely()

    async def walk() -> None:
        async with fake.client(max_retries=0) as client:
            try:
                pager = client.conversations.messages(urn)
            except ValueError:
                return  # refused before any request
            with pytest.raises(connectsafely.NotFoundError):
                await anext(pager)

    anyio.run(walk)
    if urn.isprintable():
        _check_segment(fake, urn)
    else:
        assert fake.requests == []


# -- plain http ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.connectsafely.ai",
        "HTTP://API.CONNECTSAFELY.AI",
        "http://0.0.0.0:8000",
        "http://192.168.1.10",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io",
        "http://2130706433",
        "http://evil.com#@127.0.0.1",
        "http://127.0.0.1@evil.com",
        "http://localhost:80@evil.com",
    ],
)
def test_plain_http_to_anything_but_loopback_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        AsyncClient(api_key=KEY, base_url=url)


def test_plain_http_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSAFELY_BASE_URL", "http://api.connectsafely.ai")
    with pytest.raises(ConfigurationError, match="http://"):
        AsyncClient(api_key=KEY)


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.2", "http://[::1]:9"])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert AsyncClient(api_key=KEY, base_url=url).base_url.scheme == "http"


async def test_redirects_never_carry_the_key_elsewhere(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(307, body=b"", headers={"Location": "https://evil.example/steal"})
    with pytest.raises(connectsafely.APIStatusError, match="redirect"):
        await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    assert len(fake.requests) == 1


def test_httpx_request_headers_repr_masks_the_key() -> None:
    request = httpx.Request("GET", "https://x.test", headers={"Authorization": f"Bearer {KEY}"})
    assert KEY not in repr(request.headers)


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "content-length",
        "Content-Type",
        "Host",
        "Idempotency-Key",
        "Transfer-Encoding",
    ],
)
def test_headers_the_sdk_sets_cannot_be_defaulted(name: str) -> None:
    # A default Content-Length would desynchronise the connection; a fixed
    # Idempotency-Key would make a deduplicating server drop every later send.
    with pytest.raises(ValueError, match="cannot be a default header"):
        AsyncClient(api_key=KEY, default_headers={name: "1"})


@pytest.mark.parametrize("value", ["é", " padded", "padded ", "bell\x07", "del\x7f"])
def test_header_values_a_socket_would_refuse_are_refused_up_front(value: str) -> None:
    with pytest.raises(ValueError, match="default_headers"):
        AsyncClient(api_key=KEY, default_headers={"X-Team": value})


def test_non_ascii_key_is_refused_without_echoing_it() -> None:
    key = "cs_live_cl" + "\u00e9f"  # built at runtime: the traceback shows source lines
    with pytest.raises(ConfigurationError, match="non-ASCII") as info:
        AsyncClient(api_key=key)
    assert key not in _exception_text(info.value)
