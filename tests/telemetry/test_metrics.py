"""Metrics (design §16): request durations per attempt, and the SDK's own counters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import connectsafely
from connectsafely.testing import FakeConnectSafely
from connectsafely.webhooks import WebhookReceiver
from tests._support import SEND
from tests.webhooks._support import SECRET, call, event_body, headers_for

from ._support import metrics, points, total

pytestmark = pytest.mark.anyio


async def test_each_attempt_is_one_duration_point(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, reader: InMemoryMetricReader
) -> None:
    fake.fail_next(503, path=SEND)
    await client.conversations.send("Hi", recipient_profile_id="jane-doe")

    (duration,) = metrics(reader, "http.client.request.duration")
    assert duration.unit == "s"
    found = {
        attrs.get("http.response.status_code"): (attrs, p)
        for attrs, p in points(reader, duration.name)
    }
    assert set(found) == {503, 200}
    failed, point = found[503]
    host = client.base_url.host
    assert failed == {
        "http.request.method": "POST",
        "server.address": host,
        "server.port": client.base_url.port or 443,
        "url.template": "/linkedin/conversations/send",
        "http.response.status_code": 503,
        "error.type": "503",
    }
    assert point.count == 1 and point.sum >= 0
    assert "error.type" not in found[200][0]
    assert (
        total(reader, "connectsafely.retries", **{"url.template": "/linkedin/conversations/send"})
        == 1
    )


async def test_429s_are_counted_and_retried(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, reader: InMemoryMetricReader
) -> None:
    fake.rate_limit_next(retry_after=0, path="/linkedin/conversations/exists")
    await client.conversations.exists("jane-doe")

    assert total(reader, "connectsafely.rate_limited") == 1
    assert total(reader, "connectsafely.retries") == 1
    statuses = sorted(
        a["http.response.status_code"] for a, _ in points(reader, "http.client.request.duration")
    )
    assert statuses == [200, 429]


async def test_a_hold_is_counted_for_its_account_and_action(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, reader: InMemoryMetricReader
) -> None:
    account = fake.default_account_id
    fake.rate_limit_next(
        hold_until=fake.clock.now() + timedelta(hours=2), action="MESSAGE", path=SEND
    )
    with pytest.raises(connectsafely.RateLimitError):
        await client.conversations.send("Hi", recipient_profile_id="jane-doe", account_id=account)
    # While held, the next send is refused locally: no second hold, no second 429.
    with pytest.raises(connectsafely.RateLimitError):
        await client.conversations.send("Hi", recipient_profile_id="bo", account_id=account)

    assert points(reader, "connectsafely.holds")[0][0] == {
        "connectsafely.account_id": account,
        "connectsafely.limits.action": "MESSAGE",
    }
    assert total(reader, "connectsafely.holds") == 1
    assert total(reader, "connectsafely.rate_limited", **{"connectsafely.account_id": account}) == 1


async def test_ledger_replays_are_counted(
    client: connectsafely.AsyncClient, reader: InMemoryMetricReader
) -> None:
    for _ in range(3):
        await client.conversations.send("Hi", recipient_profile_id="jane-doe", idempotency_key="k")
    assert (
        total(
            reader,
            "connectsafely.ledger.replays",
            **{"connectsafely.operation": "conversations.send"},
        )
        == 2
    )


async def test_the_receiver_counts_deliveries_by_outcome(
    meter_provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    calls = 0

    async def handler(event: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the handler's own bug")

    receiver = WebhookReceiver(SECRET, handler, meter_provider=meter_provider)
    first, second = event_body(), event_body(message_urn="urn:li:messagingMessage:2-second")
    await call(receiver, first, headers=headers_for(first))  # handled
    await call(receiver, first, headers=headers_for(first))  # duplicate
    await call(receiver, first, headers=headers_for(first, "whsec_wrong"))  # rejected
    await call(receiver, second, headers=headers_for(second))  # the handler fails

    counted = {a["outcome"]: p.value for a, p in points(reader, "connectsafely.webhooks.events")}
    assert counted == {"handled": 1, "duplicate": 1, "rejected": 1, "failed": 1}


def test_a_provider_that_is_not_one_is_refused_by_name(fake: FakeConnectSafely) -> None:
    with pytest.raises(TypeError, match="tracer_provider"):
        fake.client(tracer_provider=object())
    with pytest.raises(TypeError, match="meter_provider"):
        fake.client(meter_provider="global")
    with pytest.raises(TypeError, match="meter_provider"):
        WebhookReceiver(SECRET, _ignore, meter_provider=object())  # type: ignore[arg-type]


async def _ignore(event: Any) -> None:
    pass
