"""The ledger's outcome, `send_many` batches and limits waits, as spans (design §16)."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import connectsafely
from connectsafely import Limits, RateLimit, SendRequest, collect_in_order
from connectsafely._telemetry._names import ledger_outcome_of
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND

from ._support import SEND_ATTEMPT, SEND_SPAN, attributes, children, finished, named, one

pytestmark = pytest.mark.anyio

PROFILE_URN = "urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo"


async def test_a_keyed_send_is_sent_then_replayed(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    for _ in range(2):
        await client.conversations.send(
            "Hi", recipient_profile_id="jane-doe", idempotency_key="k-1"
        )

    first, second = named(finished(exporter), SEND_SPAN)
    assert attributes(first)["connectsafely.ledger.outcome"] == "sent"
    assert attributes(second)["connectsafely.ledger.outcome"] == "replayed"
    assert children(finished(exporter), second) == []  # answered by the ledger: no request


async def test_a_send_without_a_key_has_no_ledger_outcome(
    client: connectsafely.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    assert "connectsafely.ledger.outcome" not in attributes(one(finished(exporter), SEND_SPAN))


async def test_a_lost_answer_found_by_reading_back_is_replayed(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    urn = fake.add_conversation(recipient_profile_id="jane-doe").urn
    fake.fail_next(503, path=SEND, after_processing=True)

    result = await client.conversations.send("Hi", conversation_urn=urn, idempotency_key="k-2")

    assert result.replayed
    spans = finished(exporter)
    operation = one(spans, SEND_SPAN)
    assert attributes(operation)["connectsafely.ledger.outcome"] == "replayed"
    assert operation.status.status_code is StatusCode.UNSET
    attempt, check = children(spans, operation)
    assert attempt.name == SEND_ATTEMPT
    assert check.name == "connectsafely conversations.messages"  # the read-back, nested


async def test_a_send_that_cannot_be_checked_is_in_doubt(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    fake.fail_next(503, path=SEND, after_processing=True)
    with pytest.raises(connectsafely.SendInDoubtError):
        await client.conversations.send(
            "Hi", recipient_profile_urn=PROFILE_URN, idempotency_key="k-3"
        )
    operation = one(finished(exporter), SEND_SPAN)
    assert attributes(operation)["connectsafely.ledger.outcome"] == "in_doubt"
    assert attributes(operation)["error.type"] == "SendInDoubtError"
    assert operation.status.status_code is StatusCode.ERROR


@pytest.mark.parametrize("key", ["k-1", None])
async def test_a_follow_up_skipped_for_a_reply_is_its_own_outcome(
    client: connectsafely.AsyncClient,
    fake: FakeConnectSafely,
    exporter: InMemorySpanExporter,
    key: str | None,
) -> None:
    thread = fake.add_conversation(recipient_profile_id="jane-doe")
    since = fake.clock.now()
    fake.clock.advance(60)
    fake.add_message(thread, "Thanks, no")
    with pytest.raises(connectsafely.ProspectRepliedError):
        await client.conversations.send(
            "Bump", conversation_urn=thread.urn, idempotency_key=key, unless_replied_since=since
        )
    operation = one(finished(exporter), SEND_SPAN)
    assert attributes(operation)["connectsafely.ledger.outcome"] == "skipped_reply"
    assert attributes(operation)["error.type"] == "ProspectRepliedError"
    # The guard's read is the only request under it: the send never went out.
    assert [span.name for span in children(finished(exporter), operation)] == [
        "connectsafely conversations.messages"
    ]
    assert ledger_outcome_of(connectsafely.StoreError("down")) is None


def replies(fake: FakeConnectSafely, count: int) -> list[SendRequest]:
    return [
        SendRequest(
            f"Hi {n}", conversation_urn=fake.add_conversation(recipient_profile_id=f"p{n}").urn
        )
        for n in range(count)
    ]


async def test_a_batch_is_one_span_its_items_linked_to_it(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    requests = [
        *replies(fake, 2),
        SendRequest("Hi", recipient_profile_id="jane-doe", idempotency_key="k-4"),
    ]
    fake.fail_next(400, path=SEND, count=1)

    outcomes = await collect_in_order(client.conversations.send_many(requests, concurrency=1))

    assert [o.ok for o in outcomes] == [False, True, True]
    spans = finished(exporter)
    batch = one(spans, "connectsafely conversations.send_many")
    assert batch.status.status_code is StatusCode.UNSET  # one item failed, not the batch
    assert attributes(batch) == {"connectsafely.bulk.done": 3, "connectsafely.bulk.failed": 1}
    items = named(spans, SEND_SPAN)
    assert len(items) == 3
    for item in items:
        assert [link.context for link in item.links] == [batch.context]
        assert item.parent is None  # the caller's parent (none here), not the batch
        assert len(children(spans, item)) == 1
    assert attributes(items[0])["error.type"] == "400"
    assert attributes(items[2])["connectsafely.ledger.outcome"] == "sent"
    assert batch.end_time is not None and all(
        batch.end_time >= (item.end_time or 0) for item in items
    )


async def test_a_batch_iterated_without_the_block_ends_with_the_loop(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    outcomes = [o async for o in client.conversations.send_many(replies(fake, 3), concurrency=2)]
    assert len(outcomes) == 3
    spans = finished(exporter)
    batch = one(spans, "connectsafely conversations.send_many")
    assert attributes(batch)["connectsafely.bulk.done"] == 3
    assert all(item.links[0].context == batch.context for item in named(spans, SEND_SPAN))


async def test_a_wait_for_the_account_limit_is_a_span(
    make_traced: Any, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    account = fake.default_account_id
    # 0.3 s between two writes of one account: the second send waits (real time).
    limits = Limits(account_writes=RateLimit(1, per=0.3))
    async with make_traced(limits=limits) as client:
        for name in ("ana", "bo"):
            await client.conversations.send("Hi", recipient_profile_id=name, account_id=account)

    spans = finished(exporter)
    first, second = named(spans, SEND_SPAN)
    assert [s.name for s in children(spans, first)] == [SEND_ATTEMPT]
    wait, attempt = children(spans, second)
    assert wait.name == "connectsafely limits.wait"
    assert attributes(wait) == {
        "connectsafely.account_id": account,
        "connectsafely.limits.action": "MESSAGE",
        "connectsafely.limits.reason": "pacing",
    }
    assert wait.end_time is not None and wait.start_time is not None
    assert wait.end_time - wait.start_time > 0.1e9
    assert attempt.name == SEND_ATTEMPT
