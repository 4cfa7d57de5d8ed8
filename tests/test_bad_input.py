"""Property-based: arbitrary input never crashes the SDK or reaches the wire.

Hypothesis throws arbitrary values (strings with control characters and lone
surrogates, bytes, huge and non-finite numbers, wrong types) at every public argument
of ``AsyncClient(...)``, ``with_options``, ``send``, ``messages`` and ``upload``. Each
call ends in one of:

- ``ValueError`` / ``TypeError`` (``ConfigurationError`` for client configuration),
  raised before any request is sent; or
- success, or an API error from the server, for a value the SDK accepts. A value the
  SDK accepts must never fail later with an encoding or protocol error.

Arbitrary JSON from the server ends in a model, ``APIResponseValidationError``,
``OperationFailedError`` (``"success": false``) or, for error statuses, the typed
``APIStatusError``; never an unhandled exception.

Each example runs the async body with ``anyio.run`` on a fresh fake (in-process: fast).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import anyio
import h11
import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import connectsafely
from connectsafely import AsyncClient, ConfigurationError
from connectsafely.testing import FakeConnectSafely

BACKENDS = ["asyncio", "trio"]
KEY = "cs_test_fake_key"
URN_SEND = "/linkedin/conversations/send"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- strategies -------------------------------------------------------------------------

surrogates = st.sampled_from(["\ud800", "a\udfffb", "\udc80x"])
nasty_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(max_codepoint=0x7F), max_size=30),  # ASCII incl. controls
    st.sampled_from(
        [
            "",
            " ",
            "\r\n",
            "a\r\nX-Injected: 1",
            "\x00",
            " leading",
            "trailing ",
            "tab\there",
            "é",
            "urn:li:",
            "urn:li:x",
            "urn:li:x\n",
            "auto",
            "sales_navigator",
            "linkedin_inbox",
            "AUTO",
            "x" * 5000,
            "../../etc/passwd",
            "a/b",
            "text/plain",
            'text/plain; name="é"',
            "image/png",
        ]
    ),
    surrogates,
)
huge_numbers = st.sampled_from(
    [10**30, -(10**30), 10**400, 2**63, -1, 0, 1.5, -0.0, 1e308, math.inf, -math.inf, math.nan]
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_numbers,
    st.floats(),
    nasty_text,
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(nasty_text, nasty_text, max_size=3),
    st.datetimes(),
    st.datetimes(timezones=st.just(dt.timezone.utc)),
    st.just(object()),
    st.just(httpx.Timeout(1.0)),
    st.just(b"\x00" * 3),
    st.just(bytearray(b"data")),
)
header_names = st.one_of(st.sampled_from(["X-Team", "Accept-Language", "x_y"]), nasty_text)
headers = st.dictionaries(header_names, nasty_text, max_size=3)

# An accepted value must lead to one of these, never to anything else.
REFUSED = (ValueError, TypeError)


def _assert_valid_on_the_wire(name: str, value: str) -> None:
    """An accepted header must be one a real HTTP/1.1 connection can send.

    The in-process transport never serialises headers, so check with h11 (what
    httpcore uses on a socket) that it would not refuse them mid-request.
    """
    raw = httpx.Headers({name: value}).raw  # httpx's own encoding (ASCII)
    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method="GET", target="/", headers=[("Host", "x"), *raw]))


def _attachment() -> connectsafely.Attachment:
    return connectsafely.Attachment(asset_urn="urn:li:digitalmediaAsset:unknown")


# -- client configuration -----------------------------------------------------------------

CLIENT_ARGS = ["api_key", "base_url", "account_id", "timeout", "max_retries", "default_headers"]


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(argument=st.sampled_from(CLIENT_ARGS), value=st.one_of(anything, headers))
@example(argument="api_key", value="cs_é")
@example(argument="timeout", value=10**400)
@example(argument="timeout", value=math.inf)
@example(argument="default_headers", value={"X-Team": "é"})
@example(argument="default_headers", value={"X-Team": " padded "})
@example(argument="default_headers", value={"X-Team": "bell\x07"})
@example(argument="default_headers", value={"image/png": "x"})
@example(argument="default_headers", value={"Content-Length": "5"})
def test_client_options_are_refused_at_construction_or_work(
    backend: str, argument: str, value: Any
) -> None:
    fake = FakeConnectSafely()
    options: dict[str, Any] = {"api_key": fake.api_key, argument: value}
    try:
        client = AsyncClient(transport=fake.transport(), **options)
    except (ConfigurationError, *REFUSED):
        assert fake.requests == []
        return
    if argument == "api_key":
        fake.api_key = value  # a well-formed key: let the fake accept it
    if argument == "api_key":
        _assert_valid_on_the_wire("Authorization", f"Bearer {value}")
    if argument == "default_headers":
        for name, header_value in (value or {}).items():
            _assert_valid_on_the_wire(name, header_value)

    async def use() -> None:
        # An APIStatusError: e.g. a base URL with a path the fake does not serve.
        async with client:
            with contextlib.suppress(connectsafely.APIStatusError):
                await client.conversations.send("Hi", recipient_profile_id="jane-doe")

    anyio.run(use, backend=backend)
    assert len(fake.requests) >= 1


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(
    argument=st.sampled_from(["timeout", "max_retries", "account_id", "default_headers"]),
    value=st.one_of(anything, headers),
)
@example(argument="default_headers", value={"X-Team": "é"})
@example(argument="timeout", value=-math.inf)
def test_with_options_refuses_bad_values_or_works(backend: str, argument: str, value: Any) -> None:
    fake = FakeConnectSafely()
    parent = fake.client()
    try:
        child = parent.with_options(**{argument: value})
    except REFUSED:
        return
    if argument == "default_headers":
        for name, header_value in (value or {}).items():
            _assert_valid_on_the_wire(name, header_value)

    async def use() -> None:
        # A NotFoundError: an account id the fake does not know.
        async with parent:
            with contextlib.suppress(connectsafely.NotFoundError):
                await child.conversations.send("Hi", recipient_profile_id="jane-doe")

    anyio.run(use, backend=backend)
    assert len(fake.requests) == 1


def test_client_rejects_wrong_types_for_http_client_and_transport() -> None:
    for value in ("http://x", 1, object(), httpx.Client(), b"x"):
        with pytest.raises(TypeError):
            AsyncClient(api_key=KEY, http_client=value)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            AsyncClient(api_key=KEY, transport=value)  # type: ignore[arg-type]


# -- send / messages / upload arguments --------------------------------------------------

SEND_ARGS = [
    "message",
    "recipient_profile_id",
    "recipient_profile_urn",
    "conversation_urn",
    "subject",
    "attachments",
    "messaging_channel",
    "account_id",
    "idempotency_key",
]


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(
    values=st.dictionaries(
        st.sampled_from(SEND_ARGS),
        st.one_of(anything, st.lists(st.one_of(anything, st.just(_attachment())), max_size=2)),
        min_size=1,
        max_size=3,
    )
)
@example(values={"message": "\ud800"})
@example(values={"subject": "a\udfffb"})
@example(values={"idempotency_key": " padded"})
@example(values={"idempotency_key": "x" * 255})
@example(values={"account_id": "é"})
@example(values={"messaging_channel": "AUTO"})
def test_send_refuses_bad_arguments_before_sending_or_sends(
    backend: str, values: dict[str, Any]
) -> None:
    fake = FakeConnectSafely()
    kwargs: dict[str, Any] = {"recipient_profile_id": "jane-doe", **values}
    message = kwargs.pop("message", "Hello")

    async def call() -> None:
        async with fake.client(max_retries=0) as client:
            try:
                result = await client.conversations.send(message, **kwargs)
            except REFUSED:
                assert fake.requests == [], "refused input must not reach the wire"
                return
            except connectsafely.APIStatusError:
                # The server refused a value the SDK cannot judge (unknown account,
                # conversation or attachment): it was well-formed enough to send.
                assert len(fake.requests) == 1
                return
            assert isinstance(result, connectsafely.SendResult)
            key = fake.requests[0].idempotency_key
            assert key is not None
            _assert_valid_on_the_wire("Idempotency-Key", key)
            sent = fake.requests[0].json()
            assert sent["message"] == message

    anyio.run(call, backend=backend)


MESSAGES_ARGS = ["conversation_urn", "account_id", "page_size", "since", "sync", "cursor"]


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(values=st.dictionaries(st.sampled_from(MESSAGES_ARGS), anything, min_size=1, max_size=3))
@example(values={"cursor": "\ud800"})
@example(values={"page_size": 10**400})
@example(values={"since": 10**30})
@example(values={"conversation_urn": "urn:li:x\u2028"})
def test_messages_refuses_bad_arguments_at_call_time_or_pages(
    backend: str, values: dict[str, Any]
) -> None:
    fake = FakeConnectSafely()
    conversation = fake.add_conversation()
    fake.seed_messages(conversation, 3)
    kwargs: dict[str, Any] = {"conversation_urn": conversation.urn, **values}
    urn = kwargs.pop("conversation_urn")

    async def call() -> None:
        async with fake.client(max_retries=0) as client:
            try:
                pager = client.conversations.messages(urn, **kwargs)
            except REFUSED:
                assert fake.requests == []
                return
            # Accepted at call time: iterating may only fail with an API error.
            try:
                async for page in pager.pages():
                    assert isinstance(page, connectsafely.MessagesPage)
            except connectsafely.APIStatusError:
                pass
            except connectsafely.PaginationError:
                pass
            assert len(fake.requests) >= 1

    anyio.run(call, backend=backend)


UPLOAD_ARGS = ["file", "filename", "content_type", "account_id"]


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(values=st.dictionaries(st.sampled_from(UPLOAD_ARGS), anything, min_size=1, max_size=3))
@example(values={"content_type": 'text/plain; name="é"'})
@example(values={"filename": "\ud800.pdf"})
@example(values={"file": "\x00"})
@example(values={"file": "x" * 5000})
def test_upload_refuses_bad_arguments_before_sending_or_uploads(
    backend: str, values: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    fake = FakeConnectSafely()
    kwargs: dict[str, Any] = {"file": b"%PDF-1.7", **values}
    file = kwargs.pop("file")
    workdir = tmp_path_factory.mktemp("upload")

    async def call() -> None:
        async with fake.client(max_retries=0) as client:
            try:
                attachment = await client.attachments.upload(file, **kwargs)
            except REFUSED:
                assert fake.requests == []
                return
            except OSError:
                # A str/bytes path that does not exist, is too long or is a directory.
                assert isinstance(file, (str, os.PathLike))
                assert fake.requests == []
                return
            except connectsafely.APIStatusError:
                assert len(fake.requests) == 1
                return
            assert isinstance(attachment, connectsafely.Attachment)
            _assert_valid_on_the_wire("Content-Type", fake.requests[0].headers["content-type"])

    cwd = Path.cwd()
    os.chdir(workdir)  # relative paths resolve in an empty folder
    try:
        anyio.run(call, backend=backend)
    finally:
        os.chdir(cwd)


# -- arbitrary JSON from the server --------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),  # Python's json writes NaN and Infinity, and reads them back
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
message_like = st.fixed_dictionaries(
    {},
    optional={
        "messageUrn": json_values,
        "text": json_values,
        "sentAt": st.one_of(json_values, st.integers(), st.sampled_from(["2024-01-01", "1e3"])),
        "senderProfileId": json_values,
        "isSentByOwner": json_values,
        "hasAttachment": json_values,
        "attachments": json_values,
    },
)
shaped_body = st.fixed_dictionaries(
    {},
    optional={
        "success": st.one_of(st.booleans(), json_values),
        "message": json_values,
        "recipientProfileUrn": json_values,
        "sentMessage": json_values,
        "threadId": json_values,
        "messages": st.one_of(st.lists(message_like, max_size=3), json_values),
        "participants": st.one_of(st.lists(json_values, max_size=3), json_values),
        "hasMore": json_values,
        "cursor": json_values,
        "note": json_values,
        "attachment": st.one_of(
            st.fixed_dictionaries(
                {"assetUrn": json_values},
                optional={"byteSize": json_values, "mediaType": json_values, "name": json_values},
            ),
            json_values,
        ),
    },
)
server_bodies = st.one_of(json_values, shaped_body)


async def _call(client: AsyncClient, operation: str, urn: str) -> object:
    if operation == "send":
        return await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    if operation == "messages":
        return await anext(client.conversations.messages(urn).pages())
    return await client.attachments.upload(b"data", filename="a.bin")


MODELS = {
    "send": connectsafely.SendResult,
    "messages": connectsafely.MessagesPage,
    "upload": connectsafely.Attachment,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("operation", ["send", "messages", "upload"])
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=server_bodies)
def test_any_json_from_the_server_is_a_model_or_a_typed_error(
    backend: str, operation: str, body: Any
) -> None:
    fake = FakeConnectSafely()
    conversation = fake.add_conversation()
    fake.fail_next(
        200, body=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )

    async def call() -> None:
        async with fake.client(max_retries=0) as client:
            try:
                result: object = await _call(client, operation, conversation.urn)
            except (
                connectsafely.OperationFailedError,
                connectsafely.APIResponseValidationError,
            ) as e:
                result = e
        if isinstance(result, connectsafely.OperationFailedError):
            assert isinstance(body, dict) and body.get("success") is False
        elif isinstance(result, connectsafely.APIResponseValidationError):
            assert result.status_code == 200 and str(result)
        else:
            assert isinstance(result, MODELS[operation])

    anyio.run(call, backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([400, 401, 403, 404, 409, 422, 429, 500, 502, 503]),
    body=st.one_of(server_bodies, st.binary(max_size=50)),
    retry_after=st.one_of(st.none(), nasty_text.filter(lambda t: t.isascii() and t.isprintable())),
)
def test_any_error_body_is_the_typed_status_error(
    backend: str, status: int, body: Any, retry_after: str | None
) -> None:
    fake = FakeConnectSafely()
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    fake.fail_next(status, body=raw, headers=headers)

    async def call() -> None:
        async with fake.client(max_retries=0) as client:
            with pytest.raises(connectsafely.APIStatusError) as info:
                await client.conversations.send("Hi", recipient_profile_id="jane-doe")
            assert info.value.status_code == status
            assert str(info.value).startswith(str(status))
            if status == 429:
                assert isinstance(info.value, connectsafely.RateLimitError)

    anyio.run(call, backend=backend)


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.anyio
async def test_absurdly_nested_json_is_a_typed_error(status: int) -> None:
    fake = FakeConnectSafely()
    depth = 100_000
    fake.fail_next(status, body=b"[" * depth + b"]" * depth)
    async with fake.client(max_retries=0) as client:
        with pytest.raises(connectsafely.APIError) as info:
            await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    expected = (
        connectsafely.APIResponseValidationError
        if status == 200
        else connectsafely.InternalServerError
    )
    assert type(info.value) is expected


@pytest.mark.parametrize(
    ("argument", "value"),
    [("message", "Hi \ud800"), ("subject", "\udfff"), ("recipient_profile_id", "a\ud800")],
)
@pytest.mark.anyio
async def test_lone_surrogates_are_refused_naming_the_argument(argument: str, value: str) -> None:
    fake = FakeConnectSafely()
    kwargs: dict[str, Any] = {"recipient_profile_id": "jane-doe", argument: value}
    message = kwargs.pop("message", "Hello")
    async with fake.client() as client:
        with pytest.raises(ValueError, match=argument):
            await client.conversations.send(message, **kwargs)
        with pytest.raises(ValueError, match="cursor"):
            client.conversations.messages("urn:li:fs_conversation:x", cursor="\ud800")
    assert fake.requests == []
