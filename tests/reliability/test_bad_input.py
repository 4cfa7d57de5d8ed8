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

Each example runs the async body with ``anyio.run`` on a fresh fake (in-process: fast),
on each backend of the shared ``anyio_backend`` fixture. Whatever the outcome, the
request the fake received must be exactly the one the arguments describe (decoded path
segment, query parameters, JSON fields, headers, body): a value that reached the server
mangled fails the test even when the server answered with an error.
"""

from __future__ import annotations

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
from connectsafely._uploads import guess_content_type
from connectsafely._validate import idempotency_header
from connectsafely.testing import FakeConnectSafely, RecordedRequest
from tests._support import SEND

KEY = "cs_test_fake_key"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SERVER_SETTINGS = settings(
    max_examples=100,
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


def _sent_headers(request: RecordedRequest, name: str) -> list[str]:
    """Every value the fake received for header ``name`` (any spelling), in order."""
    return [v for k, v in request.raw_headers if k.lower() == name.lower()]


def _assert_default_headers_sent(request: RecordedRequest, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        assert _sent_headers(request, name) == [value]


def _assert_sent_hi_to_jane(request: RecordedRequest) -> None:
    """The probe send every configuration test makes."""
    assert (request.method, request.segments) == ("POST", ("linkedin", "conversations", "send"))
    assert request.json() == {
        "message": "Hi",
        "recipientProfileId": "jane-doe",
        "messagingChannel": "auto",
    }


# -- client configuration -----------------------------------------------------------------

CLIENT_ARGS = ["api_key", "base_url", "account_id", "timeout", "max_retries", "default_headers"]


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
@example(argument="default_headers", value={"X-Team": "a  b\tc"})
@example(argument="base_url", value="https://gateway.example/v1/")
@example(argument="account_id", value="acc é/?#")
@example(argument="account_id", value=" acc 1 ")
def test_client_options_are_refused_at_construction_or_work(
    anyio_backend: str, argument: str, value: Any
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
        _assert_valid_on_the_wire("Authorization", f"Bearer {value}")
    if argument == "default_headers":
        for name, header_value in (value or {}).items():
            _assert_valid_on_the_wire(name, header_value)
    # The one case the server refuses: a base URL with a path prefix it does not serve.
    prefix = ""
    if argument == "base_url" and value is not None:
        prefix = httpx.URL(str(value).strip()).path.rstrip("/")
    outcome: list[object] = []

    async def use() -> None:
        async with client:
            try:
                outcome.append(
                    await client.conversations.send("Hi", recipient_profile_id="jane-doe")
                )
            except connectsafely.NotFoundError as exc:
                outcome.append(exc)

    anyio.run(use, backend=anyio_backend)
    [request] = fake.requests
    if prefix:
        assert isinstance(outcome[0], connectsafely.NotFoundError)
        assert request.path == prefix + SEND
        assert request.json()["message"] == "Hi"
        return
    if argument == "account_id" and value is not None:
        # An account the fake does not know, sent exactly as given.
        assert isinstance(outcome[0], connectsafely.NotFoundError)
        assert request.json() == {
            "message": "Hi",
            "recipientProfileId": "jane-doe",
            "messagingChannel": "auto",
            "accountId": value,
        }
        return
    assert isinstance(outcome[0], connectsafely.SendResult)
    _assert_sent_hi_to_jane(request)
    assert _sent_headers(request, "Authorization") == [f"Bearer {fake.api_key}"]
    if argument == "default_headers":
        _assert_default_headers_sent(request, value or {})
    if argument == "max_retries":
        assert client.max_retries == value
    if argument == "timeout" and isinstance(value, httpx.Timeout):
        assert client.timeout == value
    elif argument == "timeout":
        assert client.timeout.read == client.timeout.write == float(value)


@SETTINGS
@given(
    argument=st.sampled_from(["timeout", "max_retries", "account_id", "default_headers"]),
    value=st.one_of(anything, headers),
)
@example(argument="default_headers", value={"X-Team": "é"})
@example(argument="timeout", value=-math.inf)
@example(argument="account_id", value=" acc 1 ")
@example(argument="default_headers", value={"User-Agent": "bot/1", "X-Team": "growth"})
def test_with_options_refuses_bad_values_or_works(
    anyio_backend: str, argument: str, value: Any
) -> None:
    fake = FakeConnectSafely()
    parent = fake.client()
    try:
        child = parent.with_options(**{argument: value})
    except REFUSED:
        return
    if argument == "default_headers":
        for name, header_value in (value or {}).items():
            _assert_valid_on_the_wire(name, header_value)
    outcome: list[object] = []

    async def use() -> None:
        async with parent:
            try:
                outcome.append(
                    await child.conversations.send("Hi", recipient_profile_id="jane-doe")
                )
            except connectsafely.NotFoundError as exc:
                outcome.append(exc)

    anyio.run(use, backend=anyio_backend)
    [request] = fake.requests
    if argument == "account_id" and value is not None:
        assert isinstance(outcome[0], connectsafely.NotFoundError)
        assert request.json()["accountId"] == value
        return
    assert isinstance(outcome[0], connectsafely.SendResult)
    _assert_sent_hi_to_jane(request)
    if argument == "default_headers":
        _assert_default_headers_sent(request, value or {})
    if argument == "max_retries":
        assert child.max_retries == value


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


def _expected_send_body(message: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON body `send` must produce for accepted arguments."""
    body: dict[str, Any] = {"message": message}
    for argument, field in (
        ("recipient_profile_id", "recipientProfileId"),
        ("recipient_profile_urn", "recipientProfileUrn"),
        ("conversation_urn", "conversationUrn"),
        ("subject", "subject"),
    ):
        if kwargs.get(argument) is not None:
            body[field] = kwargs[argument]
    files = [
        {
            "file": {"assetUrn": item.asset_urn}
            if isinstance(item, connectsafely.Attachment)
            else dict(item)
        }
        for item in kwargs.get("attachments") or ()
    ]
    if files:
        body["attachments"] = files
    body["messagingChannel"] = str(kwargs.get("messaging_channel", "auto"))
    if kwargs.get("account_id") is not None:
        body["accountId"] = kwargs["account_id"]
    return body


