"""The fake's limits: the admission stage of the core, and the daily new-conversation quota.

`Limits` is what the core asks before it routes a request (`Limits.admit`). Today it
holds one optional request-rate limit (`RequestRateLimiter`, set by
``enforce_rate_limit``); the per-key buckets and per-(account, action) buckets of the
design (section 8) belong here too, as more entries `admit` consults. The daily
new-conversation quota is counted by the send route (only it knows whether a send is
cold) with the helpers at the end of this module.

Request-rate limit
------------------

The real API allows about 60 requests a minute. The fake can enforce the same kind of
limit, usually on a compressed clock (``per=1.0``: a minute becomes a second) so
throughput tests take seconds.

Model: a **fixed-window counter**, the most literal reading of the documented headers.
A window opens with the first counted request after the previous one ended (as a
counter that starts its expiry on the first hit does) and lasts ``per`` seconds; it
admits ``limit`` requests. Every counted response carries
``X-RateLimit-Limit`` (``limit``: the most requests per window), ``X-RateLimit-Used``
and ``X-RateLimit-Remaining`` (in the current window) and ``X-RateLimit-Reset`` (the ISO
time the current window ends). A refused request gets 429 with the same headers and a
whole-second ``Retry-After`` (rounded up, so waiting it out always reaches the reset);
it does not count as used.

``burst`` optionally adds a token bucket in front of the window: at most ``burst``
requests back to back, refilled at ``limit / per`` a second. Its refusals are 429s
with a whole-second ``Retry-After`` until the next token; their ``X-RateLimit-*``
headers still describe the window.

Durations are measured on the fake clock's elapsed-time clock (`FakeClock.monotonic`:
``time.monotonic`` plus ``advance()``), so a frozen calendar never stops windows from
rolling over, and ``fake.clock.advance(per)`` starts a fresh window. Reset times are
expressed on the fake's calendar clock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import attrs

from ._clock import FakeClock, iso_utc
from ._records import FakeAccount
from ._wire import ErrorStyle, FakeResponse, RecordedRequest, error_body

__all__ = ["Limits", "RequestRateLimiter", "next_midnight", "quota_headers"]


@attrs.define
class RequestRateLimiter:
    """A fixed-window request counter (plus an optional burst bucket) over the fake's requests.

    Attributes:
        limit: Requests admitted per window.
        per: The window length in seconds.
        burst: Requests that may arrive back to back, or None for no burst limit
            beyond the window.
        path: Only requests whose decoded path starts with this count (all when None).
        allowed: Requests let through so far.
        rejected: Requests answered 429 so far.
    """

    limit: int
    per: float
    burst: int | None = None
    path: str | None = None
    allowed: int = 0
    rejected: int = 0
    _window_start: float = attrs.field(default=-math.inf, alias="_window_start")
    _window_reset: float = attrs.field(default=0.0, alias="_window_reset")  # calendar, epoch s
    _used: int = attrs.field(default=0, alias="_used")
    _tokens: float = attrs.field(default=math.nan, alias="_tokens")
    _updated: float = attrs.field(default=0.0, alias="_updated")

    @property
    def rate(self) -> float:
        """The long-run rate in requests per second (``limit / per``)."""
        return self.limit / self.per

    def check(
        self, clock: FakeClock, style: ErrorStyle
    ) -> tuple[FakeResponse | None, dict[str, str]]:
        """Count a request now: a 429 when refused (else None), and the headers to send."""
        now = clock.monotonic()
        if now >= self._window_start + self.per:
            self._window_start, self._used = now, 0
            # The reset is fixed on the calendar when the window opens, so a frozen
            # calendar gives the same Reset header all window long.
            self._window_reset = clock() + self.per
        wait: float | None = None
        if self._used >= self.limit:
            wait = self._window_start + self.per - now
        elif self.burst is not None:
            wait = self._take_token(now, self.burst)
        if wait is None:
            self._used += 1
            self.allowed += 1
            return None, self._headers()
        self.rejected += 1
        headers = self._headers()
        # Whole seconds, rounded up: a client that waits exactly this long is admitted.
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
        message = f"Rate limit exceeded: {self.limit} requests per {self.per:g} s"
        return FakeResponse(429, error_body(style, message, code="rate_limited"), headers), {}

    def _take_token(self, now: float, burst: int) -> float | None:
        """Take a burst token; the seconds until the next one when there is none."""
        if math.isnan(self._tokens):
            self._tokens, self._updated = float(burst), now
        self._tokens = min(float(burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / self.rate

    def _headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Used": str(self._used),
            "X-RateLimit-Remaining": str(max(0, self.limit - self._used)),
            "X-RateLimit-Reset": iso_utc(_utc(self._window_reset)),
        }


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


class Limits:
    """Every limit a request is counted against before it reaches its route.

    Attributes:
        request: The request-rate limit in force (``enforce_rate_limit``), if any.
    """

    def __init__(self) -> None:
        self.request: RequestRateLimiter | None = None

    def enforce(
        self, limit: int, per: float, *, burst: int | None, path: str | None
    ) -> RequestRateLimiter:
        """Start a new request-rate limit (see ``FakeConnectSafely.enforce_rate_limit``)."""
        if limit < 1 or per <= 0 or (burst is not None and burst < 1):
            raise ValueError("limit and burst must be >= 1 and per > 0")
        self.request = RequestRateLimiter(limit=limit, per=float(per), burst=burst, path=path)
        return self.request

    def admit(
        self, request: RecordedRequest, clock: FakeClock, style: ErrorStyle
    ) -> tuple[FakeResponse | None, dict[str, str]]:
        """Count an authenticated request against the limits that apply to it.

        Returns:
            A 429 to answer with instead of routing (or ``None`` to go on), and the
            ``X-RateLimit-*`` headers the routed response should carry.
        """
        limiter = self.request
        if limiter is None or (
            limiter.path is not None and not request.path.startswith(limiter.path)
        ):
            return None, {}
        return limiter.check(clock, style)


# -- the daily new-conversation quota ---------------------------------------------------


def quota_headers(account: FakeAccount, clock: FakeClock) -> dict[str, str]:
    """``X-RateLimit-*`` headers describing the account's daily new-conversation quota now."""
    used = quota_used(account, clock)
    return {
        "X-RateLimit-Action": "MESSAGE",
        "X-RateLimit-Limit": str(account.daily_quota),
        "X-RateLimit-Used": str(used),
        "X-RateLimit-Remaining": str(max(0, account.daily_quota - used)),
        "X-RateLimit-Reset": iso_utc(next_midnight(clock)),
    }


def next_midnight(clock: FakeClock) -> datetime:
    """00:00 UTC after the fake clock's current moment (when the quota resets)."""
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def quota_used(account: FakeAccount, clock: FakeClock) -> int:
    """The account's cold sends so far on the fake clock's UTC day."""
    today = clock.now().date()
    if account._quota_day != today:
        if account._quota_day is not None:  # another day: its count does not carry over
            account.new_conversations_today = 0
        account._quota_day = today
    return account.new_conversations_today
