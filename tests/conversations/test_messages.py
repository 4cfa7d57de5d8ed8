"""Reading conversations: `client.conversations.messages` and its `AsyncPager`."""

from __future__ import annotations

import gc
import inspect
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import anyio
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient, AsyncPager, Message, MessagesPage, Participant
from connectsafely._pagination import Fetched
from connectsafely.testing import FakeConnectSafely, FakeConversation, RecordedRequest

pytestmark = pytest.mark.anyio

T = TypeVar("T")


@pytest.fixture(params=["standard", "sales_navigator"])
def kind(request: pytest.FixtureRequest) -> str:
    """Both conversation kinds: timestamp cursors and opaque Sales Navigator tokens."""
    return str(request.param)


def seeded(fake: FakeConnectSafely, kind: str, count: int, **options: Any) -> FakeConversation:
    conversation = fake.add_conversation(
        kind=kind,  # type: ignore[arg-type]
        recipient_profile_id=f"jordan-lee-{kind}",
        note=options.pop("note", ""),
    )
    fake.seed_messages(conversation, count, **options)
    return conversation


def newest_first(conversation: FakeConversation) -> list[str]:
    return [m.message_urn for m in reversed(conversation.messages)]


def urns(messages: Sequence[Message]) -> list[str | None]:
    return [m.message_urn for m in messages]


def page_requests(fake: FakeConnectSafely) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.segments[-1:] == ("messages",)]


def messages_path(conversation: FakeConversation) -> str:
    return f"/linkedin/conversations/{conversation.urn}/messages"


async def drain(items: AsyncIterator[T], into: list[T]) -> None:
    """Collect into ``into`` (kept when iteration raises part-way)."""
    async for item in items:
        into.append(item)


# -- walking ---------------------------------------------------------------------------


async def test_messages_walks_every_page_newest_first_exactly_once(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 237)
    got = [m async for m in client.conversations.messages(conversation.urn, page_size=20)]
    assert urns(got) == newest_first(conversation)
    requests = page_requests(fake)
    assert len(requests) == 12  # ceil(237 / 20): the last page ends the walk, no extra call
    assert all(r.query["count"] == "20" for r in requests)
    assert "cursor" not in requests[0].query
    cursors = [r.query["cursor"] for r in requests[1:]]
    assert len(set(cursors)) == len(cursors)


async def test_messages_decode_to_typed_messages_with_aware_utc_times(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 3, start_ms=1_771_950_346_603, step_ms=1000)
    got = [m async for m in client.conversations.messages(conversation.urn)]
    newest = got[0]
    assert isinstance(newest, Message)
    assert newest.sent_at == datetime(2026, 2, 24, 16, 25, 48, 603000, tzinfo=timezone.utc)
    assert newest.sent_at.utcoffset() == timedelta(0)
    assert newest.text == "Message 3"
    assert [m.is_sent_by_owner for m in got] == [False, True, False]
    assert got[1].sender_name == "Alex Rivera"
    assert newest.has_attachment is False and newest.attachments == ()


async def test_messages_returns_a_pager_without_sending_anything(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 5)
    pager = client.conversations.messages(conversation.urn)
    assert isinstance(pager, AsyncPager)
    assert fake.requests == []
    assert conversation.urn in repr(pager)


async def test_pager_is_a_plain_iterator_not_an_async_generator(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 5)
    pager = client.conversations.messages(conversation.urn)
    assert not inspect.isasyncgen(pager)
    assert not inspect.isasyncgen(pager.pages())
    first = await anext(pager)
    assert first.text == "Message 5"


async def test_pager_is_walked_once_and_pages_start_their_own_walk(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 30)
    pager = client.conversations.messages(conversation.urn, page_size=10)
    first = [m async for m in pager]
    again = [m async for m in pager]
    pages = [p async for p in pager.pages()]
    assert len(first) == 30 and again == []
    assert [len(p.messages) for p in pages] == [10, 10, 10]


async def test_pages_carry_participants_has_more_cursor_and_note(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 25, note="Served from cache")
    pages = [p async for p in client.conversations.messages(conversation.urn, page_size=10).pages()]
    assert all(isinstance(p, MessagesPage) for p in pages)
    assert [p.has_more for p in pages] == [True, True, False]
    assert [len(p.messages) for p in pages] == [10, 10, 5]
    assert pages[0].cursor == str(conversation.messages[15].sent_at)  # oldest on page one
    assert pages[0].note == "Served from cache"
    (participant,) = pages[0].participants
    assert isinstance(participant, Participant)
    assert participant.name == "Jordan Lee Standard"
    assert participant.headline == "Head of Ops at Example Co"


