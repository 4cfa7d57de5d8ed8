"""What ``Limits.daily_new_conversations`` counts, and what a plain send costs the store.

The API limits new conversations only: a send by recipient into a thread that already
exists is a reply, which it does not count (facts §0, M10). The SDK counts every send
without ``conversation_urn`` when it is admitted (so that workers sending at once never
pass the cap), and gives a send by recipient back when its answer shows it was a reply:
the answer is silent about the daily quota, where the answers to this client's new
conversations have described it (``X-RateLimit-Remaining`` with a reset at 00:00 UTC).
Until such an answer was seen, silence proves nothing, and the count stays.
"""

from __future__ import annotations

from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, Limits, QuotaExceededError, RateLimit
from connectsafely.stores import MemoryStore
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON, SEND

pytestmark = pytest.mark.anyio

ACCOUNT_B = "5f0c0ffee0c0ffee0c0ffee0"
FRIENDS = ("old-friend", "old-colleague", "old-classmate")


@pytest.fixture
def fake() -> FakeConnectSafely:
    fake = FakeConnectSafely(clock=NOON)
    fake.add_account(ACCOUNT_B, name="Bea Account")
    for friend in FRIENDS:  # threads that exist already
        fake.add_conversation(recipient_profile_id=friend)
    return fake


async def send_to(client: AsyncClient, who: str) -> None:
    await client.conversations.send("Hi there", recipient_profile_id=who)


async def test_sends_by_recipient_into_existing_threads_are_given_back(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(daily_new_conversations=2)) as client:
        await send_to(client, "new-lead-1")  # a new thread: its answer describes the quota
        for friend in FRIENDS:  # replies by recipient: not new conversations
            await send_to(client, friend)
        await send_to(client, "new-lead-2")  # the day's second new conversation
        with pytest.raises(QuotaExceededError) as info:
            await send_to(client, "new-lead-3")
        # At the cap, a send by recipient cannot be told from a new conversation before
        # it goes: refused too. A reply by conversation_urn is never counted.
        with pytest.raises(QuotaExceededError):
            await send_to(client, FRIENDS[0])
        threads = fake.conversations.values()
        urn = next(c.urn for c in threads if c.recipient_profile_id == FRIENDS[0])
        await client.conversations.send("Following up", conversation_urn=urn)
    assert info.value.response is None
    assert len(fake.requests_to(SEND)) == 6


async def test_without_an_answer_describing_the_quota_the_count_stays(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(daily_new_conversations=1)) as client:
        await send_to(client, FRIENDS[0])  # a reply, but nothing yet says silence means so
        with pytest.raises(QuotaExceededError):
            await send_to(client, FRIENDS[1])
    assert len(fake.requests_to(SEND)) == 1


async def test_an_accepted_send_whose_answer_cannot_be_read_keeps_its_count(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(daily_new_conversations=1)) as client:
        garbage = {"success": True, "sentMessage": 5}
        fake.fail_next(200, path=SEND, body=garbage, after_processing=True)
        with pytest.raises(connectsafely.APIResponseValidationError):
            await send_to(client, "new-lead-1")  # sent, though its answer is garbage
        with pytest.raises(QuotaExceededError):
            await send_to(client, "new-lead-2")
    assert len(fake.sends) == 1


# -- what a message send costs the store ---------------------------------------------------------


class RecordingStore(MemoryStore):
    """A `MemoryStore` that notes the name of every store step it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[str] = []

    async def reserve(self, *args: Any) -> float:
        self.steps.append("reserve")
        return await super().reserve(*args)

    async def count(self, *args: Any) -> bool:
        self.steps.append("count")
        return await super().count(*args)

    async def uncount(self, *args: Any) -> None:
        self.steps.append("uncount")
        await super().uncount(*args)

    async def refresh(self) -> None:
        """Not noted: the client refreshes by the clock (about once a second), not per call."""

    async def blocked(self, *args: Any) -> Any:
        self.steps.append("blocked")
        return await super().blocked(*args)

    async def paused_until(self, *args: Any) -> float:
        self.steps.append("paused_until")
        return await super().paused_until(*args)


BEFORE = Limits(
    key=RateLimit(6000, per=60.0),
    account_writes=RateLimit(6000, per=60.0),
    daily_new_conversations=150,
)
"""What ``Limits.documented()`` was before connection requests and profile views (faster
paces, so the test does not wait)."""

AFTER = Limits(
    key=RateLimit(6000, per=60.0),
    account_writes=RateLimit(6000, per=60.0),
    daily_new_conversations=150,
    account_connects=90,
    account_profile_views=120,
)


@pytest.mark.parametrize("limits", [None, BEFORE, AFTER], ids=["none", "before", "after"])
async def test_a_message_send_asks_the_store_nothing_new(
    make_client: Any, fake: FakeConnectSafely, limits: Limits | None
) -> None:
    urn = fake.add_conversation(recipient_profile_id="jordan-lee").urn
    store = RecordingStore()
    async with make_client(limits=limits, store=store) as client:
        await client.conversations.send("a reply", conversation_urn=urn)
        reply = list(store.steps)
        store.steps.clear()
        await send_to(client, "new-lead")
        cold = list(store.steps)
        store.steps.clear()
        fake.add_profile("jane-doe")
        await client.invitations.send("jane-doe")
        connect = list(store.steps)
    if limits is None:  # no client-side limits: the store is not asked at all
        assert (reply, cold, connect) == ([], [], [])
    else:  # the same steps with or without the new counts: the key's and the account's slots
        assert reply == ["reserve", "reserve"]
        assert cold == ["count", "reserve", "reserve"]
        assert connect == (["count", "reserve", "reserve"] if limits is AFTER else ["reserve"] * 2)
