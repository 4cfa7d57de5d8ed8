"""The SDK's own counts of connection requests and profile views (design §14, "Limits").

``Limits(account_connects=N)`` counts each account's connection requests per calendar
week (from Monday 00:00 UTC), ``Limits(account_profile_views=N)`` its profile views per
UTC day; the call past the count is refused here, with `QuotaExceededError` and no
request. The fake's clock is Monday 2026-03-02 12:00 UTC, and the client reads its
calendar from it, so the week ends 6.5 days later and the day 12 hours later.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, Limits, QuotaExceededError, RateLimit
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON, SEND

from .conftest import ACCOUNT_B

pytestmark = pytest.mark.anyio

CONNECT = "/linkedin/connect"
PROFILE = "/linkedin/profile"
NEXT_MONDAY = datetime(2026, 3, 9, tzinfo=timezone.utc)
MIDNIGHT = datetime(2026, 3, 3, tzinfo=timezone.utc)


async def invite(client: AsyncClient, fake: FakeConnectSafely, who: str, **kw: Any) -> None:
    if who not in fake.profiles:
        fake.add_profile(who)
    await client.invitations.send(who, **kw)


async def view(client: AsyncClient, fake: FakeConnectSafely, who: str, **kw: Any) -> None:
    if who not in fake.profiles:
        fake.add_profile(who)
    await client.profiles.get(who, **kw)


# -- connection requests: a count per calendar week --------------------------------------------


async def test_the_request_past_the_weeks_count_is_refused_without_a_request(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    account = fake.default_account_id
    async with make_client(limits=Limits(account_connects=3)) as client:
        for n in range(3):
            await invite(client, fake, f"lead-{n}", account_id=account)
        with pytest.raises(QuotaExceededError) as info:
            await invite(client, fake, "lead-3", account_id=account)
        await client.conversations.send("Hello", recipient_profile_id="jane-doe")  # messages go
        await invite(client, fake, "lead-3", account_id=ACCOUNT_B)  # another account goes
    error = info.value
    assert isinstance(error, connectsafely.RateLimitError)
    assert error.response is None and error.status_code == 429
    assert (error.account_id, error.action) == (account, "CONNECT")
    assert error.retry_after == pytest.approx((NEXT_MONDAY - NOON).total_seconds())
    assert account in str(error) and NEXT_MONDAY.isoformat() in str(error)
    assert "no request was sent" in str(error)
    assert [r.json().get("accountId") for r in fake.requests_to(CONNECT)] == [account] * 3 + [
        ACCOUNT_B
    ]
    assert len(fake.requests_to(SEND)) == 1


async def test_the_week_is_a_calendar_one_that_starts_again_on_monday_at_midnight_utc(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(account_connects=2)) as client:
        await invite(client, fake, "lead-0")
        fake.clock.set(NEXT_MONDAY - timedelta(days=1))  # Sunday 00:00: the same week
        await invite(client, fake, "lead-1")
        fake.clock.set(NEXT_MONDAY - timedelta(seconds=1))  # Sunday 23:59:59
        with pytest.raises(QuotaExceededError) as info:
            await invite(client, fake, "lead-2")
        assert info.value.retry_after == pytest.approx(1.0)
        fake.clock.advance(1)  # Monday 00:00:00 UTC: a new week, though lead-1 is 1 day old
        await invite(client, fake, "lead-2")
        await invite(client, fake, "lead-3")
        with pytest.raises(QuotaExceededError):
            await invite(client, fake, "lead-4")
    assert len(fake.requests_to(CONNECT)) == 4


async def test_a_definitely_refused_request_gives_its_count_back_and_a_5xx_does_not(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(account_connects=2), max_retries=0) as client:
        with pytest.raises(connectsafely.NotFoundError):
            await client.invitations.send("nobody-here")  # 404: nothing was sent
        fake.fail_next(500, path=CONNECT, after_processing=True)
        with pytest.raises(connectsafely.InternalServerError):
            await invite(client, fake, "lead-0")  # it may have gone out: still counted
        await invite(client, fake, "lead-1")
        with pytest.raises(QuotaExceededError):
            await invite(client, fake, "lead-2")
    assert len(fake.requests_to(CONNECT)) == 3
    assert len(fake.invitations) == 2


async def test_a_retried_request_is_counted_once(make_client: Any, fake: FakeConnectSafely) -> None:
    async with make_client(limits=Limits(account_connects=2)) as client:
        fake.fail_next(503, path=CONNECT)  # refused before processing, then retried
        await invite(client, fake, "lead-0")
        await invite(client, fake, "lead-1")
        with pytest.raises(QuotaExceededError):
            await invite(client, fake, "lead-2")
    assert len(fake.requests_to(CONNECT)) == 3 and len(fake.invitations) == 2


async def test_copies_share_the_count(make_client: Any, fake: FakeConnectSafely) -> None:
    async with make_client(limits=Limits(account_connects=2)) as client:
        copy = client.with_options(timeout=30.0)
        await invite(client, fake, "lead-0")
        await invite(copy, fake, "lead-1")
        with pytest.raises(QuotaExceededError):
            await invite(copy, fake, "lead-2")


# -- what the server says about connection requests -------------------------------------------


async def test_a_hold_naming_nothing_on_a_connect_holds_connects_only(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    until = NOON + timedelta(hours=24)
    fake.fail_next(429, path=CONNECT, body={"error": "Slow down", "holdUntil": until.isoformat()})
    with pytest.raises(connectsafely.RateLimitError) as first:
        await client.invitations.send("jane-doe")
    assert first.value.action == "CONNECT" and first.value.hold_until == until
    sent = len(fake.requests)
    with pytest.raises(connectsafely.RateLimitError) as local:
        await invite(client, fake, "lead-0")
    assert local.value.response is None and local.value.action == "CONNECT"
    assert len(fake.requests) == sent
    await client.conversations.send("Hello", recipient_profile_id="jane-doe")
    await client.profiles.get("jane-doe")
    await invite(client, fake, "lead-0", account_id=ACCOUNT_B)
    assert len(fake.requests) == sent + 3
    fake.clock.set(until)
    await invite(client, fake, "lead-0")  # the hold is over


async def test_a_quota_429_on_a_connect_fails_that_accounts_connects_fast_until_the_reset(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # A 429 whose wait is over a minute, without holdUntil: the week is used up.
    fake.fail_next(429, path=CONNECT, headers={"Retry-After": "7200"})
    with pytest.raises(QuotaExceededError) as server:
        await client.invitations.send("jane-doe")
    assert server.value.response is not None
    assert (server.value.action, server.value.account_id) == ("CONNECT", None)
    sent = len(fake.requests)
    with pytest.raises(QuotaExceededError) as local:
        await invite(client, fake, "lead-0")
    assert local.value.response is None and local.value.action == "CONNECT"
    assert local.value.retry_after == pytest.approx(7200)
    assert len(fake.requests) == sent
    await client.conversations.send("Hello", recipient_profile_id="jane-doe")  # messages go
    await invite(client, fake, "lead-0", account_id=ACCOUNT_B)  # another account goes
    fake.clock.advance(7200)
    await invite(client, fake, "lead-1")
    assert len(fake.invitations) == 2


# -- profile views: a count per UTC day --------------------------------------------------------


async def test_the_view_past_the_days_count_is_refused_and_the_next_day_starts_at_zero(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(limits=Limits(account_profile_views=2)) as client:
        await view(client, fake, "jane-doe")
        await client.profiles.visit("jane-doe")  # a visit is a PROFILE_VIEW too
        with pytest.raises(QuotaExceededError) as info:
            await view(client, fake, "lead-0")
        await view(client, fake, "lead-0", account_id=ACCOUNT_B)
        await invite(client, fake, "lead-0")  # connection requests are another count
        fake.clock.set(MIDNIGHT)
        await view(client, fake, "lead-0")
    error = info.value
    assert (error.response, error.action, error.account_id) == (None, "PROFILE_VIEW", None)
    assert error.retry_after == pytest.approx(12 * 3600)
    assert "The default account (PROFILE_VIEW) reached its 2 profile views" in str(error)
    accounts = [r.json().get("accountId") for r in fake.requests_to(PROFILE)]
    assert accounts == [None, None, ACCOUNT_B, None]  # the visit's own path is /profile/visit


# -- configuration ------------------------------------------------------------------------------


def test_documented_limits_count_connects_per_week_and_profile_views_per_day() -> None:
    limits = Limits.documented()
    assert (limits.account_connects, limits.account_profile_views) == (90, 120)
    assert limits.key == RateLimit(60, per=60.0) and limits.daily_new_conversations == 150
    assert Limits().empty and not Limits(account_connects=1).empty
    assert not Limits(account_profile_views=1).empty


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"account_connects": 0}, ValueError),
        ({"account_connects": 2.5}, TypeError),
        ({"account_connects": True}, TypeError),
        ({"account_profile_views": -1}, ValueError),
        ({"account_profile_views": "120"}, TypeError),
    ],
)
def test_bad_counts_name_the_argument(kwargs: dict[str, Any], error: type) -> None:
    [name] = kwargs
    with pytest.raises(error, match=name):
        Limits(**kwargs)
