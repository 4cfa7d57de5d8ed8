"""Inbox calls: exists, sync, sync status, refresh, star/unstar/mark-unread, delete, react."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import pytest

import connectsafely
from connectsafely import (
    AccountSyncStatus,
    AsyncClient,
    ConversationActionResult,
    ConversationExists,
    DeleteMessageResult,
    ReactionResult,
    RefreshResult,
    SyncResult,
    SyncState,
    SyncStatus,
)
from connectsafely.testing import FakeConnectSafely, FakeConversation, FakeMessage
from tests._support import ODD_URN

pytestmark = pytest.mark.anyio


def thread_with_messages(fake: FakeConnectSafely, urn: str | None = None) -> FakeConversation:
    conversation = fake.add_conversation(urn=urn, recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 4)  # messages 2 and 4 are from the owner
    return conversation


def own_message(conversation: FakeConversation) -> FakeMessage:
    return next(m for m in conversation.messages if m.is_sent_by_owner)


def their_message(conversation: FakeConversation) -> FakeMessage:
    return next(m for m in conversation.messages if not m.is_sent_by_owner)


# -- exists ----------------------------------------------------------------------------


async def test_exists_reports_an_existing_thread_to_reply_into(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    found = await client.conversations.exists("jordan-lee")
    assert found == ConversationExists(
        has_conversation=True,
        conversation_urn=conversation.urn,
        profile_urn=conversation.recipient_profile_urn,
        account_id=fake.default_account_id,
    )
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", "/linkedin/conversations/exists/jordan-lee")


async def test_exists_is_false_before_a_cold_send_and_true_after(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    before = await client.conversations.exists("new-person-1")
    assert not before.has_conversation
    assert before.conversation_urn is None
    await client.conversations.send("Hi!", recipient_profile_id="new-person-1")
    after = await client.conversations.exists("new-person-1")
    assert after.has_conversation
    assert after.conversation_urn == fake.sends[0].conversation_urn


async def test_exists_encodes_the_profile_id_as_one_path_segment(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.conversations.exists("odd/slug?x=1#y")
    [request] = fake.requests
    assert request.raw_path == "/linkedin/conversations/exists/" + quote("odd/slug?x=1#y", safe="")
    assert request.segments[-1] == "odd/slug?x=1#y"
    assert request.query == {}


async def test_exists_sends_the_account_id(make_client: Any, fake: FakeConnectSafely) -> None:
    other = fake.add_account()
    async with make_client(account_id=other.account_id) as client:
        result = await client.conversations.exists("jordan-lee")
    assert result.account_id == other.account_id
    assert fake.requests[0].query == {"accountId": other.account_id}


@pytest.mark.parametrize(
    ("profile_id", "error"), [("", ValueError), ("  ", ValueError), ("..", ValueError),
                              ("a\nb", ValueError), (None, TypeError), (42, TypeError)]
)  # fmt: skip
async def test_exists_rejects_bad_profile_ids_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, profile_id: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="profile_id"):
        await client.conversations.exists(profile_id)
    assert fake.requests == []


# -- sync, status, refresh -------------------------------------------------------------


async def test_sync_runs_to_completion_and_reports_counts(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    thread_with_messages(fake)
    result = await client.conversations.sync()
    assert isinstance(result, SyncResult)
    assert result.account_id == fake.default_account_id
    assert (result.conversations_processed, result.messages_processed) == (1, 4)
    assert result.duration_ms is not None
    assert result.duration_seconds == f"{result.duration_ms / 1000:.2f}"
    assert result.error is None
    request = fake.requests[0]
    assert (request.method, request.path) == ("POST", "/linkedin/conversations/sync")
    assert request.json() == {"force": False}
    assert request.idempotency_key


async def test_sync_force_goes_on_the_wire_and_skips_the_cooldown(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    thread_with_messages(fake)
    async with make_client(account_id=fake.default_account_id) as client:
        await client.conversations.sync()
        skipped = await client.conversations.sync()
        forced = await client.conversations.sync(force=True)
    assert skipped.conversations_processed == 0
    assert forced.conversations_processed == 1
    assert fake.requests[2].json() == {"force": True, "accountId": fake.default_account_id}


async def test_sync_partial_failure_is_reported_not_raised(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.sync_state().fail_next_with = "LinkedIn session expired"
    result = await client.conversations.sync()
    assert result.error == "LinkedIn session expired"
    status = await client.conversations.sync_status()
    state = status.accounts[0].sync_state
    assert state is not None
    assert state.consecutive_failures == 1
    assert state.last_error == "LinkedIn session expired"


async def test_sync_status_lists_every_account_or_just_the_one_asked_for(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    other = fake.add_account(name="Other Owner")
    thread_with_messages(fake)
    before = await client.conversations.sync_status()
    assert [a.account_id for a in before.accounts] == [fake.default_account_id, other.account_id]
    assert before.accounts[0].sync_state == SyncState(
        last_sync_at=None,
        sync_in_progress=False,
        total_conversations=0,
        total_messages=0,
        consecutive_failures=0,
        last_error=None,
        initial_sync_completed=False,
    )
    await client.conversations.sync()
    after = await client.conversations.sync_status(account_id=fake.default_account_id)
    assert isinstance(after, SyncStatus)
    [account] = after.accounts
    assert isinstance(account, AccountSyncStatus)
    assert account.account_name == "Alex Rivera"
    assert account.sync_state is not None
    assert account.sync_state.initial_sync_completed
    assert account.sync_state.total_messages == 4
    synced_at = account.sync_state.last_sync_at
    assert synced_at is not None
    assert synced_at.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - synced_at).total_seconds()) < 60
    assert fake.requests[-1].query == {"accountId": fake.default_account_id}


async def test_refresh_starts_a_background_refresh(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake, urn=ODD_URN)
    result = await client.conversations.refresh(conversation.urn)
    assert result == RefreshResult(
        message="Conversation refresh started",
        conversation_urn=ODD_URN,
        account_id=fake.default_account_id,
    )
    assert fake.refreshes == [ODD_URN]
    assert fake.requests[0].json() == {"conversationUrn": ODD_URN}


async def test_refresh_of_an_unknown_conversation_raises_not_found(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(connectsafely.NotFoundError, match="Conversation not found"):
        await client.conversations.refresh("urn:li:msg_conversation:(x,2-nope)")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.conversations.sync(force="yes"), TypeError),
        (lambda c: c.conversations.sync(account_id=""), ValueError),
        (lambda c: c.conversations.sync_status(account_id=7), TypeError),
        (lambda c: c.conversations.refresh("not-a-urn"), ValueError),
        (lambda c: c.conversations.refresh(None), TypeError),
    ],
)
async def test_sync_and_refresh_validate_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, call: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert fake.requests == []


# -- star, unstar, mark unread ---------------------------------------------------------


async def test_star_and_unstar_change_the_conversation(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake, urn=ODD_URN)
    starred = await client.conversations.star(ODD_URN)
    assert starred == ConversationActionResult(conversation_urn=ODD_URN)
    assert conversation.starred
    await client.conversations.unstar(ODD_URN)
    assert not conversation.starred
    assert [(r.method, r.segments[-1]) for r in fake.requests] == [
        ("PATCH", "star"),
        ("PATCH", "unstar"),
    ]


async def test_mark_unread_shows_up_in_the_unread_filter(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake)
    thread_with_messages(fake, urn="urn:li:fs_conversation:2-b3RoZXI=")
    await client.conversations.mark_unread(conversation.urn)
    unread = [c.conversation_urn async for c in client.conversations.list(unread_only=True)]
    assert unread == [conversation.urn]


@pytest.mark.parametrize("action", ["star", "unstar", "mark_unread"])
async def test_thread_actions_encode_the_urn_and_carry_no_idempotency_key(
    client: AsyncClient, fake: FakeConnectSafely, action: str
) -> None:
    thread_with_messages(fake, urn=ODD_URN)
    await getattr(client.conversations, action)(ODD_URN)
    [request] = fake.requests
    suffix = action.replace("_", "-")
    assert request.raw_path == f"/linkedin/conversations/{quote(ODD_URN, safe='')}/{suffix}"
    assert request.segments[2] == ODD_URN
    assert request.idempotency_key is None
    assert request.query == {}  # the server resolves the account from the conversation


@pytest.mark.parametrize("action", ["star", "unstar", "mark_unread"])
async def test_thread_actions_on_an_unknown_conversation_raise_not_found(
    client: AsyncClient, fake: FakeConnectSafely, action: str
) -> None:
    with pytest.raises(connectsafely.NotFoundError):
        await getattr(client.conversations, action)("urn:li:fs_conversation:2-bm9uZQ==")


@pytest.mark.parametrize("action", ["star", "unstar", "mark_unread"])
@pytest.mark.parametrize(
    ("urn", "error"), [("", ValueError), ("conversation-1", ValueError), (None, TypeError)]
)
async def test_thread_actions_reject_non_urns_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, action: str, urn: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="conversation_urn"):
        await getattr(client.conversations, action)(urn)
    assert fake.requests == []


# -- delete and react ------------------------------------------------------------------


async def test_delete_message_recalls_the_accounts_own_message(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake, urn=ODD_URN)
    mine = own_message(conversation)
    result = await client.conversations.delete_message(ODD_URN, mine.message_urn)
    assert result == DeleteMessageResult(message_urn=mine.message_urn)
    assert mine not in conversation.messages
    [request] = fake.requests
    assert request.method == "DELETE"
    assert request.raw_path == (
        f"/linkedin/conversations/{quote(ODD_URN, safe='')}/messages/"
        f"{quote(mine.message_urn, safe='')}"
    )
    assert request.segments[2:] == (ODD_URN, "messages", mine.message_urn)
    assert request.idempotency_key is None


async def test_deleting_someone_elses_message_is_a_bad_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake)
    theirs = their_message(conversation)
    with pytest.raises(connectsafely.BadRequestError, match="only delete messages you sent"):
        await client.conversations.delete_message(conversation.urn, theirs.message_urn)
    assert theirs in conversation.messages


async def test_deleting_a_missing_message_raises_not_found(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake)
    mine = own_message(conversation)
    await client.conversations.delete_message(conversation.urn, mine.message_urn)
    with pytest.raises(connectsafely.NotFoundError, match="Message not found"):
        await client.conversations.delete_message(conversation.urn, mine.message_urn)


async def test_delete_and_react_send_the_account_id(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    other = fake.add_account()
    conversation = fake.add_conversation(account_id=other.account_id)
    fake.seed_messages(conversation, 2)
    mine = own_message(conversation)
    async with make_client() as client:
        await client.conversations.react(
            conversation.urn, mine.message_urn, "🎉", account_id=other.account_id
        )
        await client.conversations.delete_message(
            conversation.urn, mine.message_urn, account_id=other.account_id
        )
    assert [r.query for r in fake.requests] == [{"accountId": other.account_id}] * 2


async def test_react_adds_and_removes_an_emoji(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake, urn=ODD_URN)
    theirs = their_message(conversation)
    added = await client.conversations.react(ODD_URN, theirs.message_urn, "👍")
    assert added == ReactionResult(message_urn=theirs.message_urn, emoji="👍", react=True)
    assert theirs.reactions == {"👍"}
    removed = await client.conversations.react(ODD_URN, theirs.message_urn, "👍", react=False)
    assert removed.react is False
    assert theirs.reactions == set()
    first, second = fake.requests
    assert first.method == "POST"
    assert first.segments[2:] == (ODD_URN, "messages", theirs.message_urn, "react")
    assert first.json() == {"emoji": "👍", "react": True}
    assert second.json() == {"emoji": "👍", "react": False}
    assert first.idempotency_key
    assert first.idempotency_key != second.idempotency_key


async def test_a_retried_react_keeps_its_idempotency_key(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake)
    theirs = their_message(conversation)
    fake.fail_next(503)
    await client.conversations.react(conversation.urn, theirs.message_urn, "👍")
    first, second = fake.requests
    assert first.idempotency_key == second.idempotency_key


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "argument"),
    [
        (("urn:li:x:1", "urn:li:m:1", ""), {}, ValueError, "emoji"),
        (("urn:li:x:1", "urn:li:m:1", "👍" * 40), {}, ValueError, "emoji"),
        (("urn:li:x:1", "urn:li:m:1", None), {}, TypeError, "emoji"),
        (("urn:li:x:1", "urn:li:m:1", "👍", "yes"), {}, TypeError, "react"),
        (("urn:li:x:1", "message-1", "👍"), {}, ValueError, "message_urn"),
        (("thread", "urn:li:m:1", "👍"), {}, ValueError, "conversation_urn"),
        (("urn:li:x:1", "urn:li:m:1", "👍"), {"account_id": " "}, ValueError, "account_id"),
    ],
)
async def test_react_validates_before_any_request(
    client: AsyncClient,
    fake: FakeConnectSafely,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    argument: str,
) -> None:
    with pytest.raises(error, match=argument):
        await client.conversations.react(*args, **kwargs)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("conversation_urn", "message_urn", "argument"),
    [("nope", "urn:li:m:1", "conversation_urn"), ("urn:li:x:1", "", "message_urn")],
)
async def test_delete_message_validates_before_any_request(
    client: AsyncClient,
    fake: FakeConnectSafely,
    conversation_urn: str,
    message_urn: str,
    argument: str,
) -> None:
    with pytest.raises(ValueError, match=argument):
        await client.conversations.delete_message(conversation_urn, message_urn)
    assert fake.requests == []


# -- deprecated endpoints and redirects ------------------------------------------------


async def test_a_307_on_a_post_is_not_followed_into_another_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = thread_with_messages(fake)
    theirs = their_message(conversation)
    fake.fail_next(307, headers={"Location": "/linkedin/messaging/conversation-details"})
    with pytest.raises(connectsafely.APIStatusError, match="does not follow redirects") as info:
        await client.conversations.react(conversation.urn, theirs.message_urn, "👍")
    assert info.value.status_code == 307
    assert len(fake.requests) == 1  # not retried, not re-sent elsewhere
    assert theirs.reactions == set()