async def test_sales_navigator_pages_use_opaque_cursors(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "sales_navigator", 25)
    pages = [p async for p in client.conversations.messages(conversation.urn, page_size=10).pages()]
    assert [p.has_more for p in pages] == [True, True, False]
    assert pages[0].cursor is not None and not pages[0].cursor.isdigit()
    assert pages[-1].cursor is None


async def test_messages_can_start_from_a_saved_cursor(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 30)
    first_page = await anext(client.conversations.messages(conversation.urn, page_size=12).pages())
    rest = [
        m
        async for m in client.conversations.messages(
            conversation.urn, page_size=12, cursor=first_page.cursor
        )
    ]
    assert urns(rest) == newest_first(conversation)[12:]


async def test_empty_conversation_yields_nothing(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 0)
    assert [m async for m in client.conversations.messages(conversation.urn)] == []
    assert len(page_requests(fake)) == 1


async def test_aclose_stops_the_walk(client: AsyncClient, fake: FakeConnectSafely) -> None:
    conversation = seeded(fake, "standard", 30)
    pager = client.conversations.messages(conversation.urn, page_size=10)
    await anext(pager)
    await pager.aclose()
    assert [m async for m in pager] == []
    assert len(page_requests(fake)) == 1


# -- query parameters ----------------------------------------------------------------------


async def test_page_size_is_sent_as_count_and_omitted_by_default(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 60)
    default = [m async for m in client.conversations.messages(conversation.urn)]
    assert "count" not in page_requests(fake)[0].query
    assert len(page_requests(fake)) == 2  # the server's default page holds 50
    assert len(default) == 60
    await anext(client.conversations.messages(conversation.urn, page_size=7))
    assert page_requests(fake)[-1].query["count"] == "7"


async def test_since_epoch_ms_returns_only_newer_messages(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 40, start_ms=1_771_000_000_000, step_ms=1000)
    since = conversation.messages[24].sent_at
    got = [
        m async for m in client.conversations.messages(conversation.urn, since=since, page_size=4)
    ]
    assert urns(got) == newest_first(conversation)[:15]
    assert all(r.query["since"] == str(since) for r in page_requests(fake))


async def test_since_accepts_an_aware_datetime(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 10, start_ms=1_771_000_000_000, step_ms=1000)
    since = datetime(2026, 2, 13, 17, 26, 45, 123000, tzinfo=timezone(timedelta(hours=1)))
    got = [m async for m in client.conversations.messages(conversation.urn, since=since)]
    assert page_requests(fake)[0].query["since"] == "1771000005123"
    assert [m.text for m in got] == ["Message 10", "Message 9", "Message 8", "Message 7"]


@pytest.mark.parametrize(("sync", "wire_value"), [(False, "false"), (True, "true"), (None, None)])
async def test_sync_goes_on_the_wire_as_lowercase_boolean(
    client: AsyncClient, fake: FakeConnectSafely, sync: bool | None, wire_value: str | None
) -> None:
    conversation = seeded(fake, "standard", 3)
    await anext(client.conversations.messages(conversation.urn, sync=sync))
    assert page_requests(fake)[0].query.get("sync") == wire_value