# Arguments only the server can judge: an unknown account, conversation or attachment,
# or Sales Navigator forced on an account without it, may be refused with an API error.
SERVER_JUDGED = {
    "recipient_profile_urn",
    "conversation_urn",
    "attachments",
    "messaging_channel",
    "account_id",
}


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
@example(values={"message": "é \u2028 😀 \x00", "subject": "Re: ü"})
@example(values={"conversation_urn": "urn:li:msg_conversation:(a,b/c?d)"})
@example(values={"subject": " padded subject ", "account_id": " acc 1 "})
def test_send_refuses_bad_arguments_before_sending_or_sends(
    anyio_backend: str, values: dict[str, Any]
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
                assert SERVER_JUDGED & values.keys()
                result = None
            [request] = fake.requests
            assert request.json() == _expected_send_body(message, kwargs)
            key = request.idempotency_key
            assert key is not None
            _assert_valid_on_the_wire("Idempotency-Key", key)
            if kwargs.get("idempotency_key") is not None:
                assert key == idempotency_header(kwargs["idempotency_key"])
            if result is not None:
                assert isinstance(result, connectsafely.SendResult)
                assert [s.text for s in fake.sends] == [message]

    anyio.run(call, backend=anyio_backend)


MESSAGES_ARGS = ["conversation_urn", "account_id", "page_size", "since", "sync", "cursor"]


def _expected_messages_query(kwargs: dict[str, Any]) -> dict[str, str]:
    """The query string `messages` must send on its first page for accepted arguments."""
    query: dict[str, str] = {}
    if kwargs.get("account_id") is not None:
        query["accountId"] = kwargs["account_id"]
    if kwargs.get("page_size") is not None:
        query["count"] = str(kwargs["page_size"])
    since = kwargs.get("since")
    if isinstance(since, dt.datetime):
        query["since"] = str((since - EPOCH) // dt.timedelta(milliseconds=1))
    elif since is not None:
        query["since"] = str(since)
    if kwargs.get("sync") is not None:
        query["sync"] = "true" if kwargs["sync"] else "false"
    if kwargs.get("cursor") is not None:
        query["cursor"] = kwargs["cursor"]
    return query


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(MESSAGES_ARGS), anything, min_size=1, max_size=3))
@example(values={"cursor": "\ud800"})
@example(values={"page_size": 10**400})
@example(values={"since": 10**30})
@example(values={"conversation_urn": "urn:li:x\u2028"})
@example(values={"conversation_urn": "urn:li:fs_conversation:a/b?c#d%2F é"})
@example(values={"cursor": "a+b&c=d é", "account_id": "acc/1?x"})
@example(values={"since": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "sync": False})
@example(values={"since": dt.datetime(1969, 1, 1, tzinfo=dt.timezone.utc)})
def test_messages_refuses_bad_arguments_at_call_time_or_pages(
    anyio_backend: str, values: dict[str, Any]
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
            # Accepted at call time: iterating may only fail with an API error, for a
            # value only the server can judge (unknown conversation, account or cursor).
            pages: list[connectsafely.MessagesPage] = []
            try:
                pages.extend([page async for page in pager.pages()])
            except connectsafely.APIStatusError:
                assert values.keys() & {"conversation_urn", "account_id", "cursor"}
            first = fake.requests[0]
            assert first.method == "GET"
            assert first.segments == ("linkedin", "conversations", urn, "messages")
            assert first.query == _expected_messages_query(kwargs)
            if pages:
                assert all(isinstance(page, connectsafely.MessagesPage) for page in pages)
            if not values.keys() & {"conversation_urn", "account_id", "cursor", "since"}:
                # Nothing filters the conversation: every message comes back once.
                assert sum(len(page.messages) for page in pages) == 3

    anyio.run(call, backend=anyio_backend)


UPLOAD_ARGS = ["file", "filename", "content_type", "account_id"]


def _expected_content_type(content_type: str) -> str:
    """An accepted ``content_type`` as sent: the type/subtype lower-cased, the rest as given."""
    text = content_type.strip(" \t")
    end = next((i for i, ch in enumerate(text) if ch in " \t;"), len(text))
    return text[:end].lower() + text[end:]


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(UPLOAD_ARGS), anything, min_size=1, max_size=3))
@example(values={"content_type": 'text/plain; name="é"'})
@example(values={"filename": "\ud800.pdf"})
@example(values={"file": "\x00"})
@example(values={"file": "x" * 5000})
@example(values={"filename": "Q3 report é&a=b+c?.pdf", "content_type": 'Text/Plain; A="x y"'})
@example(values={"file": bytearray(b"\x00\xff raw"), "account_id": "acc/1?x"})
def test_upload_refuses_bad_arguments_before_sending_or_uploads(
    anyio_backend: str, values: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
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
            except connectsafely.NotFoundError:
                assert kwargs.get("account_id") is not None  # unknown to the fake
                attachment = None
            [request] = fake.requests
            name = kwargs.get("filename") or "attachment"
            expected_query = {"filename": name}
            if kwargs.get("account_id") is not None:
                expected_query["accountId"] = kwargs["account_id"]
            assert request.query == expected_query
            assert request.body == bytes(file)
            content_type = kwargs.get("content_type")
            expected_type = (
                guess_content_type(name)
                if content_type is None
                else _expected_content_type(content_type)
            )
            assert request.headers["content-type"] == expected_type
            _assert_valid_on_the_wire("Content-Type", request.headers["content-type"])
            if attachment is not None:
                stored = fake.uploads[attachment.asset_urn]
                assert (stored.name, stored.data) == (name, bytes(file))

    cwd = Path.cwd()
    os.chdir(workdir)  # relative paths resolve in an empty folder
    try:
        anyio.run(call, backend=anyio_backend)
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


@pytest.mark.parametrize("operation", ["send", "messages", "upload"])
@SERVER_SETTINGS
@given(body=server_bodies)
def test_any_json_from_the_server_is_a_model_or_a_typed_error(
    anyio_backend: str, operation: str, body: Any
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

    anyio.run(call, backend=anyio_backend)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    status=st.sampled_from([400, 401, 403, 404, 409, 422, 429, 500, 502, 503]),
    body=st.one_of(server_bodies, st.binary(max_size=50)),
    retry_after=st.one_of(st.none(), nasty_text.filter(lambda t: t.isascii() and t.isprintable())),
)
def test_any_error_body_is_the_typed_status_error(
    anyio_backend: str, status: int, body: Any, retry_after: str | None
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

    anyio.run(call, backend=anyio_backend)


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
