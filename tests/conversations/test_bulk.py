"""``client.conversations.send_many``: bounded, lazy, cancellable bulk sends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely import (
    AsyncClient,
    BulkSend,
    Progress,
    SendOutcome,
    SendRequest,
    collect_in_order,
)
from connectsafely.testing import FakeConnectSafely
from tests._support import SEED

pytestmark = pytest.mark.anyio


@pytest.fixture
def fake() -> FakeConnectSafely:
    """A seeded fake: its random faults (``rate=``) are the same on every run."""
    return FakeConnectSafely(seed=SEED)


class CountingSource:
    """A million-item generator of sends that counts how many items were read."""

    def __init__(self) -> None:
        self.pulled = 0

    def __iter__(self) -> Iterator[SendRequest]:
        for i in range(1_000_000):
            self.pulled += 1
            yield SendRequest(f"Hello {i}", recipient_profile_id=f"lead-{i % 40}")


def replies(fake: FakeConnectSafely, count: int, text: str = "Hi {i}") -> list[SendRequest]:
    """One reply per fresh conversation (replies do not use the daily quota)."""
    return [
        SendRequest(
            text.format(i=i),
            conversation_urn=fake.add_conversation(recipient_profile_id=f"person-{i}").urn,
        )
        for i in range(count)
    ]


async def run(batch: BulkSend) -> list[SendOutcome]:
    async with batch as outcomes:
        return [outcome async for outcome in outcomes]


async def test_send_many_sends_every_item_and_yields_one_outcome_each(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    requests = replies(fake, 20)
    outcomes = await run(client.conversations.send_many(requests, concurrency=4))
    assert sorted(o.index for o in outcomes) == list(range(20))
    assert all(o.ok and o.result is not None and o.error is None for o in outcomes)
    assert all(o.request is requests[o.index] for o in outcomes)
    assert sorted(s.text for s in fake.sends) == sorted(r.message for r in requests)


async def test_collect_in_order_returns_outcomes_in_input_order(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.delay_next(0.05, count=1, method="POST")  # the first item finishes last
    requests = replies(fake, 10)
    outcomes = await collect_in_order(client.conversations.send_many(requests, concurrency=5))
    assert [o.index for o in outcomes] == list(range(10))
    assert [o.result.message for o in outcomes if o.result] == [r.message for r in requests]


def copies_sent(fake: FakeConnectSafely, request: SendRequest) -> int:
    """How many times the fake delivered ``request`` (owner messages in its conversation)."""
    assert request.conversation_urn is not None
    messages = fake.conversations[request.conversation_urn].messages
    return sum(1 for m in messages if m.is_sent_by_owner and m.text == request.message)


async def test_one_thousand_items_with_injected_faults_all_end_in_an_outcome(
    fake: FakeConnectSafely,
) -> None:
    # Random faults on sends only: every duplicate check (a GET) can read the
    # conversation, which is what lets the batch promise "reported ok <=> delivered once".
    requests = replies(fake, 1000)
    fake.fail_next(503, count=150, rate=0.2, method="POST")
    fake.fail_next(500, count=20, rate=0.2, method="POST", after_processing=True)
    # In-process: the loopback wire is covered by the other tests, and this one is
    # about the batch's bookkeeping under load.
    async with fake.client(max_retries=4) as client:
        bulk = client.conversations.send_many(requests, concurrency=16)
        outcomes = await run(bulk)
    assert sorted(o.index for o in outcomes) == list(range(1000))
    assert fake.pending_faults == []  # all 150 + 20 faults were served
    copies = {o.index: copies_sent(fake, requests[o.index]) for o in outcomes}
    delivered_but_failed = [o.index for o in outcomes if not o.ok and copies[o.index] != 0]
    ok_but_missing = [o.index for o in outcomes if o.ok and copies[o.index] != 1]
    assert delivered_but_failed == []
    assert ok_but_missing == []
    # A failure is five 503s before processing: the only way to fail here.
    failed = [o for o in outcomes if not o.ok]
    assert all(isinstance(o.error, connectsafely.InternalServerError) for o in failed)
    assert len(failed) == bulk.summary.failed
    # Each of the 20 sends answered 500 after the server accepted it was found by the
    # duplicate check instead of being sent again.
    assert sum(o.deduplicated for o in outcomes) == 20
    assert len(fake.sends) == len({s.conversation_urn for s in fake.sends})
    assert len(fake.sends) == sum(o.ok for o in outcomes) == 1000 - len(failed)


async def test_a_seeded_fake_gives_a_batch_the_same_outcome_on_every_run(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # One sender, so the requests (and the seeded fault draws) come in input order on
    # both backends and both wires: the outcome of every item is fixed by the seed.
    requests = replies(fake, 120)
    fake.fail_next(503, count=60, rate=0.5, method="POST")
    fake.fail_next(500, count=10, rate=0.3, method="POST", after_processing=True)
    outcomes = await collect_in_order(client.conversations.send_many(requests, concurrency=1))
    failed = [o.index for o in outcomes if not o.ok]
    deduplicated = [o.index for o in outcomes if o.deduplicated]
    # Fixed by SEED: three 503s in a row (the default three attempts) for 8 items; the
    # 10 sends answered 500 after being accepted are found by the duplicate check.
    assert failed == [3, 5, 6, 16, 32, 34, 50, 66]
    assert deduplicated == [4, 18, 36, 39, 40, 41, 45, 47, 61, 62]
    assert fake.pending_faults == []
    assert [copies_sent(fake, r) for r in requests] == [
        0 if i in failed else 1 for i in range(len(requests))
    ]
    assert len(fake.sends) == len(requests) - len(failed)


async def test_invalid_items_become_outcomes_without_stopping_the_batch(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    good = replies(fake, 2)
    items: list[Any] = [
        good[0],
        SendRequest("   ", recipient_profile_id="ana"),
        SendRequest("No recipient"),
        "not a request",
        SendRequest("Hi", conversation_urn="not-a-urn"),
        good[1],
    ]
    outcomes = await collect_in_order(client.conversations.send_many(items))
    errors = [type(o.error) for o in outcomes]
    assert errors == [type(None), ValueError, ValueError, TypeError, ValueError, type(None)]
    assert "message" in str(outcomes[1].error)
    # Invalid items never reached the wire.
    assert len(fake.requests_to("/linkedin/conversations/send")) == 2


async def test_api_errors_end_only_their_own_item(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    requests = [
        SendRequest("Hi", recipient_profile_id="ana-lima"),
        SendRequest("Hi", recipient_profile_id="ben", messaging_channel="sales_navigator"),
        SendRequest("Hi", recipient_profile_id="cleo"),
    ]
    outcomes = await collect_in_order(client.conversations.send_many(requests))
    assert [o.ok for o in outcomes] == [True, False, True]
    assert isinstance(outcomes[1].error, connectsafely.BadRequestError)


async def test_input_is_read_lazily_with_bounded_read_ahead(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    source = CountingSource()
    batch = client.conversations.send_many(source, concurrency=4)
    async with batch as outcomes:
        seen = 0
        async for _ in outcomes:
            seen += 1
            # Never more than: delivered + buffered outcomes + senders + read-ahead + 1.
            assert source.pulled <= seen + 4 + 4 + 4 + 1
            if seen == 30:
                break
    summary = batch.summary
    assert summary.unread_from == source.pulled < 50
    assert not summary.complete


async def test_async_iterables_are_accepted_and_closed_when_the_batch_stops(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    closed = False

    async def source() -> AsyncIterator[SendRequest]:
        nonlocal closed
        try:
            for i in range(10_000):
                yield SendRequest(f"Hi {i}", recipient_profile_id=f"lead-{i % 10}")
        finally:
            closed = True

    async with client.conversations.send_many(source(), concurrency=2) as outcomes:
        async for outcome in outcomes:
            assert outcome.ok
            if outcome.index >= 5:
                break
    assert closed


async def test_breaking_out_early_leaves_no_task_running(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    fake.latency = 0.02
    requests = replies(fake, 100)
    async with make_client() as client:
        batch = client.conversations.send_many(requests, concurrency=8)
        with anyio.fail_after(2):
            async with batch as outcomes:
                async for _ in outcomes:
                    break
        received = len(fake.requests)
        await anyio.sleep(0.1)
        assert len(fake.requests) == received  # nothing kept sending after the block
    summary = batch.summary
    assert summary.done + len(summary.interrupted) + len(summary.not_attempted) == (
        summary.unread_from
    )
    assert len(summary.interrupted) <= 8


async def test_cancellation_mid_batch_reports_what_was_not_attempted(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.latency = 0.01
    requests = replies(fake, 500)
    batch = client.conversations.send_many(requests, concurrency=4)
    with anyio.move_on_after(0.15) as scope:
        async with batch as outcomes:
            async for _ in outcomes:
                pass
    assert scope.cancelled_caught
    summary = batch.summary
    assert not summary.complete
    assert 0 < summary.done < 500
    assert summary.unread_from is not None
    accounted = summary.done + len(summary.interrupted) + len(summary.not_attempted)
    assert accounted == summary.unread_from
    # Everything not reported as done/interrupted was never sent.
    sent = {s.text for s in fake.sends}
    for index in summary.not_attempted:
        assert requests[index].message not in sent
    for request in requests[summary.unread_from :]:
        assert request.message not in sent


async def test_keyboard_interrupt_stops_the_batch_and_propagates(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    requests = replies(fake, 200)
    batch = client.conversations.send_many(requests, concurrency=4)

    async def interrupted_after_a_few() -> None:
        async with batch as outcomes:
            async for outcome in outcomes:
                if outcome.index >= 3:
                    raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await interrupted_after_a_few()
    summary = batch.summary
    assert summary.unread_from is not None and summary.unread_from < 200
    assert summary.done + len(summary.interrupted) + len(summary.not_attempted) == (
        summary.unread_from
    )


async def test_progress_reports_counts_and_total(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    seen: list[Progress] = []
    requests: list[Any] = [*replies(fake, 9), "bad"]
    await collect_in_order(
        client.conversations.send_many(requests, concurrency=3, on_progress=seen.append)
    )
    assert len(seen) == 10
    assert [p.done for p in seen] == list(range(1, 11))
    assert seen[-1] == Progress(done=10, failed=1, in_flight=0, total=10)
    assert seen[-1].succeeded == 9
    assert all(p.in_flight <= 3 for p in seen)


async def test_progress_total_is_none_for_generators(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    seen: list[Progress] = []
    requests = replies(fake, 3)
    await collect_in_order(
        client.conversations.send_many((r for r in requests), on_progress=seen.append)
    )
    assert seen[-1].total is None and seen[-1].done == 3


async def test_an_error_in_on_progress_stops_the_batch_and_is_raised(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    def broken(progress: Progress) -> None:
        if progress.done == 2:
            raise RuntimeError("progress bar broke")

    batch = client.conversations.send_many(replies(fake, 50), concurrency=1, on_progress=broken)
    with pytest.raises(RuntimeError, match="progress bar broke"):
        await collect_in_order(batch)
    assert batch.summary.done < 50


async def test_an_error_in_the_input_iterable_is_raised_after_started_items_finish(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    def items() -> Iterator[SendRequest]:
        yield SendRequest("one", recipient_profile_id="ana")
        yield SendRequest("two", recipient_profile_id="ben")
        raise OSError("lead list unreadable")

    received: list[SendOutcome] = []

    async def consume() -> None:
        async with client.conversations.send_many(items()) as outcomes:
            async for outcome in outcomes:
                received.append(outcome)

    with pytest.raises(OSError, match="unreadable"):
        await consume()
    assert sorted(o.request.message for o in received) == ["one", "two"]


async def test_plain_async_for_sends_every_item_once(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    requests = replies(fake, 10)
    outcomes = [o async for o in client.conversations.send_many(requests, concurrency=4)]
    assert sorted(o.index for o in outcomes) == list(range(10))
    assert all(o.ok for o in outcomes)
    assert sorted(s.text for s in fake.sends) == sorted(r.message for r in requests)


async def test_plain_async_for_sends_a_window_of_concurrency_items_at_a_time(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    batch = client.conversations.send_many(replies(fake, 10), concurrency=4)
    iterator = aiter(batch)
    await anext(iterator)
    assert len(fake.sends) == 4  # the first window ran before its first outcome came back
    assert batch.progress.in_flight == 0


async def test_breaking_out_of_a_plain_async_for_leaves_nothing_running(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    source = CountingSource()
    batch = client.conversations.send_many(source, concurrency=3)
    async for outcome in batch:
        if outcome.index >= 4:
            break
    sent = len(fake.sends)
    await anyio.sleep(0.05)
    assert len(fake.sends) == sent <= 6  # nothing kept sending after the break
    assert source.pulled == sent
    assert batch.summary.interrupted == ()
    assert not batch.summary.complete


async def test_cancelling_a_plain_async_for_stops_the_window(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.latency = 0.5
    batch = client.conversations.send_many(replies(fake, 6), concurrency=3)
    with anyio.move_on_after(0.1):
        async for _ in batch:
            pass
    assert len(batch.summary.interrupted) == 3
    assert batch.summary.done == 0


async def test_a_batch_runs_once(client: AsyncClient) -> None:
    batch = client.conversations.send_many([])
    assert await collect_in_order(batch) == []
    with pytest.raises(RuntimeError, match="once"):
        await collect_in_order(batch)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"concurrency": 0}, ValueError),
        ({"concurrency": 2.5}, TypeError),
        ({"on_progress": "print"}, TypeError),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        client.conversations.send_many([SendRequest("Hi", recipient_profile_id="a")], **kwargs)
    with pytest.raises(TypeError):
        client.conversations.send_many(SendRequest("Hi", recipient_profile_id="a"))  # type: ignore[arg-type]
    assert fake.requests == []


# -- duplicate-safe retries ---------------------------------------------------------------


async def test_a_500_after_the_server_accepted_a_reply_does_not_send_it_twice(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1, text="Following up on our call")
    fake.fail_next(500, method="POST", after_processing=True)
    [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert outcome.ok and outcome.deduplicated
    assert outcome.result is not None and outcome.result.message == "Following up on our call"
    assert len(fake.sends) == 1
    # Sent once, then the conversation was read instead of sending again.
    methods = [r.method for r in fake.requests]
    assert methods == ["POST", "GET"]
    check = fake.requests[1]
    assert (
        int(check.query["since"])
        <= fake.conversations[request.conversation_urn].messages[-1].sent_at
    )  # type: ignore[index]


async def test_a_dropped_connection_after_sending_is_checked_before_resending(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1)
    fake.drop_next(method="POST", after_processing=True)
    [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert outcome.ok and outcome.deduplicated
    assert len(fake.sends) == 1


async def test_a_500_before_processing_is_checked_then_sent_again(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1)
    fake.fail_next(500, method="POST")
    [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert outcome.ok and not outcome.deduplicated
    assert [r.method for r in fake.requests] == ["POST", "GET", "POST"]
    assert len(fake.sends) == 1
    # Both attempts carried the same Idempotency-Key.
    keys = {r.idempotency_key for r in fake.requests if r.method == "POST"}
    assert len(keys) == 1 and None not in keys


async def test_a_message_with_other_text_is_not_mistaken_for_the_send(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1, text="Are you free on Tuesday?")
    fake.fail_next(500, method="POST")
    assert request.conversation_urn is not None
    fake.add_message(request.conversation_urn, "Are you free on Tuesday?")  # from them
    fake.add_message(request.conversation_urn, "Something else", from_owner=True)
    [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert outcome.ok and not outcome.deduplicated
    assert len(fake.sends) == 1


async def test_a_429_is_retried_without_a_check_because_nothing_was_sent(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1)
    fake.rate_limit_next(retry_after=0, method="POST")
    [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert outcome.ok
    assert [r.method for r in fake.requests] == ["POST", "POST"]


async def test_when_the_check_cannot_read_the_conversation_the_item_fails_unsent(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1)
    fake.fail_next(500, method="POST")
    fake.fail_next(404, method="GET")
    [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert isinstance(outcome.error, connectsafely.InternalServerError)
    assert fake.sends == []
    assert [r.method for r in fake.requests] == ["POST", "GET"]


async def test_dedupe_false_uses_plain_retries(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    [request] = replies(fake, 1)
    fake.fail_next(500, method="POST", after_processing=True)
    [outcome] = await collect_in_order(client.conversations.send_many([request], dedupe=False))
    assert outcome.ok and not outcome.deduplicated
    assert len(fake.sends) == 2  # the documented risk of retrying without the check
    assert all(r.method == "POST" for r in fake.requests)


async def test_new_conversations_are_not_checked(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(500, method="POST")
    [outcome] = await collect_in_order(
        client.conversations.send_many([SendRequest("Hi", recipient_profile_id="ana")])
    )
    assert outcome.ok
    assert [r.method for r in fake.requests] == ["POST", "POST"]


async def test_send_request_is_frozen_and_exported() -> None:
    request = SendRequest("Hi", recipient_profile_id="ana")
    with pytest.raises(AttributeError):
        request.message = "changed"  # type: ignore[misc]
    assert connectsafely.SendRequest is SendRequest
    assert connectsafely.SendOutcome is SendOutcome
    with pytest.raises(TypeError):
        SendRequest("Hi", "ana")  # type: ignore[misc]


@pytest.mark.parametrize("max_retries", [0, 2])
@pytest.mark.parametrize("failure", ["500", "drop"])
async def test_a_reply_delivered_by_the_last_attempt_is_reported_sent_once(
    make_client: Any, fake: FakeConnectSafely, max_retries: int, failure: str
) -> None:
    # Every earlier attempt fails before the server processes it; the last one is
    # accepted, but its response is lost. Only the check after the last attempt can
    # tell that the message went out.
    [request] = replies(fake, 1, text="Last try")
    if max_retries:
        fake.fail_next(503, count=max_retries, method="POST")
    if failure == "500":
        fake.fail_next(500, method="POST", after_processing=True)
    else:
        fake.drop_next(method="POST", after_processing=True)
    async with make_client(max_retries=max_retries) as client:
        [outcome] = await collect_in_order(client.conversations.send_many([request]))
    assert outcome.ok and outcome.deduplicated, outcome.error
    assert outcome.result is not None and outcome.result.message == "Last try"
    assert copies_sent(fake, request) == 1
    assert len(fake.sends) == 1
    # Each attempt after an unknown outcome is preceded by a check, and the last is
    # followed by one.
    assert [r.method for r in fake.requests] == ["POST", "GET"] * (max_retries + 1)
