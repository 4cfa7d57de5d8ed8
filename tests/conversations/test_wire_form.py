"""The wire form held against the published endpoint reference (design §13, issue 23).

Each test fails on the form the SDK had before: the response's ``accountId`` of a Sales
Navigator thread, JSON ``null`` where an array belongs (M2), the typed sent message
(M4) and the deterministic 500 of the read-state calls (M12). Bodies the fake would not
send itself are answered through ``fake.fail_next(200, body=...)``, over both wires.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, Message, SentMessage
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON, SEND, messages_path

pytestmark = pytest.mark.anyio

NAVIGATOR = "5f0c0ffee0c0ffee0c0ffee0"
SENT_FIELDS = {
    "messageUrn",
    "text",
    "sentAt",
    "senderProfileId",
    "senderName",
    "senderPhoto",
    "isSentByOwner",
}


def sales_thread(fake: FakeConnectSafely) -> Any:
    fake.add_account(NAVIGATOR, name="Nav", sales_navigator=True)
    conversation = fake.add_conversation(
        account_id=NAVIGATOR, kind="sales_navigator", recipient_profile_id="priya-shah"
    )
    fake.add_message(conversation, "Hello from Priya")
    return conversation


# -- accountId: every result that carries it ------------------------------------------------


async def test_a_sales_navigator_thread_carries_the_responses_account(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = sales_thread(fake)
    one = await client.sales_navigator.thread(conversation.thread_id, account_id=NAVIGATOR)
    assert one.account_id == NAVIGATOR
    listed = [t async for t in client.sales_navigator.threads(account_id=NAVIGATOR)]
    assert [t.account_id for t in listed] == [NAVIGATOR]
    assert pickle.loads(pickle.dumps(one)).account_id == NAVIGATOR


async def test_a_thread_answer_without_an_account_leaves_it_none(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True, "thread": {"threadId": "t-1"}})
    thread = await client.sales_navigator.thread("t-1")
    assert (thread.thread_id, thread.account_id) == ("t-1", None)


# -- M2: null where an array belongs is an empty array ---------------------------------------


def message_json(urn: str, **extra: Any) -> dict[str, Any]:
    return {
        "messageUrn": urn,
        "text": "Sure, Tuesday works.",
        "sentAt": 1_771_950_346_603,
        "isSentByOwner": False,
        "hasAttachment": False,
        **extra,
    }


async def test_a_message_with_null_arrays_does_not_lose_its_page(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    page = {
        "success": True,
        # The predecessor endpoint's form: null for "none".
        "messages": [
            message_json("urn:li:msg_message:1", attachments=None, reactions=None),
            message_json("urn:li:msg_message:2", attachments=[]),
        ],
        "participants": None,
        "hasMore": False,
    }
    fake.fail_next(200, body=page, path=messages_path(urn))
    [decoded] = [p async for p in client.conversations.messages(urn).pages()]
    messages = decoded.messages
    assert [m.message_urn for m in messages] == ["urn:li:msg_message:1", "urn:li:msg_message:2"]
    assert [m.attachments for m in messages] == [(), ()]
    assert decoded.participants == ()


def first_page(pager: Any) -> Any:
    return pager.pages().__anext__()


@pytest.mark.parametrize(
    ("body", "read", "arrays"),
    [
        (
            {"success": True, "conversations": None, "accounts": None, "hasMore": False},
            lambda client: first_page(client.conversations.list()),
            lambda page: [page.conversations, page.accounts],
        ),
        (
            {
                "success": True,
                "conversations": [{"conversationUrn": "urn:li:c:1", "participants": None}],
                "hasMore": False,
            },
            lambda client: first_page(client.conversations.list()),
            lambda page: [page.conversations[0].participants],
        ),
        (
            {"accountId": NAVIGATOR, "quotas": None},
            lambda client: client.accounts.quota(NAVIGATOR),
            lambda quota: [quota.quotas],
        ),
        (
            {"success": True, "accounts": None},
            lambda client: client.conversations.sync_status(),
            lambda status: [status.accounts],
        ),
        (
            {"success": True, "threads": None, "accountId": NAVIGATOR},
            lambda client: first_page(client.sales_navigator.threads()),
            lambda page: [page.threads],
        ),
    ],
    ids=["conversations", "participants", "quotas", "sync-accounts", "threads"],
)
async def test_null_arrays_of_every_envelope_decode_as_empty(
    client: AsyncClient, fake: FakeConnectSafely, body: dict[str, Any], read: Any, arrays: Any
) -> None:
    fake.fail_next(200, body=body)
    decoded = await read(client)
    assert all(value == () for value in arrays(decoded))


async def test_a_wrong_array_still_names_its_path(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    fake.fail_next(200, body={"success": True, "messages": "none"}, path=messages_path(urn))
    with pytest.raises(connectsafely.APIResponseValidationError, match=r"\$\.messages"):
        [m async for m in client.conversations.messages(urn)]


# -- M4: the sent message is a typed Message that still reads as the mapping ------------------


async def test_the_sent_message_is_a_message_and_the_mapping_as_received(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    result = await client.conversations.send("Hi Jane!", recipient_profile_id="jane-doe")
    sent = result.sent_message
    assert isinstance(sent, SentMessage) and isinstance(sent, Message)
    stored = fake.conversations[fake.sends[0].conversation_urn].messages[-1]
    assert sent.message_urn == stored.message_urn and sent.text == "Hi Jane!"
    assert sent.is_sent_by_owner is True
    assert sent.sent_at is not None and int(sent.sent_at.timestamp() * 1000) == stored.sent_at
    # The mapping the API sent, by its wire names (what earlier code indexed).
    assert isinstance(sent, Mapping)
    assert sent["messageUrn"] == stored.message_urn and sent.get("sentAt") == stored.sent_at
    assert "text" in sent and set(sent.keys()) >= SENT_FIELDS
    assert dict(sent) == stored.to_json() == dict(sent.raw)
    assert sent.get("noSuchField") is None
    with pytest.raises(TypeError):
        sent["text"] = "changed"  # type: ignore[index]
    # The typed URN goes straight to the calls that take one.
    reacted = await client.conversations.react(
        fake.sends[0].conversation_urn, sent.message_urn or "", "👍"
    )
    assert reacted.message_urn == stored.message_urn


async def test_an_answer_without_a_sent_message_gives_none(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True, "message": "Message sent"}, path=SEND)
    result = await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    assert result.sent_message is None


async def test_a_replayed_and_a_found_send_keep_the_typed_message(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    first = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k1")
    again = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k1")
    assert again.replayed and isinstance(again.sent_message, SentMessage)
    assert first.sent_message is not None
    assert again.sent_message == first.sent_message
    assert dict(again.sent_message) == dict(first.sent_message)  # the recorded mapping
    # Sent, but the answer is lost: the read-back finds it and builds the same form.
    fake.fail_next(500, path=SEND, after_processing=True)
    found = await client.conversations.send("Again", conversation_urn=urn, idempotency_key="k2")
    assert found.replayed and isinstance(found.sent_message, SentMessage)
    stored = fake.conversations[urn].messages[-1]
    assert found.sent_message.message_urn == stored.message_urn
    assert found.sent_message["messageUrn"] == stored.message_urn
    assert found.sent_message["sentAt"] == stored.sent_at


async def test_the_ledger_keeps_the_mapping_as_received(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    wire = message_json("urn:li:msg_message:9", text="Hi!", isSentByOwner=True, newField=[1])
    fake.fail_next(200, path=SEND, body={"success": True, "sentMessage": wire})
    first = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    again = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert again.replayed and again.sent_message is not None
    assert dict(again.sent_message) == wire and again.sent_message["newField"] == [1]
    assert again.sent_message == first.sent_message
    assert len(fake.requests_to(SEND)) == 1


def test_a_send_result_built_by_hand_takes_a_mapping_or_a_message() -> None:
    wire = {"messageUrn": "urn:li:msg_message:1", "sentAt": 1_772_000_000_000, "text": "Hi"}
    from_mapping = connectsafely.SendResult(sent_message=wire).sent_message
    from_message = connectsafely.SendResult(sent_message=Message(text="Hi")).sent_message
    assert isinstance(from_mapping, SentMessage) and from_mapping.message_urn == wire["messageUrn"]
    assert dict(from_mapping) == wire
    assert isinstance(from_message, SentMessage) and from_message["text"] == "Hi"
    assert pickle.loads(pickle.dumps(from_mapping)) == from_mapping
    with pytest.raises(TypeError, match="sent_message"):
        connectsafely.SendResult(sent_message=42)  # type: ignore[arg-type]


# -- M12: the documented 500 for an unknown conversation is not retried --------------------------


@pytest.mark.parametrize("call", ["mark_seen", "send_typing"])
async def test_an_unknown_conversation_500_is_raised_at_once_and_says_why(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float], call: str
) -> None:
    unknown = "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAnobody,2-bm9wZQ==)"
    with pytest.raises(connectsafely.InternalServerError) as info:
        await getattr(client.conversations, call)(unknown)
    assert info.value.status_code == 500
    assert "no such conversation" in str(info.value) and "not retried" in str(info.value)
    assert len(fake.requests) == 1 and sleeps == []


async def test_another_500_of_mark_seen_is_still_retried(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    urn = fake.add_conversation().urn
    fake.fail_next(500, path="/linkedin/messaging/mark-seen")  # a plain server fault
    result = await client.conversations.mark_seen(urn)
    assert result.conversation_urn == urn
    assert len(fake.requests) == 2 and len(sleeps) == 1


# -- M11: the quota 429 carries only the documented headers, and that is enough --------------


async def test_the_quota_429_needs_no_action_or_used_header(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    fake.default_account.daily_quota = 0
    with pytest.raises(connectsafely.QuotaExceededError) as info:
        await client.conversations.send("Hi", recipient_profile_id="cold-lead")
    assert info.value.response is not None
    headers = info.value.response.headers
    assert "x-ratelimit-action" not in headers and "x-ratelimit-used" not in headers
    assert info.value.retry_after == 12 * 3600
    assert fake.sends == []
