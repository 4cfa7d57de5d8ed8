"""The send ledger (design §10): at most one message per idempotency key.

Through the public API against the fake, with the default `MemoryStore` (the shared
stores run the same rules; their own tests add processes and faults).
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely import AsyncClient, Limits, RateLimit, SendRequest, collect_in_order
from connectsafely.stores import MemoryStore
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND

pytestmark = pytest.mark.anyio

URN = "urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo"


def thread(fake: FakeConnectSafely) -> str:
    return fake.add_conversation(recipient_profile_id="jordan-lee").urn


async def test_a_delivered_key_is_replayed_without_a_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    first = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="c1-l1")
    again = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="c1-l1")
    assert not first.replayed and again.replayed
    assert again.sent_message == first.sent_message
    assert len(fake.requests_to(SEND)) == 1 and len(fake.sends) == 1


async def test_a_key_reused_for_another_message_is_refused_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="c1-l1")
    for changed in (
        {"message": "Hello!", "conversation_urn": urn},
        {"message": "Hi!", "recipient_profile_id": "someone-else"},
        {"message": "Hi!", "conversation_urn": urn, "messaging_channel": "linkedin_inbox"},
    ):
        message = changed.pop("message")
        with pytest.raises(ValueError, match="c1-l1"):
            await client.conversations.send(message, idempotency_key="c1-l1", **changed)
    assert len(fake.requests) == 1


async def test_a_key_being_sent_elsewhere_is_refused_as_in_progress(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.delay_next(1.0, path=SEND)
    async with anyio.create_task_group() as group:
        group.start_soon(_send_slow, client, urn)
        await anyio.sleep(0.2)
        before = datetime.now(timezone.utc)
        with pytest.raises(connectsafely.SendInProgressError) as info:
            await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    error = info.value
    assert error.idempotency_key == "k"
    assert len(fake.sends) == 1 and len(fake.requests) == 1
    # The error says the holder may be gone, when its claim expires (the default lease
    # is short: seconds, not minutes) and that retrying after that is the fix.
    assert error.retry_after is not None and 0 < error.retry_after <= 15
    assert error.expires_at is not None and error.expires_at.tzinfo is not None
    assert before < error.expires_at <= before + timedelta(seconds=15.5)
    message = str(error)
    assert "crashed worker" in message and "retry after" in message
    assert f"in {error.retry_after:.1f} s" in message
    copied = pickle.loads(pickle.dumps(error))
    assert (copied.expires_at, copied.retry_after) == (error.expires_at, error.retry_after)


async def _send_slow(client: AsyncClient, urn: str) -> None:
    await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")


async def test_a_reply_whose_answer_was_lost_is_found_not_resent(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.fail_next(500, path=SEND, after_processing=True)  # sent, but the answer is a 500
    result = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert result.replayed and result.sent_message is not None
    assert len(fake.sends) == 1
    assert [r.method for r in fake.requests] == ["POST", "GET"]  # checked, not re-sent
    again = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert again.replayed and len(fake.requests) == 2


async def test_a_cold_send_by_slug_is_checked_through_exists(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.drop_next(path=SEND, after_processing=True)
    result = await client.conversations.send(
        "Hi!", recipient_profile_id="ana-lima", idempotency_key="k"
    )
    assert result.replayed and len(fake.sends) == 1
    send, exists, read = fake.requests
    assert (send.path, exists.path) == (SEND, "/linkedin/conversations/exists/ana-lima")
    assert read.path == f"/linkedin/conversations/{fake.sends[0].conversation_urn}/messages"


async def test_a_failure_before_processing_is_retried_after_the_check_finds_nothing(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.fail_next(503, path=SEND)  # refused before processing: nothing went out
    result = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert not result.replayed
    assert [r.method for r in fake.requests] == ["POST", "GET", "POST"]
    assert len(fake.sends) == 1


async def test_a_send_that_cannot_be_checked_is_not_retried_after_an_ambiguous_failure(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(500, path=SEND, after_processing=True)
    with pytest.raises(connectsafely.SendInDoubtError) as info:
        await client.conversations.send("Hi!", recipient_profile_urn=URN, idempotency_key="k")
    assert info.value.idempotency_key == "k"
    assert len(fake.requests) == 1 and len(fake.sends) == 1
    # Still in doubt later: refused again, without a request.
    with pytest.raises(connectsafely.SendInDoubtError):
        await client.conversations.send("Hi!", recipient_profile_urn=URN, idempotency_key="k")
    assert len(fake.requests) == 1


async def test_a_definite_refusal_frees_the_key(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.fail_next(400, path=SEND)
    with pytest.raises(connectsafely.BadRequestError):
        await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    result = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert not result.replayed and len(fake.sends) == 1


async def test_a_cancelled_send_is_in_doubt_and_checked_next_time(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.delay_next(5.0, path=SEND)  # the delay comes before processing: nothing is sent
    with anyio.move_on_after(0.3):
        await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    result = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert not result.replayed and len(fake.sends) == 1
    methods = [r.method for r in fake.requests]
    assert methods == ["POST", "GET", "POST"]  # checked the conversation before sending


@pytest.mark.real_sleep
async def test_a_slow_send_keeps_its_claim_by_renewing_the_lease(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.delay_next(1.2, path=SEND)
    async with (
        make_client(store=MemoryStore(lease=0.3)) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(_send_slow, client, urn)
        await anyio.sleep(0.8)  # past two leases: only renewal keeps it
        with pytest.raises(connectsafely.SendInProgressError):
            await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert len(fake.sends) == 1


class _StuckRenewStore(MemoryStore):
    """A store whose lease renewals never answer (a store that stopped responding)."""

    def __init__(self) -> None:
        super().__init__(lease=0.3)
        self.renewals = 0

    async def renew(self, key: str, token: str, now: float) -> bool:
        self.renewals += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


@pytest.mark.real_sleep
async def test_a_send_that_ends_during_a_stuck_renewal_returns_without_waiting_for_it(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    store = _StuckRenewStore()
    fake.delay_next(0.25, path=SEND)  # ends after the first renewal (at 0.1 s) began
    async with make_client(store=store) as client:
        with anyio.fail_after(3):
            result = await client.conversations.send(
                "Hi!", conversation_urn=urn, idempotency_key="k"
            )
    assert not result.replayed and len(fake.sends) == 1
    assert store.renewals == 1


@pytest.mark.real_sleep
async def test_a_finished_send_renews_nothing_afterwards(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    store = MemoryStore(lease=0.3)
    async with make_client(store=store) as client:
        await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
        renewed = 0
        original = store.renew

        async def counting(key: str, token: str, now: float) -> bool:
            nonlocal renewed
            renewed += 1
            return await original(key, token, now)

        store.renew = counting  # type: ignore[method-assign]
        await anyio.sleep(0.35)  # past a renewal interval (0.1 s) several times
    assert renewed == 0


async def test_keys_with_odd_characters_work(client: AsyncClient, fake: FakeConnectSafely) -> None:
    urn = thread(fake)
    for key in ("campaign 7 / lead 12", "kampagne-über-café ✉", "x" * 1024):
        first = await client.conversations.send(
            f"Hi {len(key)}", conversation_urn=urn, idempotency_key=key
        )
        again = await client.conversations.send(
            f"Hi {len(key)}", conversation_urn=urn, idempotency_key=key
        )
        assert not first.replayed and again.replayed
    headers = [r.idempotency_key for r in fake.requests_to(SEND)]
    assert headers[0] == "campaign 7 / lead 12"
    assert all(h is not None and h.startswith("sha256-") for h in headers[1:])


class _DownStore(MemoryStore):
    async def claim(self, key: str, digest: str, now: float) -> Any:
        raise connectsafely.StoreError("MemoryStore() is down")


async def test_an_unreachable_store_fails_the_send_closed(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(store=_DownStore()) as client:
        with pytest.raises(connectsafely.StoreError):
            await client.conversations.send("Hi!", recipient_profile_id="ana", idempotency_key="k")
    assert fake.requests == []  # never sent without a claim


async def test_send_many_resumes_a_campaign_from_its_keys(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    leads = [f"lead-{n}" for n in range(6)]
    items = [
        SendRequest(f"Hi {lead}!", recipient_profile_id=lead, idempotency_key=f"c9-{lead}")
        for lead in leads
    ]
    async with client.conversations.send_many(items[:4], concurrency=2) as outcomes:
        async for _ in outcomes:
            pass
    rerun = await collect_in_order(client.conversations.send_many(items, concurrency=2))
    assert [o.replayed for o in rerun] == [True] * 4 + [False] * 2
    assert all(o.ok for o in rerun)
    assert sorted(s.text for s in fake.sends) == sorted(f"Hi {lead}!" for lead in leads)


# -- claim late: a send holds its key's claim only once it is admitted to send -----------------


@pytest.mark.real_sleep
async def test_a_send_waiting_for_its_pacing_slot_holds_no_claim(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    """A send waiting for its pacing slot has not claimed its key yet: another worker
    sharing the store may send it meanwhile (no `SendInProgressError`), and the waiting
    one, once admitted, finds it delivered and replays it instead of sending."""
    urn = thread(fake)
    store = MemoryStore()
    paced = Limits(account_writes=RateLimit(1, per=1.0))
    async with (
        make_client(store=store, limits=paced) as slow,
        make_client(store=store) as other,
    ):
        await slow.conversations.send("First", conversation_urn=urn)  # takes the slot
        results: list[Any] = []

        async def waiting() -> None:
            results.append(
                await slow.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
            )

        async with anyio.create_task_group() as group:
            group.start_soon(waiting)
            await anyio.sleep(0.2)  # `waiting` is in its pacing wait
            sent = await other.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
            assert not sent.replayed and not results
    [late] = results
    assert late.replayed and late.sent_message == sent.sent_message
    assert [s.text for s in fake.sends] == ["First", "Hi!"]


@pytest.mark.real_sleep
async def test_a_delivered_key_replays_without_waiting_for_pacing(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    async with make_client(limits=Limits(account_writes=RateLimit(1, per=60.0))) as client:
        await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
        with anyio.fail_after(5):  # the next slot is a minute away
            again = await client.conversations.send(
                "Hi!", conversation_urn=urn, idempotency_key="k"
            )
            with pytest.raises(ValueError, match="'k'"):
                await client.conversations.send("Other", conversation_urn=urn, idempotency_key="k")
    assert again.replayed and len(fake.sends) == 1


@pytest.mark.real_sleep
async def test_a_cold_send_answered_once_admitted_gives_back_its_new_conversation(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    """Admission counted a possible new conversation; the claim then found the key
    delivered by another worker, so nothing was sent and the count is given back."""
    store = MemoryStore()
    limits = Limits(account_writes=RateLimit(1, per=1.0), daily_new_conversations=2)
    async with (
        make_client(store=store, limits=limits) as slow,
        make_client(store=store) as other,
    ):
        await slow.conversations.send("Hi!", recipient_profile_id="ana-lima")  # 1 of 2
        results: list[Any] = []

        async def waiting() -> None:
            results.append(
                await slow.conversations.send(
                    "Hi!", recipient_profile_id="ben-okafor", idempotency_key="k"
                )
            )

        async with anyio.create_task_group() as group:
            group.start_soon(waiting)  # counted (2 of 2), then waits for its slot
            await anyio.sleep(0.2)
            await other.conversations.send(
                "Hi!", recipient_profile_id="ben-okafor", idempotency_key="k"
            )
        assert results[0].replayed
        await slow.conversations.send("Hi!", recipient_profile_id="cy-diaz")  # 2 of 2
        with pytest.raises(connectsafely.QuotaExceededError):
            await slow.conversations.send("Hi!", recipient_profile_id="dee-ross")
    assert len(fake.sends) == 3
