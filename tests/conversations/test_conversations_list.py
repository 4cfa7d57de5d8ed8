"""Listing conversations: `client.conversations.list` and its `AsyncPager`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

import connectsafely
from connectsafely import (
    AsyncClient,
    AsyncPager,
    Conversation,
    ConversationsPage,
    InboxAccount,
    LatestMessage,
    Participant,
)
from connectsafely.testing import FakeConnectSafely, FakeConversation, RecordedRequest

pytestmark = pytest.mark.anyio

START_MS = 1_771_950_346_603


def seed_inbox(
    fake: FakeConnectSafely, count: int, *, account_id: str | None = None, prefix: str = "p"
) -> list[FakeConversation]:
    """``count`` threads, each with one message, thread i active i minutes after START_MS."""
    threads = []
    for i in range(count):
        kind = "sales_navigator" if i % 5 == 4 else "standard"
        thread = fake.add_conversation(
            account_id=account_id,
            kind=kind,  # type: ignore[arg-type]
            recipient_profile_id=f"{prefix}-person-{i}",
        )
        fake.add_message(thread, f"hello {i}", sent_at=START_MS + i * 60_000)
        threads.append(thread)
    return threads


def newest_first(threads: list[FakeConversation]) -> list[str]:
    return [t.urn for t in sorted(threads, key=lambda t: t.messages[-1].sent_at, reverse=True)]


async def collect_into(pager: AsyncPager[Conversation], got: list[Conversation]) -> None:
    async for conversation in pager:
        got.append(conversation)


def list_requests(fake: FakeConnectSafely) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.path == "/linkedin/conversations"]


# -- walking ---------------------------------------------------------------------------


async def test_list_walks_store_and_linkedin_pages_yielding_each_conversation_once(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    threads = seed_inbox(fake, 97)
    got = [c.conversation_urn async for c in client.conversations.list(page_size=20)]
    assert got == newest_first(threads)
    requests = list_requests(fake)
    assert len(requests) == 5
    assert all(r.query["count"] == "20" for r in requests)
    cursors = [r.query.get("nextCursor") for r in requests]
    assert cursors[0] is None
    # Past the store's 50 rows the server pages LinkedIn; those cursors go back verbatim.
    assert [c.startswith("linkedin:") for c in cursors[1:]] == [False, False, True, True]  # type: ignore[union-attr]


async def test_list_pages_report_cache_origin_accounts_and_cursor(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.inbox_cache_size = 3
    seed_inbox(fake, 7)
    pages = [p async for p in client.conversations.list(page_size=3).pages()]
    assert [len(p.conversations) for p in pages] == [3, 3, 1]
    assert all(isinstance(p, ConversationsPage) for p in pages)
    assert [p.from_cache for p in pages] == [True, False, False]
    assert [p.has_more for p in pages] == [True, True, False]
    assert pages[0].next_cursor is not None
    assert pages[0].next_cursor.startswith("linkedin:")
    assert pages[-1].next_cursor is None
    assert pages[0].accounts == (InboxAccount(id=fake.default_account_id, name="Alex Rivera"),)


@pytest.mark.parametrize("timestamps", ["iso", "ms"])
async def test_list_rows_decode_to_typed_conversations_with_aware_utc_times(
    client: AsyncClient, fake: FakeConnectSafely, timestamps: Any
) -> None:
    fake.inbox_timestamps = timestamps
    thread = fake.add_conversation(recipient_profile_id="jordan-lee", headline="Ops")
    fake.add_message(thread, "Sure, Tuesday works.", sent_at=START_MS)
    thread.unread_count = 2
    [row] = [c async for c in client.conversations.list()]
    assert isinstance(row, Conversation)
    sent = datetime(2026, 2, 24, 16, 25, 46, 603000, tzinfo=timezone.utc)
    assert row.conversation_urn == thread.urn
    assert row.conversation_id is not None
    assert row.conversation_id.startswith("2-")
    assert thread.urn.endswith(row.conversation_id + ")")
    assert row.last_activity_at == sent
    assert row.unread_count == 2
    assert row.latest_message == LatestMessage(
        text="Sure, Tuesday works.", sent_at=sent, sender_name="Jordan Lee", has_attachment=False
    )
    [person] = row.participants
    assert isinstance(person, Participant)
    assert person.name == "Jordan Lee"
    assert person.headline == "Ops"
    assert person.profile_url == "https://www.linkedin.com/in/jordan-lee/"
    assert person.distance == "DISTANCE_1"
    assert row.source is None
    assert row.sales_nav_thread_id is None
    assert not row.is_sales_navigator


async def test_sales_navigator_row_is_marked_and_its_urn_reads_messages(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    thread = fake.add_conversation(kind="sales_navigator", recipient_profile_id="sam-sales")
    fake.seed_messages(thread, 3)
    [row] = [c async for c in client.conversations.list()]
    assert row.is_sales_navigator
    assert row.source == "sales_navigator"
    assert row.sales_nav_thread_id == thread.thread_id
    assert row.conversation_urn is not None
    assert row.conversation_urn.startswith("urn:li:salesNav_thread:")
    texts = [m.text async for m in client.conversations.messages(row.conversation_urn)]
    assert texts == ["Message 3", "Message 2", "Message 1"]


def test_is_sales_navigator_recognises_each_marker() -> None:
    assert Conversation(source="sales_navigator").is_sales_navigator
    assert Conversation(sales_nav_thread_id="2-abc").is_sales_navigator
    assert Conversation(conversation_urn="urn:li:salesNav_thread:2-abc").is_sales_navigator
    assert not Conversation(conversation_urn="urn:li:msg_conversation:(a,b)").is_sales_navigator


async def test_empty_inbox_yields_nothing_after_one_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    assert [c async for c in client.conversations.list()] == []
    assert len(list_requests(fake)) == 1


async def test_list_returns_a_pager_without_sending_anything(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    pager = client.conversations.list(unread_only=True)
    assert isinstance(pager, AsyncPager)
    assert fake.requests == []


# -- query parameters ------------------------------------------------------------------


async def test_filters_go_on_the_wire_as_lowercase_booleans_and_filter_rows(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    threads = seed_inbox(fake, 6)
    threads[1].unread_count = 3
    threads[2].labels.add("hot")
    threads[3].labels.add("cold")
    threads[3].unread_count = 1

    async def urns(**options: Any) -> list[str | None]:
        return [c.conversation_urn async for c in client.conversations.list(**options)]

    assert await urns(unread_only=True) == [threads[3].urn, threads[1].urn]
    assert await urns(labeled_only=True) == [threads[3].urn, threads[2].urn]
    assert await urns(label_id="hot") == [threads[2].urn]
    assert len(await urns(unread_only=False, labeled_only=False)) == 6
    queries = [r.query for r in list_requests(fake)]
    assert queries[0] == {"unreadOnly": "true"}
    assert queries[1] == {"labeledOnly": "true"}
    assert queries[2] == {"labelId": "hot"}
    assert queries[3] == {"unreadOnly": "false", "labeledOnly": "false"}


async def test_account_id_defaults_to_the_clients_and_the_calls_own_wins(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    other = fake.add_account(name="Other Owner")
    seed_inbox(fake, 2)
    mine = seed_inbox(fake, 1, account_id=other.account_id, prefix="o")
    async with make_client(account_id=other.account_id) as client:
        got = [c.conversation_urn async for c in client.conversations.list()]
        assert got == [mine[0].urn]
        got = [
            c.conversation_urn
            async for c in client.conversations.list(account_id=fake.default_account_id)
        ]
        assert len(got) == 2
    assert [r.query["accountId"] for r in list_requests(fake)] == [
        other.account_id,
        fake.default_account_id,
    ]


async def test_several_accounts_are_sent_comma_separated_and_merged(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    second = fake.add_account(name="Second")
    ours = seed_inbox(fake, 2) + seed_inbox(fake, 2, account_id=second.account_id, prefix="s")
    ids = [fake.default_account_id, second.account_id, fake.default_account_id]
    async with make_client(account_id=second.account_id) as client:
        pages = [p async for p in client.conversations.list(account_ids=ids).pages()]
    [request] = list_requests(fake)
    # The client's default account is not added when account_ids is given.
    assert request.query == {"linkedinAccountIds": f"{fake.default_account_id},{second.account_id}"}
    assert {c.conversation_urn for c in pages[0].conversations} == {t.urn for t in ours}
    assert [a.id for a in pages[0].accounts] == [fake.default_account_id, second.account_id]


async def test_unknown_account_raises_not_found_while_iterating(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    pager = client.conversations.list(account_id="ffffffffffffffffffffffff")
    with pytest.raises(connectsafely.NotFoundError, match="Account not found"):
        await anext(pager)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"account_id": "a", "account_ids": ["b"]}, ValueError),
        ({"account_ids": []}, ValueError),
        ({"account_ids": "696ce9e780e0483585e4e553"}, TypeError),
        ({"account_ids": ["a,b"]}, ValueError),
        ({"account_ids": ["ok", " "]}, ValueError),
        ({"account_ids": [7]}, TypeError),
        ({"page_size": 0}, ValueError),
        ({"page_size": "20"}, TypeError),
        ({"label_id": "  "}, ValueError),
        ({"unread_only": "yes"}, TypeError),
        ({"labeled_only": 1}, TypeError),
        ({"account_id": ""}, ValueError),
    ],
)
async def test_invalid_arguments_raise_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        client.conversations.list(**options)
    assert fake.requests == []


# -- loop guards and failures ----------------------------------------------------------


async def test_repeated_cursor_raises_pagination_error_instead_of_looping(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    seed_inbox(fake, 30)
    fake.paging_fault_next("repeat_cursor")
    got: list[Conversation] = []
    with pytest.raises(connectsafely.PaginationError, match="again"):
        await collect_into(client.conversations.list(page_size=10), got)
    assert len(got) == 20  # both pages handed out, then the repeat is refused
    assert len(list_requests(fake)) == 2


async def test_repeated_linkedin_cursor_is_caught_too(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.inbox_cache_size = 10
    seed_inbox(fake, 40)
    pager = client.conversations.list(page_size=10)
    got = [await anext(pager) for _ in range(20)]
    fake.paging_fault_next("repeat_cursor")
    with pytest.raises(connectsafely.PaginationError):
        await collect_into(pager, got)
    cursors = [r.query.get("nextCursor", "") for r in list_requests(fake)]
    assert cursors[-1].startswith("linkedin:")
    assert len(got) == 30


async def test_conversation_repeated_at_a_page_boundary_is_yielded_once(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    threads = seed_inbox(fake, 25)
    fake.paging_fault_next("duplicate_boundary", count=2)
    got = [c.conversation_urn async for c in client.conversations.list(page_size=10)]
    assert got == newest_first(threads)
    pages = [p async for p in client.conversations.list(page_size=10).pages()]
    assert sum(len(p.conversations) for p in pages) == 25


async def test_empty_page_ends_the_walk(client: AsyncClient, fake: FakeConnectSafely) -> None:
    seed_inbox(fake, 30)
    fake.paging_fault_next("empty_page")
    got = [c async for c in client.conversations.list(page_size=10)]
    assert len(got) == 10
    assert len(list_requests(fake)) == 2


async def test_failed_page_is_retried_at_the_same_cursor(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    threads = seed_inbox(fake, 25)
    got = []
    async for conversation in client.conversations.list(page_size=10):
        got.append(conversation.conversation_urn)
        if len(got) == 1:
            fake.fail_next(503, path="/linkedin/conversations")
    assert got == newest_first(threads)
    requests = list_requests(fake)
    assert len(requests) == 4
    assert requests[1].query["nextCursor"] == requests[2].query["nextCursor"]
    assert len(sleeps) == 1


async def test_redirect_from_the_server_is_not_followed(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(307, headers={"Location": "/linkedin/messaging/recent-messages"})
    with pytest.raises(connectsafely.APIStatusError, match="redirect") as info:
        await anext(client.conversations.list())
    assert info.value.status_code == 307
    assert len(fake.requests) == 1