async def test_account_id_defaults_to_the_clients_and_the_calls_own_wins(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    other = fake.add_account("5f0c0ffee0c0ffee0c0ffee0", name="Sam Other")
    mine = seeded(fake, "standard", 3)
    theirs = fake.add_conversation(account_id=other.account_id, recipient_profile_id="pat-kim")
    fake.seed_messages(theirs, 2)
    async with make_client(account_id=fake.default_account_id) as client:
        assert len([m async for m in client.conversations.messages(mine.urn)]) == 3
        assert page_requests(fake)[-1].query["accountId"] == fake.default_account_id
        got = [
            m async for m in client.conversations.messages(theirs.urn, account_id=other.account_id)
        ]
        assert len(got) == 2
        assert page_requests(fake)[-1].query["accountId"] == other.account_id
        with pytest.raises(connectsafely.NotFoundError, match="Conversation not found"):
            await anext(client.conversations.messages(theirs.urn))


async def test_unknown_conversation_raises_not_found_while_iterating(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    pager = client.conversations.messages("urn:li:fs_conversation:2-bm9uZQ==")
    with pytest.raises(connectsafely.NotFoundError, match="Conversation not found") as caught:
        await anext(pager)
    assert caught.value.status_code == 404


@pytest.mark.parametrize(
    ("arguments", "error", "names"),
    [
        ({"conversation_urn": "2-YWJjZA=="}, ValueError, "conversation_urn"),
        ({"conversation_urn": "https://linkedin.com/messaging"}, ValueError, "conversation_urn"),
        ({"conversation_urn": ""}, ValueError, "conversation_urn"),
        ({"conversation_urn": 42}, TypeError, "conversation_urn"),
        ({"page_size": 0}, ValueError, "page_size"),
        ({"page_size": -5}, ValueError, "page_size"),
        ({"page_size": "10"}, TypeError, "page_size"),
        ({"page_size": True}, TypeError, "page_size"),
        ({"page_size": 2.0}, TypeError, "page_size"),
        ({"since": datetime(2026, 1, 1)}, ValueError, "since"),  # naive
        ({"since": 1_771_000_000}, ValueError, "since"),  # seconds, not ms
        ({"since": -1}, ValueError, "since"),
        ({"since": datetime(1969, 12, 31, 23, 59, tzinfo=timezone.utc)}, ValueError, "since"),
        ({"since": 1.7e12}, TypeError, "since"),
        ({"since": "1771000000000"}, TypeError, "since"),
        ({"sync": "false"}, TypeError, "sync"),
        ({"sync": 0}, TypeError, "sync"),
        ({"cursor": ""}, ValueError, "cursor"),
        ({"cursor": 1771000000000}, TypeError, "cursor"),
        ({"account_id": ""}, ValueError, "account_id must be a non-blank"),
    ],
)
async def test_invalid_arguments_raise_before_any_request(
    client: AsyncClient,
    fake: FakeConnectSafely,
    arguments: dict[str, Any],
    error: type[Exception],
    names: str,
) -> None:
    arguments = {"conversation_urn": "urn:li:fs_conversation:2-YWJj", **arguments}
    urn = arguments.pop("conversation_urn")
    with pytest.raises(error, match=names):
        client.conversations.messages(urn, **arguments)  # raises at the call, not on iteration
    assert fake.requests == []


# -- paging guards -------------------------------------------------------------------------


async def test_repeated_cursor_raises_pagination_error_instead_of_looping(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 35)
    fake.paging_fault_next("repeat_cursor")
    got: list[Message] = []
    with pytest.raises(connectsafely.PaginationError, match="cursor"):
        await drain(client.conversations.messages(conversation.urn, page_size=10), got)
    assert urns(got) == newest_first(conversation)[:20]  # both pages were handed out first
    assert len(page_requests(fake)) == 2


async def test_cursor_cycle_longer_than_one_page_is_detected() -> None:
    # A server cycling through many cursors (A -> B -> ... -> A) is caught too, with
    # memory that does not grow with the walk.
    cycle = 40
    fetched: list[str | None] = []

    async def fetch(cursor: str | None) -> Fetched[int, None]:
        fetched.append(cursor)
        position = 0 if cursor is None else int(cursor)
        return Fetched([len(fetched)], str((position + 1) % cycle), True, None)

    with pytest.raises(connectsafely.PaginationError):
        await drain(AsyncPager(fetch), [])
    assert cycle < len(fetched) < 4 * cycle


async def test_short_cursor_cycle_is_detected_at_once() -> None:
    async def fetch(cursor: str | None) -> Fetched[str, None]:
        following = {None: "A", "A": "B", "B": "A"}[cursor]
        return Fetched([f"after {cursor}"], following, True, None)

    got: list[str] = []
    with pytest.raises(connectsafely.PaginationError):
        await drain(AsyncPager(fetch), got)
    assert got == ["after None", "after A", "after B"]


async def test_empty_page_ends_the_walk(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 35)
    fake.paging_fault_next("empty_page")
    got = [m async for m in client.conversations.messages(conversation.urn, page_size=10)]
    assert urns(got) == newest_first(conversation)[:10]
    assert len(page_requests(fake)) == 2


async def test_message_repeated_across_a_page_boundary_is_yielded_once(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 35)
    fake.paging_fault_next("duplicate_boundary", count=2)
    got = [m async for m in client.conversations.messages(conversation.urn, page_size=10)]
    assert urns(got) == newest_first(conversation)


async def test_pages_drop_the_repeated_message_too(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 25)
    fake.paging_fault_next("duplicate_boundary")
    pager = client.conversations.messages(conversation.urn, page_size=10)
    pages = [p async for p in pager.pages()]
    assert [len(p.messages) for p in pages] == [10, 9, 6]
    assert [u for p in pages for u in urns(p.messages)] == newest_first(conversation)


async def test_message_arriving_mid_walk_does_not_repeat_on_sales_navigator(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # Offset paging shifts by one when a message arrives between two pages, so the
    # server repeats the previous page's last message; the pager drops the repeat.
    conversation = seeded(fake, "sales_navigator", 30)
    expected = newest_first(conversation)
    got: list[Message] = []
    async for message in client.conversations.messages(conversation.urn, page_size=10):
        got.append(message)
        if len(got) == 5:
            fake.add_message(conversation, "Just arrived")
    assert urns(got) == expected


# -- failures and early exits ----------------------------------------------------------


async def test_failed_page_is_retried_at_the_same_cursor(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float], kind: str
) -> None:
    conversation = seeded(fake, kind, 25)
    got: list[Message] = []
    async for message in client.conversations.messages(conversation.urn, page_size=10):
        got.append(message)
        if len(got) == 1:
            fake.fail_next(503, path=messages_path(conversation))
    assert urns(got) == newest_first(conversation)
    requests = page_requests(fake)
    assert len(requests) == 4
    assert requests[1].query["cursor"] == requests[2].query["cursor"]
    assert len(sleeps) == 1


async def test_pager_resumes_at_the_same_page_after_an_error(
    make_client: Any, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 25)
    async with make_client(max_retries=0) as client:
        pager = client.conversations.messages(conversation.urn, page_size=10)
        got = [await anext(pager) for _ in range(10)]
        fake.fail_next(503, path=messages_path(conversation))
        with pytest.raises(connectsafely.InternalServerError):
            await anext(pager)
        got += [m async for m in pager]
    assert urns(got) == newest_first(conversation)


async def test_unknown_and_missing_response_fields_are_tolerated(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 1)
    body = {
        "success": True,
        "messages": [
            {"messageUrn": "urn:li:msg_message:1", "sentAt": 1771950346603, "reactions": []},
            {"messageUrn": "urn:li:msg_message:2", "text": "hi", "brandNew": {"nested": True}},
        ],
        "participants": [{"profileId": "ACoAAx", "unknown": 1}],
        "pagingV2": {"next": None},
    }
    fake.fail_next(200, body=body, path=messages_path(conversation))
    pages = [p async for p in client.conversations.messages(conversation.urn).pages()]
    (page,) = pages  # no cursor in the body: the walk ends after one page
    assert page.has_more is None and page.cursor is None and page.note is None
    assert page.messages[0].text is None and page.messages[1].sent_at is None
    assert page.participants == (Participant(profile_id="ACoAAx"),)


async def test_a_body_that_does_not_fit_raises_a_validation_error(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = seeded(fake, "standard", 1)
    body = {"success": True, "messages": [{"sentAt": "yesterday-ish"}]}
    fake.fail_next(200, body=body, path=messages_path(conversation))
    with pytest.raises(connectsafely.APIResponseValidationError, match=r"messages\[0\]"):
        await anext(client.conversations.messages(conversation.urn))


async def test_breaking_out_early_leaves_nothing_behind(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = seeded(fake, kind, 120)
    for stop_after in (1, 10, 11, 35):
        seen = 0
        async for _ in client.conversations.messages(conversation.urn, page_size=10):
            seen += 1
            if seen == stop_after:
                break
    # Any un-closed async generator or unreleased response would surface here as an
    # unraisable/ResourceWarning, which the test configuration turns into an error.
    gc.collect()
    await anyio.lowlevel.checkpoint()
    got = [m async for m in client.conversations.messages(conversation.urn, page_size=50)]
    assert len(got) == 120


async def test_breaking_out_early_returns_the_connection_to_the_pool(
    fake: FakeConnectSafely, loopback: Any
) -> None:
    server, app = loopback
    app.target = fake
    conversation = seeded(fake, "standard", 60)
    # One connection only: if a walk abandoned mid-way kept its response checked
    # out, the calls below would wait for the pool and time out.
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=1)) as http,
        AsyncClient(
            api_key=fake.api_key,
            base_url=server.base_url,
            http_client=http,
            timeout=httpx.Timeout(10.0, pool=2.0),
            max_retries=0,
        ) as client,
    ):
        for _ in range(3):
            async for _message in client.conversations.messages(conversation.urn, page_size=10):
                break
        gc.collect()
        with anyio.fail_after(5):
            await client.conversations.send("Still here", conversation_urn=conversation.urn)
            got = [m async for m in client.conversations.messages(conversation.urn)]
    assert got[0].text == "Still here" and len(got) == 61
    assert len(page_requests(fake)) == 5
