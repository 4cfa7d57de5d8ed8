"""Limits per layer (design §8): the key, one account's action, one account's day.

An agency drives many LinkedIn accounts through one key: one account's 429 must not
stall the others, a hold refuses only that account's action, and a used-up daily quota
stops costing requests until the reset (measured on the fake's clock).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely import AsyncClient, Limits, RateLimit, SendRequest, collect_in_order
from connectsafely._client import use_calendar
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON, SEND

pytestmark = pytest.mark.anyio

ACCOUNT_B = "5f0c0ffee0c0ffee0c0ffee0"


@pytest.fixture
def fake() -> FakeConnectSafely:
    fake = FakeConnectSafely(clock=NOON)
    fake.add_account(ACCOUNT_B, name="Bea Account")
    return fake


@pytest.fixture
async def client(make_client: Any, fake: FakeConnectSafely) -> Any:
    async with make_client() as opened:
        use_calendar(opened, fake.clock)  # holds and quota days on the fake's clock
        yield opened


def thread(fake: FakeConnectSafely, account: str | None = None, who: str = "jordan-lee") -> str:
    return fake.add_conversation(account_id=account, recipient_profile_id=who).urn


async def reply(client: AsyncClient, urn: str, account: str | None = None) -> None:
    await client.conversations.send("Following up", conversation_urn=urn, account_id=account)


async def cold(client: AsyncClient, who: str, account: str | None = None) -> None:
    await client.conversations.send("Hi there", recipient_profile_id=who, account_id=account)


def hold_body(until: datetime, action: str = "MESSAGE") -> dict[str, Any]:
    return {
        "success": False,
        "error": f"Rate limit exceeded for {action}: 90/90 used. Resets at {until.isoformat()}",
        "holdUntil": until.isoformat(),
    }


def sent_by(fake: FakeConnectSafely, account: str) -> int:
    return sum(1 for send in fake.sends if send.account_id == account)


# -- scoped pauses ----------------------------------------------------------------------------


async def test_a_429_naming_an_action_pauses_only_that_accounts_calls(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a = fake.default_account.account_id
    a_thread, b_thread = thread(fake), thread(fake, ACCOUNT_B)
    fake.fail_next(429, path=SEND, headers={"Retry-After": "5", "X-RateLimit-Action": "MESSAGE"})
    await reply(client, a_thread)  # 429, waits its own Retry-After (recorded), then sent
    assert sent_by(fake, a) == 1

    with anyio.fail_after(2):  # B is not paused: it goes at once
        await reply(client, b_thread, ACCOUNT_B)
    assert sent_by(fake, ACCOUNT_B) == 1
    with anyio.move_on_after(0.5) as waited:  # A's next send waits out the 5 s pause
        await reply(client, a_thread)
    assert waited.cancelled_caught
    assert sent_by(fake, a) == 1
    # A's reads are another category: not paused either.
    with anyio.fail_after(2):
        [m async for m in client.conversations.messages(a_thread)]


async def test_a_429_without_an_action_pauses_every_account(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a_thread, b_thread = thread(fake), thread(fake, ACCOUNT_B)
    fake.fail_next(429, path=SEND, headers={"Retry-After": "5"})
    await reply(client, a_thread)
    with anyio.move_on_after(0.5) as waited:
        await reply(client, b_thread, ACCOUNT_B)
    assert waited.cancelled_caught
    assert sent_by(fake, ACCOUNT_B) == 0


async def test_remaining_zero_naming_an_action_pauses_only_that_account(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a_thread, b_thread = thread(fake), thread(fake, ACCOUNT_B)
    reset = (fake.clock.now() + timedelta(seconds=20)).isoformat()
    fake.fail_next(
        200,
        path=SEND,
        after_processing=True,
        body={"success": True, "message": "ok", "sentMessage": {}},
        headers={
            "X-RateLimit-Action": "MESSAGE",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
        },
    )
    await reply(client, a_thread)
    with anyio.fail_after(2):
        await reply(client, b_thread, ACCOUNT_B)
    with anyio.move_on_after(0.5) as waited:
        await reply(client, a_thread)
    assert waited.cancelled_caught


async def test_an_unknown_action_is_kept_as_an_open_string(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(
        429, path=SEND, headers={"Retry-After": "7200", "X-RateLimit-Action": "INMAIL_BURST"}
    )
    with pytest.raises(connectsafely.RateLimitError) as info:
        await reply(client, thread(fake))
    assert info.value.action == "INMAIL_BURST"
    assert info.value.account_id is None  # the default account: the client named none


# -- holds ------------------------------------------------------------------------------------


async def test_a_hold_refuses_that_accounts_action_without_a_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a = fake.default_account.account_id
    a_thread, b_thread = thread(fake, a), thread(fake, ACCOUNT_B)
    until = NOON + timedelta(hours=24)
    fake.fail_next(429, path=SEND, body=hold_body(until), headers={"X-RateLimit-Action": "MESSAGE"})
    with pytest.raises(connectsafely.RateLimitError) as first:
        await reply(client, a_thread, a)
    assert first.value.hold_until == until
    assert (first.value.account_id, first.value.action) == (a, "MESSAGE")
    requests = len(fake.requests)

    with pytest.raises(connectsafely.RateLimitError) as local:
        await reply(client, a_thread, a)
    error = local.value
    assert len(fake.requests) == requests  # refused here: no request
    assert error.response is None and error.status_code == 429
    assert error.hold_until == until
    assert error.retry_after == pytest.approx(24 * 3600)
    assert (error.account_id, error.action) == (a, "MESSAGE")
    assert "no request was sent" in str(error)

    await reply(client, b_thread, ACCOUNT_B)  # another account goes on
    message = fake.add_message(fake.conversations[a_thread], "Sounds good")
    await client.conversations.react(a_thread, message.message_urn, "👍", account_id=a)
    assert len(fake.requests) == requests + 2  # another action of A's goes on too


async def test_calls_waiting_for_their_slot_when_a_hold_arrives_are_refused_locally(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    # The first send learns of the hold from the server; the two paced behind it were
    # already waiting for their slots and must not each ask the server again. (Over
    # loopback they are; in-process the first call is answered before they start.)
    a_thread = thread(fake)
    fake.hold(until=NOON + timedelta(hours=2))
    errors: list[connectsafely.RateLimitError] = []

    async def one(client: AsyncClient) -> None:
        with pytest.raises(connectsafely.RateLimitError) as info:
            await reply(client, a_thread)
        errors.append(info.value)

    async with make_client(limits=Limits(account_writes=RateLimit(10, per=1.0))) as client:
        use_calendar(client, fake.clock)
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(one, client)
    assert len(fake.requests_to(SEND)) == 1
    assert sorted(error.response is None for error in errors) == [False, True, True]
    assert all(error.hold_until == NOON + timedelta(hours=2) for error in errors)


async def test_a_hold_without_a_header_takes_its_action_from_the_error_text(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a_thread = thread(fake)
    fake.fail_next(429, path=SEND, body=hold_body(NOON + timedelta(hours=24), "CONNECT"))
    with pytest.raises(connectsafely.RateLimitError) as info:
        await reply(client, a_thread)
    assert info.value.action == "CONNECT"
    await reply(client, a_thread)  # messages are another category: sent


async def test_a_hold_naming_nothing_holds_the_calls_own_kind(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a_thread = thread(fake)
    until = (NOON + timedelta(hours=1)).isoformat()
    fake.fail_next(429, path=SEND, body={"error": "Slow down", "holdUntil": until})
    with pytest.raises(connectsafely.RateLimitError):
        await reply(client, a_thread)
    requests = len(fake.requests)
    with pytest.raises(connectsafely.RateLimitError) as info:
        await reply(client, a_thread)
    assert info.value.action == "MESSAGE"
    assert len(fake.requests) == requests


async def test_a_hold_on_read_state_writes_spares_typing_and_email_checks(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # mark_seen / mark_all_read change the account's inbox (writes of the CONVERSATION
    # kind); a typing indicator and an open-profile check only count against the key.
    a_thread = thread(fake)
    account = fake.default_account.account_id
    until = (NOON + timedelta(hours=1)).isoformat()
    fake.fail_next(429, path="/linkedin/messaging/mark-seen", body={"holdUntil": until})
    with pytest.raises(connectsafely.RateLimitError):
        await client.conversations.mark_seen(a_thread, account_id=account)
    requests = len(fake.requests)
    with pytest.raises(connectsafely.RateLimitError) as info:
        await client.conversations.mark_all_read(account_id=account)
    assert (info.value.action, info.value.account_id) == ("CONVERSATION", account)
    assert len(fake.requests) == requests  # refused here, not sent
    await client.conversations.send_typing(a_thread, account_id=account)
    await client.conversations.check_email_support(profile_id="jordan-lee", account_id=account)
    b_thread = thread(fake, ACCOUNT_B)
    await client.conversations.mark_seen(b_thread, account_id=ACCOUNT_B)  # another account
    assert len(fake.requests) == requests + 3


async def test_a_hold_ends_when_the_clock_passes_it(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a_thread = thread(fake)
    fake.fail_next(429, path=SEND, body=hold_body(NOON + timedelta(hours=1)))
    with pytest.raises(connectsafely.RateLimitError):
        await reply(client, a_thread)
    fake.clock.advance(3601)
    await reply(client, a_thread)
    assert len(fake.sends) == 1


# -- the daily new-conversation quota -------------------------------------------------------


async def test_a_quota_429_refuses_that_accounts_cold_sends_locally_until_midnight(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a = fake.add_account(name="Quota Account", daily_quota=1).account_id
    await cold(client, "prospect-1", a)
    with pytest.raises(connectsafely.QuotaExceededError) as server:
        await cold(client, "prospect-2", a)
    assert server.value.response is not None  # the server said so
    assert server.value.retry_after == pytest.approx(12 * 3600)
    assert server.value.account_id == a
    requests = len(fake.requests)

    with pytest.raises(connectsafely.QuotaExceededError) as local:
        await cold(client, "prospect-3", a)
    assert local.value.response is None
    assert local.value.retry_after == pytest.approx(12 * 3600)
    assert isinstance(local.value, connectsafely.RateLimitError)
    assert len(fake.requests) == requests  # answered locally

    await reply(client, thread(fake, a, "old-friend"), a)  # replies go on
    await cold(client, "prospect-4", ACCOUNT_B)  # other accounts go on
    fake.clock.set(NOON.replace(hour=23, minute=59, second=59))
    with pytest.raises(connectsafely.QuotaExceededError):
        await cold(client, "prospect-3", a)
    fake.clock.advance(2)  # 00:00:01 UTC: a new day
    await cold(client, "prospect-3", a)
    assert sent_by(fake, a) == 3


async def test_the_sdks_own_count_caps_new_conversations_per_day(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(daily_new_conversations=2)) as client:
        use_calendar(client, fake.clock)
        await cold(client, "p-1")
        await cold(client, "p-2")
        requests = len(fake.requests)
        with pytest.raises(connectsafely.QuotaExceededError) as info:
            await cold(client, "p-3")
        assert len(fake.requests) == requests
        assert info.value.retry_after == pytest.approx(12 * 3600)
        await reply(client, thread(fake))  # replies are not counted
        await cold(client, "p-4", ACCOUNT_B)  # each account has its own count
        fake.clock.advance(12 * 3600)
        await cold(client, "p-3")
    assert len(fake.sends) == 5


async def test_a_refused_cold_send_gives_its_count_back(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(daily_new_conversations=1)) as client:
        use_calendar(client, fake.clock)
        fake.fail_next(400, path=SEND)  # a definite refusal: nothing was sent
        with pytest.raises(connectsafely.BadRequestError):
            await cold(client, "p-1")
        await cold(client, "p-1")  # the day's one new conversation is still there
        with pytest.raises(connectsafely.QuotaExceededError):
            await cold(client, "p-2")


# -- pacing each account's writes -------------------------------------------------------------


@pytest.mark.real_sleep
async def test_account_writes_are_paced_per_account(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    a = fake.default_account.account_id
    a_thread, b_thread = thread(fake, a), thread(fake, ACCOUNT_B)
    limits = Limits(account_writes=RateLimit(10, per=1.0))
    async with make_client(limits=limits) as client, anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(reply, client, a_thread, a)
            group.start_soon(reply, client, b_thread, ACCOUNT_B)
    times = {
        account: sorted(
            r.received_at
            for r in fake.requests
            if r.path == SEND and r.json().get("accountId") == account
        )
        for account in (a, ACCOUNT_B)
    }
    for account_times in times.values():
        # 10 a second, evenly: four sends span at least three intervals (less a little
        # jitter between leaving the client and arriving at the server).
        assert len(account_times) == 4
        assert account_times[-1] - account_times[0] >= 0.25
    # Neither account waits for the other: their sends interleave.
    assert times[ACCOUNT_B][0] < times[a][-1] and times[a][0] < times[ACCOUNT_B][-1]


async def test_an_account_write_delayed_by_the_key_limit_counts_from_when_it_goes(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    # Key: one call every 0.2 s; each account: one write every 0.3 s. B's first send
    # takes the key's first slot, so A's first goes at 0.2 s, not at once; A's next
    # writes must be spaced 0.3 s from when A's writes actually went (0.2, 0.5, 0.8),
    # not from when they were reserved (which allowed 0.2, 0.4, 0.6: 0.2 s apart).
    a = fake.default_account.account_id
    a_thread, b_thread = thread(fake, a), thread(fake, ACCOUNT_B)
    limits = Limits(key=RateLimit(5, per=1.0), account_writes=RateLimit(10, per=3.0))
    async with make_client(limits=limits) as client, anyio.create_task_group() as group:
        group.start_soon(reply, client, b_thread, ACCOUNT_B)
        await anyio.sleep(0.01)
        for _ in range(3):
            group.start_soon(reply, client, a_thread, a)
            await anyio.sleep(0.01)
    sent = sorted(
        r.received_at for r in fake.requests if r.path == SEND and r.json()["accountId"] == a
    )
    assert len(sent) == 3
    assert min(later - earlier for earlier, later in itertools.pairwise(sent)) >= 0.27


# -- send_many across accounts ---------------------------------------------------------------


async def test_send_many_refuses_a_held_accounts_items_locally_and_sends_the_rest(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a = fake.default_account.account_id
    fake.fail_next(429, path=SEND, body=hold_body(NOON + timedelta(hours=24)))
    items = [SendRequest(f"Hi {i}", recipient_profile_id=f"a-{i}", account_id=a) for i in range(5)]
    items += [
        SendRequest(f"Hi {i}", recipient_profile_id=f"b-{i}", account_id=ACCOUNT_B)
        for i in range(5)
    ]
    async with client.conversations.send_many(items, concurrency=1) as outcomes:
        results = [outcome async for outcome in outcomes]
    summary = outcomes.summary
    assert sent_by(fake, ACCOUNT_B) == 5 and sent_by(fake, a) == 0
    assert summary.failed == 5
    assert summary.refused_locally == {a: 4}  # the first got the 429 itself
    assert all(isinstance(o.error, connectsafely.RateLimitError) for o in results if not o.ok)


# -- configuration ------------------------------------------------------------------------------


def test_documented_limits_are_the_published_numbers() -> None:
    limits = Limits.documented()
    assert limits.key == RateLimit(60, per=60.0)
    assert limits.account_writes == RateLimit(15, per=60.0)
    assert limits.daily_new_conversations == 150


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"key": 60}, TypeError, "key"),
        ({"account_writes": "15/min"}, TypeError, "account_writes"),
        ({"daily_new_conversations": 0}, ValueError, "daily_new_conversations"),
        ({"daily_new_conversations": 1.5}, TypeError, "daily_new_conversations"),
        ({"daily_new_conversations": True}, TypeError, "daily_new_conversations"),
    ],
)
def test_bad_limits_name_the_argument(kwargs: dict[str, Any], error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        Limits(**kwargs)


def test_rate_limit_is_shorthand_for_a_key_limit_and_not_both() -> None:
    client = AsyncClient(api_key="k", rate_limit=RateLimit(30, per=60.0))
    assert client.limits == Limits(key=RateLimit(30, per=60.0))
    assert client.rate_limit == RateLimit(30, per=60.0)
    with pytest.raises(ValueError, match="limits= or rate_limit="):
        AsyncClient(api_key="k", rate_limit=RateLimit(1), limits=Limits())
    with pytest.raises(TypeError, match="limits"):
        AsyncClient(api_key="k", limits={"key": 60})  # type: ignore[arg-type]


async def test_quota_needs_an_account_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(ValueError, match="account_id"):
        await client.accounts.quota()
    assert fake.requests == []


# -- against the fake's own per-account limits and holds --------------------------------------


async def test_an_account_at_its_limit_waits_while_another_account_sends(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a = fake.default_account.account_id
    a_thread, b_thread = thread(fake, a), thread(fake, ACCOUNT_B)
    fake.enforce_account_limit(2, per=30.0)
    await reply(client, a_thread, a)
    await reply(client, a_thread, a)  # "Remaining: 0" for A's MESSAGE window
    with anyio.fail_after(3):  # B's window is its own
        await reply(client, b_thread, ACCOUNT_B)
        await reply(client, b_thread, ACCOUNT_B)
    with anyio.move_on_after(0.5) as waited:  # A waits for its window, sending nothing
        await reply(client, a_thread, a)
    assert waited.cancelled_caught
    assert (sent_by(fake, a), sent_by(fake, ACCOUNT_B)) == (2, 2)
    assert fake.requests_to(SEND)[-1].json()["accountId"] == ACCOUNT_B  # no 429 was asked for


async def test_a_hold_set_on_the_fake_is_refused_locally_after_the_first_429(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    a_thread = thread(fake)
    fake.hold(until=NOON + timedelta(hours=2))
    for _ in range(3):
        with pytest.raises(connectsafely.RateLimitError) as info:
            await reply(client, a_thread)
        assert info.value.hold_until == NOON + timedelta(hours=2)
    assert len(fake.requests_to(SEND)) == 1
    await reply(client, thread(fake, ACCOUNT_B, "other"), ACCOUNT_B)
    fake.clock.advance(2 * 3600)
    await reply(client, a_thread)
    assert len(fake.sends) == 2


async def test_quota_reads_the_accounts_usage(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.accounts[ACCOUNT_B].usage["CONNECT"] = 100
    quota = await client.accounts.quota(ACCOUNT_B)
    assert quota.account_id == ACCOUNT_B
    connect = quota.get("CONNECT")
    assert connect is not None
    assert (connect.window, connect.used, connect.limit, connect.linkedin_limit) == (
        "weekly",
        100,
        90,
        100,
    )
    assert connect.remaining == 0 and connect.limit_reached is True
    # "2026-03-09 00:00:00+00:00" (a space, as documented): the Monday after NOON.
    assert connect.reset_at == datetime(2026, 3, 9, tzinfo=timezone.utc)
    assert connect.limit_reached_at == NOON
    views = quota.get("PROFILE_VIEW")
    assert views is not None and views.reset_at == datetime(2026, 3, 3, tzinfo=timezone.utc)
    assert views.limit_reached is False and views.limit_reached_at is None
    assert quota.get("NO_SUCH_FEATURE") is None
    assert fake.requests[-1].raw_path == f"/linkedin/account/{ACCOUNT_B}/quota"


async def test_quota_uses_the_clients_account_and_encodes_the_path(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(account_id=ACCOUNT_B) as client:
        assert (await client.accounts.quota()).account_id == ACCOUNT_B
        with pytest.raises(connectsafely.NotFoundError):
            await client.accounts.quota("a/b c")
    assert fake.requests[-1].raw_path == "/linkedin/account/a%2Fb%20c/quota"


@pytest.mark.real_sleep
async def test_an_accounts_pace_is_learned_from_its_own_headers(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    limit = fake.enforce_account_limit(5, per=1.0)
    items = [SendRequest(f"Hi {n}", conversation_urn=urn) for n in range(12)]
    async with make_client() as client:
        outcomes = await collect_in_order(client.conversations.send_many(items, concurrency=4))
        limiter = client._core.pool.limiter
        paces = {scope: pace.interval for scope, pace in limiter.learned_by_scope.items()}
    assert all(o.ok for o in outcomes)
    assert limiter.learned_interval is None  # an account's limit never paces the key
    [(scope, interval)] = paces.items()
    assert scope.endswith("|MESSAGE")
    assert interval == pytest.approx(1.0 / 5 / 0.95, rel=0.05)
    assert limit.rejected <= 4  # the calls in flight when the first window filled, at most
