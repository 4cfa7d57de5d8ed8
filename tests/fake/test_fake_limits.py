"""The fake server against the API facts: its clock, auth order, limit headers, holds."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

import connectsafely
from connectsafely.testing import FakeClock, FakeConnectSafely
from tests._support import NOON, SEND

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(fake: FakeConnectSafely) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the fake in-process: the wire as the fake writes it."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app),
        base_url="https://api.connectsafely.ai",
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as raw:
        yield raw


async def reply(http: httpx.AsyncClient, urn: str) -> httpx.Response:
    return await http.post(SEND, json={"message": "Hi", "conversationUrn": urn})


def moment(header: str) -> datetime:
    return datetime.fromisoformat(header.replace("Z", "+00:00"))


# -- FakeClock -------------------------------------------------------------------------------


def test_the_clock_follows_the_wall_clock_until_set() -> None:
    clock = FakeClock()
    before = time.time()
    assert before <= clock() <= time.time()
    assert not clock.frozen
    clock.advance(3600)
    assert clock() >= before + 3600
    clock.set(NOON)
    assert clock.frozen and clock() == NOON.timestamp() and clock.now() == NOON
    clock.advance(90.5)
    assert clock.now() == NOON + timedelta(seconds=90.5)
    clock.set(NOON.timestamp() - 60)  # epoch seconds work too, and may go back
    assert clock.now() == NOON - timedelta(seconds=60)


def test_advance_moves_the_elapsed_time_clock_and_set_does_not() -> None:
    clock = FakeClock(NOON)
    start = clock.monotonic()
    clock.set(NOON - timedelta(days=3))
    assert clock.monotonic() - start < 1.0
    clock.advance(120)
    assert clock.monotonic() - start >= 120


def test_the_clock_refuses_naive_datetimes_and_going_back() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 3, 2, 12, 0))
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(-1)


async def test_the_fakes_clock_dates_messages() -> None:
    fake = FakeConnectSafely(clock=NOON)
    assert isinstance(fake.clock, FakeClock) and fake.clock.now() == NOON
    async with fake.client() as own:
        result = await own.conversations.send("Hi", recipient_profile_id="jane-doe")
    assert result.sent_message is not None
    assert result.sent_message["sentAt"] == int(NOON.timestamp() * 1000)
    shared = FakeClock(NOON)
    assert FakeConnectSafely(clock=shared).clock is shared


# -- authentication comes first --------------------------------------------------------------


async def test_a_wrong_key_gets_401_not_an_injected_fault_which_stays_queued(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    fake.fail_next(503)
    async with make_client(api_key="cs_wrong_key", max_retries=0) as intruder:
        with pytest.raises(connectsafely.AuthenticationError) as info:
            await intruder.conversations.send("Hi", conversation_urn=urn)
    assert info.value.response is not None
    assert info.value.response.json() == {"error": "Unauthorized - Invalid credentials"}
    assert len(fake.pending_faults) == 1
    async with make_client(max_retries=0) as owner:
        with pytest.raises(connectsafely.InternalServerError):
            await owner.conversations.send("Hi", conversation_urn=urn)
    assert fake.sends == []


async def test_a_wrong_key_is_not_rate_limited_nor_counted(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    limiter = fake.enforce_rate_limit(1, per=600.0)
    async with make_client(max_retries=0) as owner:
        await owner.conversations.send("Hi", conversation_urn=urn)  # the window is used up
    async with make_client(api_key="cs_wrong_key", max_retries=0) as intruder:
        with pytest.raises(connectsafely.AuthenticationError):
            await intruder.conversations.send("Hi", conversation_urn=urn)
    assert (limiter.allowed, limiter.rejected) == (1, 0)


# -- the request limiter's headers mean what the API documents ---------------------------------


async def test_limit_headers_describe_a_fixed_window(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    urn = fake.add_conversation().urn
    limiter = fake.enforce_rate_limit(3, per=60.0)
    responses = [await reply(http, urn) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    for used, response in enumerate(responses[:3], start=1):
        assert response.headers["X-RateLimit-Limit"] == "3"  # per window
        assert response.headers["X-RateLimit-Used"] == str(used)
        assert response.headers["X-RateLimit-Remaining"] == str(3 - used)
    refused = responses[3].headers
    assert refused["Retry-After"] == "60"  # whole seconds, rounded up
    assert (refused["X-RateLimit-Used"], refused["X-RateLimit-Remaining"]) == ("3", "0")
    reset = moment(refused["X-RateLimit-Reset"])  # when this window ends, on the fake's clock
    assert NOON + timedelta(seconds=59) <= reset <= NOON + timedelta(seconds=60)
    assert moment(responses[0].headers["X-RateLimit-Reset"]) == reset
    fake.clock.advance(60)  # a new window
    fresh = await reply(http, urn)
    assert fresh.status_code == 200 and fresh.headers["X-RateLimit-Used"] == "1"
    assert (limiter.allowed, limiter.rejected) == (4, 1)


async def test_limit_is_the_window_limit_not_the_burst(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    fake.enforce_rate_limit(5, per=60.0, burst=2)
    statuses = [(await reply(http, urn)) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    refused = statuses[2].headers
    assert refused["X-RateLimit-Limit"] == "5"
    assert refused["X-RateLimit-Remaining"] == "3"  # the window still has room
    assert refused["Retry-After"] == "12"  # the next burst token: 60 s / 5, whole seconds


async def test_a_frozen_calendar_does_not_stop_windows_from_rolling_over(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    urn = fake.add_conversation().urn
    fake.enforce_rate_limit(2, per=0.2)
    assert [(await reply(http, urn)).status_code for _ in range(3)] == [200, 200, 429]
    await anyio.sleep(0.25)
    assert (await reply(http, urn)).status_code == 200


async def test_replies_carry_the_key_limit_and_cold_sends_the_quota(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    urn = fake.add_conversation().urn
    fake.enforce_rate_limit(10, per=60.0)
    warm = await reply(http, urn)
    assert "X-RateLimit-Action" not in warm.headers
    assert warm.headers["X-RateLimit-Limit"] == "10"
    cold = await http.post(SEND, json={"message": "Hi", "recipientProfileId": "new-lead"})
    assert cold.headers["X-RateLimit-Action"] == "MESSAGE"
    assert (cold.headers["X-RateLimit-Limit"], cold.headers["X-RateLimit-Used"]) == ("150", "1")
    assert cold.headers["X-RateLimit-Remaining"] == "149"
    assert cold.headers["X-RateLimit-Reset"] == "2026-03-03T00:00:00.000Z"


# -- holdUntil ---------------------------------------------------------------------------------


async def test_rate_limit_next_can_put_an_account_on_hold(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    fake.rate_limit_next(hold_until=NOON + timedelta(hours=24), action="CONNECT", limit=90)
    held = await reply(http, urn)
    assert held.status_code == 429
    assert held.json() == {
        "success": False,
        "error": "Rate limit exceeded for CONNECT: 90/90 used. Resets at 2026-03-03T12:00:00.000Z",
        "holdUntil": "2026-03-03T12:00:00.000Z",
    }
    assert "Retry-After" not in held.headers  # a hold is not a retry hint
    assert held.headers["X-RateLimit-Action"] == "CONNECT"
    assert held.headers["X-RateLimit-Remaining"] == "0"
    assert (await reply(http, urn)).status_code == 200  # one call only, as scripted
    assert fake.sends[0].text == "Hi"


async def test_a_hold_can_also_ask_for_a_retry_after(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    fake.rate_limit_next(hold_until=NOON, retry_after=5, method="POST")
    held = await reply(http, urn)
    assert held.headers["Retry-After"] == "5"
    assert "X-RateLimit-Action" not in held.headers
    assert held.json()["holdUntil"] == "2026-03-02T12:00:00.000Z"
    with pytest.raises(ValueError, match="aware"):
        fake.rate_limit_next(hold_until=datetime(2026, 3, 2))


async def test_rate_limit_next_without_a_hold_is_unchanged(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    fake.rate_limit_next()
    limited = await reply(http, urn)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json() == {"error": "Rate limit exceeded"}


# -- per-(account, action) limits, holds, the quota route ------------------------------------


async def test_account_limits_count_each_account_apart_and_name_the_action(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    other = fake.add_account(name="Other").account_id
    limit = fake.enforce_account_limit(1, per=60.0)

    async def cold(lead: str, account: str | None = None) -> httpx.Response:
        body = {"message": "Hi", "recipientProfileId": lead}
        return await http.post(
            SEND, json=body if account is None else {**body, "accountId": account}
        )

    first = await cold("a-1")
    assert await cold("b-1", other)  # the other account's own window
    refused = await cold("a-2")
    # A cold send near its window's end carries the window, not the (far) daily quota.
    assert first.headers["x-ratelimit-action"] == "MESSAGE"
    assert (first.headers["x-ratelimit-limit"], first.headers["x-ratelimit-remaining"]) == (
        "1",
        "0",
    )
    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-action"] == "MESSAGE"
    assert refused.headers["retry-after"] == "60"
    assert "Rate limit exceeded for MESSAGE: 1/1 used" in refused.text
    assert (limit.allowed, limit.rejected) == (2, 1)
    assert limit.rejected_by_account == {fake.default_account.account_id: 1}


async def test_the_sdk_waits_for_an_accounts_window_instead_of_getting_a_429(
    fake: FakeConnectSafely,
) -> None:
    limit = fake.enforce_account_limit(1, per=60.0)
    async with fake.client(max_retries=0) as client:
        await client.conversations.send("Hi", recipient_profile_id="a-1")
        with anyio.move_on_after(0.5) as waited:  # paused until the window resets
            await client.conversations.send("Hi", recipient_profile_id="a-2")
    assert waited.cancelled_caught
    assert (limit.allowed, limit.rejected) == (1, 0)


async def test_a_held_action_answers_the_documented_429_until_the_clock_passes(
    fake: FakeConnectSafely,
) -> None:
    until = fake.clock.now() + timedelta(hours=1)
    fake.hold(until=until)
    async with fake.client(max_retries=0) as client:
        with pytest.raises(connectsafely.RateLimitError) as info:
            await client.conversations.send("Hi", recipient_profile_id="a-1")
    body = info.value.body
    assert isinstance(body, dict) and body["success"] is False and "holdUntil" in body
    assert info.value.response.headers["x-ratelimit-action"] == "MESSAGE"  # type: ignore[union-attr]
    assert "retry-after" not in info.value.response.headers  # type: ignore[union-attr]
    fake.clock.advance(3600)
    async with fake.client(max_retries=0) as client:
        await client.conversations.send("Hi", recipient_profile_id="a-1")
    assert len(fake.sends) == 1


def test_hold_needs_an_aware_moment(fake: FakeConnectSafely) -> None:
    with pytest.raises(ValueError, match="aware"):
        fake.hold(until=datetime(2026, 1, 1))


async def test_the_quota_route_has_no_success_field_and_spaced_times(
    fake: FakeConnectSafely,
) -> None:
    fake.clock.set(NOON)
    async with httpx.AsyncClient(
        transport=fake.transport(), headers={"Authorization": f"Bearer {fake.api_key}"}
    ) as raw:
        account = fake.default_account.account_id
        ok = await raw.get(f"https://api.connectsafely.ai/linkedin/account/{account}/quota")
        missing = await raw.get("https://api.connectsafely.ai/linkedin/account/nope/quota")
    body = ok.json()
    assert set(body) == {"accountId", "quotas"}
    # The four features the reference names (read them by name: the order is not promised).
    features = {q["feature"] for q in body["quotas"]}
    assert features == {"PROFILE_VIEW", "COMMENT", "CONNECT", "SEARCH_PEOPLE"}
    views = next(q for q in body["quotas"] if q["feature"] == "PROFILE_VIEW")
    assert views["resetAt"] == "2026-03-03 00:00:00+00:00"
    assert missing.status_code == 404
