"""The stop-on-reply guard (design §14): never a follow-up after the prospect replied.

``conversations.send(..., unless_replied_since=T)`` and ``SendRequest(...,
unless_replied_since=T)`` read the conversation's messages newer than ``T`` just before
sending, after the ledger's claim; a message from anyone but the account owner stops the
send (`ProspectRepliedError`, or ``SendOutcome.skipped_reply`` in ``send_many``) and
releases its key.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, ProspectRepliedError, SendRequest, collect_in_order
from connectsafely.stores import Claim, MemoryStore
from connectsafely.testing import FakeConnectSafely, FakeConversation
from connectsafely.webhooks import MessageReceived, WebhookReceiver
from tests._support import NOON, SEND, messages_path

pytestmark = pytest.mark.anyio

SECRET = "whsec-guard-tests"
EXISTS = "/linkedin/conversations/exists/"
HOUR = 3600.0


@pytest.fixture
def fake() -> FakeConnectSafely:
    """A fake on a frozen clock (Monday noon) knowing Jane Doe."""
    fake = FakeConnectSafely(clock=NOON)
    fake.add_profile("jane-doe")
    return fake


@pytest.fixture
def thread(fake: FakeConnectSafely) -> FakeConversation:
    """An empty conversation with Jordan Lee."""
    return fake.add_conversation(recipient_profile_id="jordan-lee")


def _sends(fake: FakeConnectSafely) -> int:
    return len(fake.requests_to(SEND, "POST"))


async def test_a_reply_by_webhook_between_two_steps_stops_the_follow_up(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    replies: list[MessageReceived] = []

    async def on_event(event: Any) -> None:
        if isinstance(event, MessageReceived):
            replies.append(event)

    fake.add_webhook(WebhookReceiver(SECRET, on_event), SECRET, retry_delays=(0, 0))
    # Step 1: the first message of the campaign, to a profile without a thread yet.
    first = await client.conversations.send(
        "Hi Jane, glad we connected!", recipient_profile_id="jane-doe", idempotency_key="c1:jane:1"
    )
    assert first.sent_message is not None and first.sent_message.sent_at is not None
    step_one = first.sent_message.sent_at
    found = await client.conversations.exists("jane-doe")
    assert found.conversation_urn is not None
    # Between the steps, Jane answers: the receiver hears it by webhook.
    fake.clock.advance(2 * HOUR)
    reply = await fake.receive_message(found.conversation_urn, "Thanks, not interested.")
    assert [event.text for event in replies] == ["Thanks, not interested."]
    fake.clock.advance(22 * HOUR)
    # Step 2: the follow-up, guarded since step 1.
    with pytest.raises(ProspectRepliedError) as caught:
        await client.conversations.send(
            "Just bumping this up!",
            recipient_profile_id="jane-doe",
            idempotency_key="c1:jane:2",
            unless_replied_since=step_one,
        )
    error = caught.value
    assert isinstance(error, connectsafely.ConnectSafelyError)
    assert error.message_urn == reply.message_urn and error.idempotency_key == "c1:jane:2"
    assert error.sent_at == NOON + timedelta(hours=2)
    assert error.reply is not None and error.reply.text == "Thanks, not interested."
    assert "not interested" not in str(error)  # the reply's text stays out of the message
    assert _sends(fake) == 1  # the follow-up never went out
    assert [m.text for m in fake.conversations[found.conversation_urn].messages] == [
        "Hi Jane, glad we connected!",
        "Thanks, not interested.",
    ]


async def test_without_a_reply_the_follow_up_goes_and_the_owners_messages_do_not_count(
    client: AsyncClient, fake: FakeConnectSafely, thread: FakeConversation
) -> None:
    fake.add_message(thread, "Earlier they wrote this", from_owner=False)  # before step 1
    fake.clock.advance(HOUR)
    step_one = fake.clock.now()
    fake.add_message(thread, "Step 1 from us", from_owner=True)
    fake.clock.advance(HOUR)
    result = await client.conversations.send(
        "Step 2", conversation_urn=thread.urn, unless_replied_since=step_one
    )
    assert not result.replayed and _sends(fake) == 1
    reads = fake.requests_to(messages_path(thread.urn))
    assert len(reads) == 1  # the guard costs one read
    assert reads[0].query["since"] == str(int(step_one.timestamp() * 1000))
    # Our own step 2 is newer than step 1 too: still no reply, step 3 goes.
    await client.conversations.send(
        "Step 3", conversation_urn=thread.urn, unless_replied_since=step_one
    )
    assert _sends(fake) == 2


async def test_a_reply_at_exactly_the_given_time_is_not_newer(
    client: AsyncClient, fake: FakeConnectSafely, thread: FakeConversation
) -> None:
    at = fake.clock.now()
    fake.add_message(thread, "Sent at the same millisecond")
    await client.conversations.send(
        "Follow-up", conversation_urn=thread.urn, unless_replied_since=at
    )
    assert _sends(fake) == 1
    fake.clock.advance(0.001)
    fake.add_message(thread, "One millisecond later")
    with pytest.raises(ProspectRepliedError):
        await client.conversations.send(
            "Again", conversation_urn=thread.urn, unless_replied_since=at
        )
    assert _sends(fake) == 1


async def test_a_profile_without_a_thread_has_not_replied(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.conversations.send(
        "Hi Jane", recipient_profile_id="jane-doe", unless_replied_since=NOON - timedelta(days=1)
    )
    assert _sends(fake) == 1
    assert len(fake.requests_to(EXISTS)) == 1
    assert not [r for r in fake.requests if r.path.endswith("/messages")]


async def test_the_key_of_a_skipped_send_is_released(
    client: AsyncClient, fake: FakeConnectSafely, thread: FakeConversation
) -> None:
    since = fake.clock.now()
    fake.clock.advance(1)
    fake.add_message(thread, "Stop please")
    for _ in range(2):  # the same step again: skipped again, never "in progress"
        with pytest.raises(ProspectRepliedError):
            await client.conversations.send(
                "Follow-up",
                conversation_urn=thread.urn,
                idempotency_key="k",
                unless_replied_since=since,
            )
    # Released, not recorded: the key can still send (the user decided to answer).
    result = await client.conversations.send(
        "Follow-up", conversation_urn=thread.urn, idempotency_key="k"
    )
    assert not result.replayed and _sends(fake) == 1


async def test_the_guard_is_not_part_of_the_keys_request(
    client: AsyncClient, fake: FakeConnectSafely, thread: FakeConversation
) -> None:
    earlier = fake.clock.now()
    fake.clock.advance(HOUR)
    first = await client.conversations.send(
        "Follow-up", conversation_urn=thread.urn, idempotency_key="k", unless_replied_since=earlier
    )
    # A re-run that moved the guard's time replays the delivered key (no ValueError), and
    # a delivered key needs no read at all.
    reads = len(fake.requests_to(messages_path(thread.urn)))
    again = await client.conversations.send(
        "Follow-up",
        conversation_urn=thread.urn,
        idempotency_key="k",
        unless_replied_since=fake.clock.now(),
    )
    assert again.replayed and not first.replayed and _sends(fake) == 1
    assert len(fake.requests_to(messages_path(thread.urn))) == reads


async def test_the_guard_reads_after_the_claim(
    make_client: Any, fake: FakeConnectSafely, thread: FakeConversation
) -> None:
    """The key is claimed before the guard reads: of two workers holding the same
    follow-up, only the claim holder can pass the guard and send."""
    reads_at_claim: list[int] = []

    class Watched(MemoryStore):
        async def claim(self, key: str, digest: str, now: float) -> Claim:
            reads_at_claim.append(len(fake.requests_to(messages_path(thread.urn))))
            return await super().claim(key, digest, now)

    since = fake.clock.now()
    async with make_client(store=Watched()) as client:
        await client.conversations.send(
            "Follow-up",
            conversation_urn=thread.urn,
            idempotency_key="k",
            unless_replied_since=since,
        )
    assert reads_at_claim == [0]
    assert len(fake.requests_to(messages_path(thread.urn))) == 1 and _sends(fake) == 1


@pytest.mark.parametrize("status", [500, 404])
async def test_a_guard_that_cannot_read_sends_nothing_and_releases_the_key(
    client: AsyncClient, fake: FakeConnectSafely, thread: FakeConversation, status: int
) -> None:
    fake.fail_next(status, count=9, path=messages_path(thread.urn))
    with pytest.raises(connectsafely.APIStatusError) as caught:
        await client.conversations.send(
            "Follow-up", conversation_urn=thread.urn, idempotency_key="k", unless_replied_since=NOON
        )
    assert caught.value.status_code == status
    assert any("stop-on-reply" in note for note in getattr(caught.value, "__notes__", ()))
    assert _sends(fake) == 0  # never retried as if the send had failed
    fake.clear_faults()
    result = await client.conversations.send(
        "Follow-up", conversation_urn=thread.urn, idempotency_key="k", unless_replied_since=NOON
    )
    assert not result.replayed and _sends(fake) == 1  # released, not left in doubt


async def test_a_skipped_send_uses_no_quota(make_client: Any, fake: FakeConnectSafely) -> None:
    thread = fake.add_conversation(recipient_profile_id="jane-doe")
    since = fake.clock.now()
    fake.clock.advance(1)
    fake.add_message(thread, "No thanks")
    limits = connectsafely.Limits(daily_new_conversations=1)
    async with make_client(limits=limits) as client:
        with pytest.raises(ProspectRepliedError):
            await client.conversations.send(
                "Hi", recipient_profile_id="jane-doe", unless_replied_since=since
            )
        # The one new conversation of the day is still there for someone else.
        await client.conversations.send("Hi Sam", recipient_profile_id="sam-roe")
    assert _sends(fake) == 1


@pytest.mark.parametrize(
    ("since", "error", "match"),
    [
        (datetime(2026, 3, 2, 12, 0), ValueError, "unless_replied_since must be a timezone-aware"),
        (1_772_000_000_000, TypeError, "unless_replied_since must be an aware datetime"),
        ("2026-03-02", TypeError, "unless_replied_since must be an aware datetime"),
    ],
)
async def test_a_bad_guard_time_is_refused_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, since: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        await client.conversations.send(
            "Hi",
            conversation_urn="urn:li:msg_conversation:1",
            unless_replied_since=since,  # type: ignore[arg-type]
        )
    assert fake.requests == []


async def test_a_send_by_profile_urn_alone_cannot_be_guarded(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(ValueError, match="unless_replied_since needs a conversation"):
        await client.conversations.send(
            "Hi", recipient_profile_urn=fake.profiles["jane-doe"].urn, unless_replied_since=NOON
        )
    assert fake.requests == []


async def test_send_many_reports_skipped_replies_and_counts_them(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    since = fake.clock.now()
    quiet = fake.add_conversation(recipient_profile_id="ana-lima")
    replied = fake.add_conversation(recipient_profile_id="bo-chen")
    fake.clock.advance(HOUR)
    answer = fake.add_message(replied, "Not now, thanks")
    requests = [
        SendRequest(
            "Bump", conversation_urn=quiet.urn, unless_replied_since=since, idempotency_key="a"
        ),
        SendRequest(
            "Bump", conversation_urn=replied.urn, unless_replied_since=since, idempotency_key="b"
        ),
        SendRequest("", conversation_urn=quiet.urn, unless_replied_since=since),  # invalid
    ]
    progress: list[connectsafely.Progress] = []
    batch = client.conversations.send_many(requests, on_progress=progress.append)
    outcomes = await collect_in_order(batch)
    sent, skipped, invalid = outcomes
    assert sent.ok and sent.skipped_reply is None
    assert not skipped.ok and skipped.error is None and skipped.result is None
    assert (
        skipped.skipped_reply is not None
        and skipped.skipped_reply.message_urn == answer.message_urn
    )
    assert isinstance(invalid.error, ValueError)
    summary = batch.summary
    assert (summary.done, summary.failed, summary.skipped_reply) == (3, 1, 1)
    assert progress[-1].skipped_reply == 1 and progress[-1].succeeded == 1
    assert _sends(fake) == 1
    # Item b's key was released: the same request without the guard now sends.
    again = await client.conversations.send(
        "Bump", conversation_urn=replied.urn, idempotency_key="b"
    )
    assert not again.replayed and _sends(fake) == 2


def test_the_error_pickles_with_its_reply() -> None:
    reply = connectsafely.Message("urn:li:msg_message:1", text="No", sent_at=NOON)
    error = ProspectRepliedError(
        "replied", message_urn=reply.message_urn, sent_at=NOON, idempotency_key="k", reply=reply
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ProspectRepliedError and str(copy) == "replied"
    assert (copy.message_urn, copy.sent_at, copy.idempotency_key, copy.reply) == (
        "urn:li:msg_message:1",
        NOON,
        "k",
        reply,
    )
    assert copy.sent_at is not None and copy.sent_at.tzinfo is timezone.utc
