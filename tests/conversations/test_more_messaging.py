"""The rest of the messaging API (design §12): read state, typing, open profiles, InMail
credits and Sales Navigator — each call's wire form, decoded fields, checks and errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely

pytestmark = pytest.mark.anyio

URN = "urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo"


@pytest.fixture
def navigator(fake: FakeConnectSafely) -> str:
    account = fake.add_account("5f0c0ffee0c0ffee0c0ffee0", name="Nav", sales_navigator=True)
    account.inmail_credits = 42
    return account.account_id


def sales_thread(fake: FakeConnectSafely, account: str, who: str, **state: Any) -> Any:
    conversation = fake.add_conversation(
        account_id=account, kind="sales_navigator", recipient_profile_id=who
    )
    fake.add_message(conversation, f"Hello from {who}")
    for name, value in state.items():
        setattr(conversation, name, value)
    return conversation


# -- read state and presence ----------------------------------------------------------------


async def test_mark_seen_posts_the_urn_and_clears_unread(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    conversation.unread, conversation.unread_count = True, 3
    result = await client.conversations.mark_seen(
        conversation.urn, account_id=fake.default_account.account_id
    )
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/linkedin/messaging/mark-seen")
    assert request.json() == {
        "accountId": fake.default_account.account_id,
        "conversationUrn": conversation.urn,
    }
    assert result.conversation_urn == conversation.urn
    assert result.message == "Conversation marked as seen successfully"
    assert conversation.unread_count == 0 and not conversation.unread


async def test_mark_all_read_and_typing(client: AsyncClient, fake: FakeConnectSafely) -> None:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    conversation.unread_count = 2
    done = await client.conversations.mark_all_read()
    typing = await client.conversations.send_typing(conversation.urn)
    assert done.account_id == fake.default_account.account_id and conversation.unread_count == 0
    assert typing.conversation_urn == conversation.urn
    assert typing.message == "Typing indicator sent successfully"
    assert [(r.path, r.json()) for r in fake.requests] == [
        ("/linkedin/messaging/mark-all-read", {}),
        ("/linkedin/messaging/typing-indicator", {"conversationUrn": conversation.urn}),
    ]


async def test_an_unknown_conversation_is_the_documented_500(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(max_retries=0) as client:
        with pytest.raises(connectsafely.InternalServerError) as info:
            await client.conversations.mark_seen("urn:li:msg_conversation:(nope,2-x)")
    assert info.value.body["success"] is False  # type: ignore[index]
    assert "Failed to mark conversation as seen" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"profile_id": "open-olga"}, True),
        ({"profile_urn": URN}, False),
    ],
)
async def test_check_email_support(
    client: AsyncClient, fake: FakeConnectSafely, kwargs: dict[str, str], expected: bool
) -> None:
    fake.default_account.open_profiles.add("open-olga")
    support = await client.conversations.check_email_support(**kwargs)
    assert support.supports_free_email is expected
    body = fake.requests[0].json()
    assert body == {"profileId": "open-olga"} if "profile_id" in kwargs else {"profileUrn": URN}
    if "profile_urn" in kwargs:
        assert support.profile_id is None and support.profile_urn == URN


Call = Callable[[AsyncClient], Awaitable[object]]


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda c: c.conversations.mark_seen("not-a-urn"), ValueError, "conversation_urn"),
        (lambda c: c.conversations.send_typing(""), ValueError, "conversation_urn"),
        (lambda c: c.conversations.check_email_support(), ValueError, "profile_id or profile_urn"),
        (
            lambda c: c.conversations.check_email_support(profile_urn="jane"),
            ValueError,
            "profile_urn",
        ),
        (lambda c: c.sales_navigator.thread(""), ValueError, "thread_id"),
        (lambda c: c.sales_navigator.thread("t", message_count=0), ValueError, "message_count"),
        (lambda c: c.sales_navigator.mark_read("  "), ValueError, "thread_id"),
        (lambda c: c.sales_navigator.send("Hi"), ValueError, "thread_id"),
        (lambda c: c.sales_navigator.send(" ", thread_id="t"), ValueError, "body"),
        (lambda c: c.sales_navigator.send("Hi", recipients=URN), TypeError, "recipients"),
        (lambda c: c.sales_navigator.send("Hi", recipients=["jane"]), ValueError, "recipients"),
        (
            lambda c: c.sales_navigator.send("Hi", thread_id="t", copy_to_crm=1),
            TypeError,
            "copy_to_crm",
        ),
        (lambda c: c.accounts.inmail_credits(account_id=" "), ValueError, "account_id"),
    ],
)
async def test_bad_input_is_refused_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, call: Call, error: type, argument: str
) -> None:
    with pytest.raises(error, match=argument):
        await call(client)
    assert fake.requests == []


def test_threads_checks_its_arguments_at_call_time(fake: FakeConnectSafely) -> None:
    client = fake.client()
    with pytest.raises(ValueError, match="filter"):
        client.sales_navigator.threads(filter="STARRED")
    with pytest.raises(ValueError, match="page_size"):
        client.sales_navigator.threads(page_size=0)
    assert fake.requests == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.conversations.mark_all_read(),
        lambda c: c.accounts.inmail_credits(),
        lambda c: c.sales_navigator.mark_read("t"),
    ],
)
async def test_success_false_is_operation_failed(
    client: AsyncClient, fake: FakeConnectSafely, call: Call
) -> None:
    fake.fail_next(200, body={"success": False, "error": "LinkedIn refused"})
    with pytest.raises(connectsafely.OperationFailedError, match="LinkedIn refused"):
        await call(client)
    assert len(fake.requests) == 1  # never retried


async def test_a_5xx_is_retried(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.fail_next(503)
    credits = await client.accounts.inmail_credits()
    assert len(fake.requests) == 2 and credits.premium_type == "FREE"


# -- InMail credits -------------------------------------------------------------------------------


async def test_inmail_credits_of_a_premium_and_a_free_account(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    premium = await client.accounts.inmail_credits(account_id=navigator)
    free = await client.accounts.inmail_credits()
    assert (premium.in_mail_credits, premium.total_credits, premium.used_credits) == (42, 50, 8)
    assert premium.premium_type == "SALES_NAVIGATOR" and premium.account_id == navigator
    assert premium.entity_urn is not None
    assert (free.in_mail_credits, free.premium_type, free.total_credits) == (0, "FREE", None)
    assert fake.requests[0].query == {"accountId": navigator}
    assert fake.requests[1].query == {}


# -- Sales Navigator ----------------------------------------------------------------------------


async def test_threads_walks_offset_pages_with_filters(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    threads = [sales_thread(fake, navigator, f"lead-{n}") for n in range(5)]
    sales_thread(fake, navigator, "old-lead", archived=True)
    sales_thread(fake, navigator, "new-reply", unread_count=2)
    seen = [t async for t in client.sales_navigator.threads(page_size=2, account_id=navigator)]
    assert len(seen) == 6 and all(t.thread_id for t in seen)
    assert {t.thread_id for t in seen} >= {c.thread_id for c in threads}
    queries = [r.query for r in fake.requests]
    assert [q.get("pageStartsAt") for q in queries] == [None, "2", "4"]
    assert all(q["filter"] == "INBOX" and q["count"] == "2" for q in queries)
    unread = [
        t async for t in client.sales_navigator.threads(filter="unread", account_id=navigator)
    ]
    archived = [
        t async for t in client.sales_navigator.threads(filter="ARCHIVED", account_id=navigator)
    ]
    assert [t.raw["unreadCount"] for t in unread] == [2]
    assert [t.raw["archived"] for t in archived] == [True]


async def test_threads_pages_report_the_offsets(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    for n in range(3):
        sales_thread(fake, navigator, f"lead-{n}")
    pages = [
        p async for p in client.sales_navigator.threads(page_size=2, account_id=navigator).pages()
    ]
    assert [p.next_page_starts_at for p in pages] == [2, None]
    assert pages[0].paging == {"start": 0, "count": 2, "total": 3}
    assert pages[0].account_id == navigator


async def test_a_repeated_offset_stops_with_pagination_error(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    page = {"success": True, "threads": [{"threadId": "t1"}], "nextPageStartsAt": 1}
    repeat = {"success": True, "threads": [{"threadId": "t2"}], "nextPageStartsAt": 1}
    fake.fail_next(200, body=page)
    fake.fail_next(200, body=repeat)
    with pytest.raises(connectsafely.PaginationError):
        [t async for t in client.sales_navigator.threads(account_id=navigator)]


async def test_one_thread_keeps_the_raw_object_and_encodes_the_id(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    conversation = sales_thread(fake, navigator, "priya-shah")
    thread = await client.sales_navigator.thread(
        conversation.thread_id, message_count=1, account_id=navigator
    )
    assert thread.thread_id == conversation.thread_id
    assert [m["text"] for m in thread.raw["messages"]] == ["Hello from priya-shah"]
    request = fake.requests[0]
    assert request.query == {"messageCount": "1", "accountId": navigator}
    assert "/" not in request.raw_path.rsplit("/threads/", 1)[1]  # one segment, encoded
    with pytest.raises(TypeError):
        thread.raw["extra"] = 1  # type: ignore[index]
    with pytest.raises(connectsafely.NotFoundError):
        await client.sales_navigator.thread("no/such thread", account_id=navigator)
    assert fake.requests[-1].raw_path.endswith("/threads/no%2Fsuch%20thread")


async def test_mark_read_and_send(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    conversation = sales_thread(fake, navigator, "priya-shah", unread_count=1)
    marked = await client.sales_navigator.mark_read(conversation.thread_id, account_id=navigator)
    assert (marked.thread_id, marked.account_id) == (conversation.thread_id, navigator)
    assert conversation.unread_count == 0
    reply = await client.sales_navigator.send(
        "Thanks!", thread_id=conversation.thread_id, account_id=navigator, copy_to_crm=True
    )
    assert reply.thread_id == conversation.thread_id and reply.message_id
    assert fake.requests[-1].json() == {
        "body": "Thanks!",
        "threadId": conversation.thread_id,
        "copyToCrm": True,
        "accountId": navigator,
    }
    cold = await client.sales_navigator.send("Hi!", recipients=[URN], account_id=navigator)
    assert cold.thread_id and cold.thread_id != conversation.thread_id
    assert [s.channel for s in fake.sends] == ["sales_navigator", "sales_navigator"]


async def test_sales_navigator_send_is_at_most_once_per_key(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    conversation = sales_thread(fake, navigator, "priya-shah")
    first = await client.sales_navigator.send(
        "Hi!", thread_id=conversation.thread_id, account_id=navigator, idempotency_key="sn-1"
    )
    again = await client.sales_navigator.send(
        "Hi!", thread_id=conversation.thread_id, account_id=navigator, idempotency_key="sn-1"
    )
    assert not first.replayed and again.replayed and again.message_id == first.message_id
    assert len(fake.sends) == 1
    # No way to check a lost answer: in doubt, never sent twice.
    fake.fail_next(500, path="/linkedin/sales-nav/send", after_processing=True)
    with pytest.raises(connectsafely.SendInDoubtError):
        await client.sales_navigator.send(
            "Again?", thread_id=conversation.thread_id, account_id=navigator, idempotency_key="sn-2"
        )
    assert len(fake.sends) == 2


async def test_sales_navigator_replies_do_not_count_as_new_conversations(
    make_client: Any, fake: FakeConnectSafely, navigator: str
) -> None:
    conversation = sales_thread(fake, navigator, "priya-shah")
    limits = connectsafely.Limits(daily_new_conversations=1)
    async with make_client(limits=limits) as client:
        await client.sales_navigator.send("Hi!", recipients=[URN], account_id=navigator)
        for text in ("Following up", "One more thing"):  # replies: not refused locally
            await client.sales_navigator.send(
                text, thread_id=conversation.thread_id, account_id=navigator
            )
        with pytest.raises(connectsafely.QuotaExceededError):  # a second thread is
            await client.sales_navigator.send("Hi!", recipients=[URN], account_id=navigator)
    assert len(fake.sends) == 3


async def test_one_key_cannot_cross_from_a_send_to_a_sales_navigator_send(
    client: AsyncClient, fake: FakeConnectSafely, navigator: str
) -> None:
    conversation = sales_thread(fake, navigator, "priya-shah")
    await client.conversations.send(
        "Hi!", conversation_urn=conversation.urn, account_id=navigator, idempotency_key="k-1"
    )
    with pytest.raises(ValueError, match="k-1"):  # a different request under a used key
        await client.sales_navigator.send(
            "Hi!", thread_id=conversation.thread_id, account_id=navigator, idempotency_key="k-1"
        )
    assert len(fake.sends) == 1


async def test_a_sales_navigator_send_without_the_seat_is_a_bad_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(connectsafely.BadRequestError, match="Send failed"):
        await client.sales_navigator.send("Hi!", recipients=[URN])
