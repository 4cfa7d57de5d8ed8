"""Errors and models survive pickling (multiprocessing, task queues, caches) intact.

Errors keep their plain data (message, status, body, code, request id, retry_after) and
drop the live httpx request/response objects, which hold sockets and streams. Models are
frozen attrs classes and round-trip equal.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND, send

pytestmark = pytest.mark.anyio

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


def _status(status: int, **extra: Any) -> Callable[[FakeConnectSafely], object]:
    headers = {"X-Request-Id": f"req-{status}", **extra.pop("headers", {})}
    body = extra.pop("body", {"success": False, "code": f"code_{status}", "message": "Nope"})
    return lambda fake: fake.fail_next(status, body=body, headers=headers)


ERROR_CASES: list[tuple[str, Callable[[FakeConnectSafely], object], type[Exception]]] = [
    ("400", _status(400), connectsafely.BadRequestError),
    ("401", _status(401), connectsafely.AuthenticationError),
    ("403", _status(403), connectsafely.PermissionDeniedError),
    ("404", _status(404), connectsafely.NotFoundError),
    ("409", _status(409), connectsafely.ConflictError),
    ("422", _status(422), connectsafely.UnprocessableEntityError),
    ("418", _status(418), connectsafely.APIStatusError),
    # A cold send told to wait two hours has met the daily quota.
    ("429", _status(429, headers={"Retry-After": "7200"}), connectsafely.QuotaExceededError),
    ("500", _status(500), connectsafely.InternalServerError),
    ("503-html", _status(503, body="<title>Down</title>"), connectsafely.InternalServerError),
    (
        "success-false",
        _status(200, body={"success": False, "code": "refused", "error": "LinkedIn refused"}),
        connectsafely.OperationFailedError,
    ),
    (
        "not-json",
        lambda fake: fake.fail_next(200, body="<html>oops</html>"),
        connectsafely.APIResponseValidationError,
    ),
    (
        "wrong-shape",
        lambda fake: fake.fail_next(200, body={"success": True, "sentMessage": [1, 2]}),
        connectsafely.APIResponseValidationError,
    ),
    ("dropped", lambda fake: fake.drop_next(), connectsafely.APIConnectionError),
    ("timeout", lambda fake: fake.delay_next(1.0), connectsafely.APITimeoutError),
]

_PLAIN_DATA = (
    "message",
    "status_code",
    "body",
    "code",
    "request_id",
    "retry_after",
    "hold_until",
    "account_id",
    "action",
    "idempotency_key",
    "expires_at",
)


@pytest.mark.parametrize(
    ("name", "inject", "error_class"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
async def test_error_pickles_with_its_data_and_without_live_objects(
    fake: FakeConnectSafely,
    name: str,
    inject: Callable[[FakeConnectSafely], object],
    error_class: type[Exception],
) -> None:
    inject(fake)
    async with fake.client(max_retries=0, timeout=0.2) as client:
        with pytest.raises(error_class) as info:
            await send(client)
    error = info.value
    assert type(error) is error_class
    assert isinstance(error, connectsafely.APIError) and error.request is not None
    for protocol in PROTOCOLS:
        data = pickle.dumps(error, protocol=protocol)
        assert fake.api_key.encode() not in data
        copied = pickle.loads(data)
        assert type(copied) is error_class
        assert str(copied) == str(error)
        assert copied.args == error.args
        for attribute in _PLAIN_DATA:
            assert getattr(copied, attribute, None) == getattr(error, attribute, None), attribute
        assert copied.request is None
        assert getattr(copied, "response", None) is None
    if isinstance(error, connectsafely.APIStatusError):
        assert error.request_id == f"req-{error.status_code}"
        assert error.body is not None


async def test_rate_limit_error_keeps_retry_after_and_code(fake: FakeConnectSafely) -> None:
    fake.fail_next(
        429,
        body={"success": False, "code": "rate_limited", "message": "Daily limit reached"},
        headers={"Retry-After": "7200", "X-Request-Id": "req-429"},
    )
    async with fake.client() as client:
        with pytest.raises(connectsafely.RateLimitError) as info:
            await send(client)
    copied = pickle.loads(pickle.dumps(info.value))
    assert copied.retry_after == pytest.approx(7200)
    assert copied.code == "rate_limited"
    assert copied.request_id == "req-429"
    assert copied.status_code == 429
    assert copied.body == {
        "success": False,
        "code": "rate_limited",
        "message": "Daily limit reached",
    }


@pytest.mark.parametrize(
    "error",
    [
        connectsafely.ConnectSafelyError("base"),
        connectsafely.ConfigurationError("No API key"),
        connectsafely.PaginationError("cursor repeated"),
        connectsafely.APIError("plain", request=httpx.Request("GET", "https://x.test/a")),
        connectsafely.APIConnectionError("refused"),
        connectsafely.APITimeoutError("slow"),
        connectsafely.APIResponseValidationError("bad", body={"a": 1}, status_code=200),
        connectsafely.RateLimitError("429", response=None, status_code=429, retry_after=3.5),
        connectsafely.RateLimitError(
            "held",
            response=None,
            status_code=429,
            retry_after=60.0,
            hold_until=datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
        ),
        connectsafely.InternalServerError("503", response=None, status_code=503, retry_after=120),
        connectsafely.QuotaExceededError(
            "quota", response=None, status_code=429, retry_after=3600.0, account_id="a1"
        ),
        connectsafely.SendInProgressError(
            "held elsewhere",
            idempotency_key="c1-l1",
            expires_at=datetime(2026, 3, 2, 12, 0, 15, tzinfo=timezone.utc),
            retry_after=12.5,
        ),
        connectsafely.SendInProgressError("held", idempotency_key="c1-l2"),
        connectsafely.SendInDoubtError("in doubt", idempotency_key="c1-l3"),
        connectsafely.OperationFailedError(
            "failed",
            response=None,
            status_code=200,
            body={"success": False},
            code="x",
            request_id="r",
        ),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_built_directly_round_trip(error: Exception) -> None:
    for protocol in PROTOCOLS:
        copied = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert type(copied) is type(error)
        assert str(copied) == str(error)
        for attribute in _PLAIN_DATA:
            assert getattr(copied, attribute, None) == getattr(error, attribute, None)
    assert str(copy.deepcopy(error)) == str(error)


async def _models(client: AsyncClient, fake: FakeConnectSafely) -> list[object]:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee", note="cached")
    fake.add_message(
        conversation, "With a file", attachments=[{"url": "https://media.licdn.com/x"}]
    )
    fake.seed_messages(conversation, 3)
    attachment = await client.attachments.upload(b"\x89PNG...", filename="chart.png")
    sent = await client.conversations.send(
        "Report", conversation_urn=conversation.urn, attachments=[attachment]
    )
    page = await anext(client.conversations.messages(conversation.urn).pages())
    return [attachment, sent, page, *page.messages, *page.participants]


MODEL_TYPES = {"Attachment", "SendResult", "MessagesPage", "Message", "Participant"}


async def test_every_model_pickles_and_compares_equal(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    models = await _models(client, fake)
    assert {type(m).__name__ for m in models} == MODEL_TYPES
    for model in models:
        assert attrs.has(type(model))
        for protocol in PROTOCOLS:
            copied = pickle.loads(pickle.dumps(model, protocol=protocol))
            assert copied == model
            assert type(copied) is type(model)
        assert copy.deepcopy(model) == model


async def test_unpickled_attachment_can_be_sent(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    attachment = await client.attachments.upload(b"%PDF-1.7", filename="a.pdf")
    copied = pickle.loads(pickle.dumps(attachment))
    await client.conversations.send("Here", recipient_profile_id="jane-doe", attachments=[copied])
    assert fake.requests_to(SEND)[-1].json()["attachments"][0]["file"]["assetUrn"] == (
        attachment.asset_urn
    )
