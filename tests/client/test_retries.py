"""Retry rules: what is retried, how long we wait, idempotency keys and cancellation."""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely._headers import parse_retry_after
from connectsafely._retry import backoff_delay
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND, send

pytestmark = pytest.mark.anyio


async def test_503_then_success_is_retried_once(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.fail_next(503)
    result = await send(client)
    assert result.success
    assert len(fake.requests) == 2
    assert len(fake.sends) == 1
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


async def test_backoff_grows_exponentially_until_attempts_run_out(
    make_client: Any, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.fail_next(500, count=10)
    async with make_client(max_retries=5) as client:
        with pytest.raises(connectsafely.InternalServerError):
            await send(client)
    assert len(fake.requests) == 6
    for delay, ceiling in zip(sleeps, [0.5, 1, 2, 4, 8], strict=True):
        assert 0.75 * ceiling <= delay <= ceiling


def test_backoff_is_capped_at_eight_seconds() -> None:
    assert all(6.0 <= backoff_delay(n) <= 8.0 for n in range(5, 40))


async def test_max_retries_zero_raises_on_first_failure(
    make_client: Any, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.fail_next(503)
    async with make_client(max_retries=0) as client:
        with pytest.raises(connectsafely.InternalServerError):
            await send(client)
    assert len(fake.requests) == 1 and sleeps == []


async def test_with_options_turns_retries_off_for_one_call(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503)
    with pytest.raises(connectsafely.InternalServerError):
        await send(client.with_options(max_retries=0))
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_retryable_statuses(
    client: AsyncClient, fake: FakeConnectSafely, status: int
) -> None:
    fake.fail_next(status)
    assert (await send(client)).success
    assert len(fake.requests) == 2


async def test_dropped_connection_is_retried(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.drop_next()
    assert (await send(client)).success
    assert len(fake.requests) == 2 and len(fake.sends) == 1


async def test_x_should_retry_false_stops_a_5xx_retry(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503, headers={"x-should-retry": "false"})
    with pytest.raises(connectsafely.InternalServerError):
        await send(client)
    assert len(fake.requests) == 1


async def test_x_should_retry_true_retries_a_4xx(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(409, headers={"x-should-retry": "true"})
    assert (await send(client)).success
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "200", "Retry-After": "9"}, 0.2),
    ],
)
async def test_retry_after_headers_set_the_wait(
    client: AsyncClient,
    fake: FakeConnectSafely,
    sleeps: list[float],
    headers: dict[str, str],
    expected: float,
) -> None:
    fake.fail_next(429, headers=headers)
    assert (await send(client)).success
    assert sleeps == [pytest.approx(expected)]


async def test_retry_after_http_date(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    fake.fail_next(503, headers={"Retry-After": when})
    assert (await send(client)).success
    assert 17 <= sleeps[0] <= 21


async def test_rate_limit_reset_is_used_on_429_without_retry_after(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.fail_next(429, headers={"X-RateLimit-Reset": str(int(time.time()) + 10)})
    assert (await send(client)).success
    assert 8 <= sleeps[0] <= 11


async def test_wait_longer_than_a_minute_raises_at_once_with_retry_after(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.rate_limit_next(retry_after=3 * 3600)
    with pytest.raises(connectsafely.RateLimitError) as info:
        await send(client)
    assert info.value.retry_after == pytest.approx(3 * 3600)
    assert len(fake.requests) == 1 and sleeps == []


@pytest.mark.parametrize("status", [429, 503, 408])
async def test_a_requested_wait_under_a_minute_is_slept(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float], status: int
) -> None:
    fake.fail_next(status, headers={"Retry-After": "59"})
    assert (await send(client)).success
    assert sleeps == [59.0]  # recorded by the fixture, not waited
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (429, connectsafely.RateLimitError),
        (503, connectsafely.InternalServerError),
        (500, connectsafely.InternalServerError),
        (408, connectsafely.APIStatusError),
    ],
)
async def test_a_requested_wait_over_a_minute_raises_at_once_whatever_the_status(
    client: AsyncClient,
    fake: FakeConnectSafely,
    sleeps: list[float],
    status: int,
    error_class: type[connectsafely.APIStatusError],
) -> None:
    fake.fail_next(status, headers={"Retry-After": "61"})
    with pytest.raises(error_class) as info:
        await send(client)
    assert info.value.status_code == status
    assert info.value.retry_after == 61.0
    assert len(fake.requests) == 1 and sleeps == []


async def test_a_503_asking_for_two_minutes_carries_retry_after(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.fail_next(503, headers={"Retry-After": "120"})
    with pytest.raises(connectsafely.InternalServerError) as info:
        await send(client)
    assert info.value.retry_after == 120.0
    assert len(fake.requests) == 1 and sleeps == []


async def test_every_status_error_has_retry_after(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(400, headers={"Retry-After": "5"})
    with pytest.raises(connectsafely.BadRequestError) as info:
        await send(client)
    assert info.value.retry_after == 5.0
    fake.fail_next(404)
    with pytest.raises(connectsafely.NotFoundError) as missing:
        await send(client)
    assert missing.value.retry_after is None


def _hold_body(hold_until: str) -> dict[str, Any]:
    return {
        "success": False,
        "error": f"Rate limit exceeded for CONNECT: 90/90 used. Resets at {hold_until}",
        "holdUntil": hold_until,
    }


@pytest.mark.parametrize("seconds_ahead", [20, 2 * 3600])
async def test_a_hold_is_never_retried_and_says_until_when(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float], seconds_ahead: int
) -> None:
    until = datetime.fromtimestamp(int(time.time()) + seconds_ahead, tz=timezone.utc)
    fake.fail_next(429, body=_hold_body(until.isoformat().replace("+00:00", "Z")))
    with pytest.raises(connectsafely.RateLimitError) as info:
        await send(client)
    error = info.value
    assert error.hold_until == until
    assert error.hold_until is not None and error.hold_until.tzinfo is not None
    assert error.hold_until.utcoffset() == timedelta(0)
    assert error.retry_after is not None
    assert seconds_ahead - 5 <= error.retry_after <= seconds_ahead
    assert len(fake.requests) == 1 and sleeps == []


async def test_a_hold_wins_over_a_short_retry_after(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    until = datetime.fromtimestamp(int(time.time()) + 3600, tz=timezone.utc)
    fake.fail_next(429, body=_hold_body(until.isoformat()), headers={"Retry-After": "1"})
    with pytest.raises(connectsafely.RateLimitError) as info:
        await send(client)
    assert info.value.hold_until == until
    assert info.value.retry_after is not None and info.value.retry_after > 3000
    assert len(fake.requests) == 1 and sleeps == []


@pytest.mark.parametrize("value", ["next tuesday", "", "2026-13-45T99:00:00Z", "9" * 100])
async def test_a_malformed_hold_falls_back_to_the_status_rule(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float], value: str
) -> None:
    fake.fail_next(429, body=_hold_body(value), headers={"Retry-After": "2"})
    assert (await send(client)).success  # an ordinary 429: waited out and retried
    assert sleeps == [2.0]


async def test_an_ordinary_429_has_no_hold(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.rate_limit_next(retry_after=3 * 3600)
    with pytest.raises(connectsafely.RateLimitError) as info:
        await send(client)
    assert info.value.hold_until is None


def test_retry_after_parsing_rules() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after({"retry-after": "nonsense"}, 503, now=now) is None
    assert parse_retry_after({"retry-after": "-5"}, 503, now=now) == 0.0
    assert parse_retry_after({"x-ratelimit-reset": str(now + 30)}, 503, now=now) is None
    iso = "2023-11-14T22:14:00Z"  # 1_700_000_040
    assert parse_retry_after({"x-ratelimit-reset": iso}, 429, now=now) == pytest.approx(40)
    ms = str(int((now + 5) * 1000))
    assert parse_retry_after({"x-ratelimit-reset": ms}, 429, now=now) == pytest.approx(5)


async def test_idempotency_key_is_stable_across_retries_and_new_per_call(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503, count=2)
    await send(client)
    await send(client)
    keys = [r.idempotency_key for r in fake.requests]
    assert len(keys) == 4 and all(keys)
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]


async def test_caller_idempotency_key_is_used_on_every_attempt(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(500)
    await send(client, idempotency_key="outreach-42-jane")
    # Between the two attempts the ledger checked (a GET) that the first did not go out.
    assert [r.idempotency_key for r in fake.requests_to(SEND)] == ["outreach-42-jane"] * 2


@pytest.mark.parametrize("bad", ["", "   ", "a\r\nb", "tab\there", "x" * 4097, "\ud800"])
async def test_bad_idempotency_key_is_refused_before_sending(
    client: AsyncClient, fake: FakeConnectSafely, bad: str
) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await send(client, idempotency_key=bad)
    assert fake.requests == []


async def test_retries_are_logged_without_the_key(
    client: AsyncClient, fake: FakeConnectSafely, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(503)
    with caplog.at_level(logging.DEBUG):
        await send(client)
    retry_lines = [
        r for r in caplog.records if r.name == "connectsafely" and "Retrying" in r.getMessage()
    ]
    assert len(retry_lines) == 1
    message = retry_lines[0].getMessage()
    assert "attempt 1 of 3" in message and "503" in message
    assert all(fake.api_key not in r.getMessage() for r in caplog.records)


@pytest.mark.real_sleep
async def test_cancelling_during_backoff_returns_promptly(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503, headers={"Retry-After": "30"})
    started = time.monotonic()
    with anyio.move_on_after(0.2) as scope:
        await send(client)
    assert scope.cancelled_caught
    assert time.monotonic() - started < 2
    assert len(fake.requests) == 1
    assert (await send(client)).success  # still usable


async def test_no_connection_is_left_checked_out_after_errors(fake: FakeConnectSafely) -> None:
    # One connection and a short pool timeout: a leaked connection would make the
    # following calls fail with a pool timeout.
    with fake.serve() as server:
        limits = httpx.Limits(max_connections=1)
        timeout = httpx.Timeout(5.0, pool=0.5)
        async with (
            httpx.AsyncClient(limits=limits, timeout=timeout) as http,
            AsyncClient(
                api_key=fake.api_key, base_url=server.base_url, http_client=http, timeout=timeout
            ) as client,
        ):
            fake.fail_next(500, count=3)
            with pytest.raises(connectsafely.InternalServerError):
                await send(client)
            fake.drop_next(count=3)
            with pytest.raises(connectsafely.APIConnectionError):
                await send(client)
            fake.fail_next(400)
            with pytest.raises(connectsafely.BadRequestError):
                await send(client)
            fake.drop_next(mid_body=True, count=3)
            with pytest.raises(connectsafely.APIConnectionError):
                await send(client)
            for _ in range(3):
                assert (await send(client)).success
