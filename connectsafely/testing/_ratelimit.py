"""An optional request-rate limit for the fake server (the API key's requests per window).

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
from datetime import datetime, timezone

import attrs

from ._app import FakeApp, iso_utc
from ._clock import FakeClock
from ._wire import ErrorStyle, FakeResponse, RecordedRequest, error_body

__all__ = ["RateLimitMixin", "RequestRateLimiter"]


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


class RateLimitMixin(FakeApp):
    """Adds `enforce_rate_limit` to the fake."""

    request_limiter: RequestRateLimiter | None = None
    """The request-rate limit in force, if any (see `enforce_rate_limit`)."""

    def enforce_rate_limit(
        self,
        limit: int = 60,
        per: float = 60.0,
        *,
        burst: int | None = None,
        path: str | None = None,
    ) -> RequestRateLimiter:
        """Refuse requests beyond ``limit`` per ``per``-second window with 429.

        A fixed-window counter (see the module docs): responses carry
        ``X-RateLimit-Limit``/``-Used``/``-Remaining``/``-Reset`` with their documented
        meanings, and a refusal a whole-second ``Retry-After``.

        Args:
            limit: Requests allowed per window (the API's plans: 60 a minute).
            per: The window in seconds; use e.g. ``1.0`` to compress a minute into a
                second for fast tests.
            burst: At most this many requests back to back (a token bucket refilled
                at ``limit / per`` a second); no such limit by default.
            path: Only count requests whose decoded path starts with this.

        Returns:
            The limiter; its ``allowed`` and ``rejected`` counters show what happened.
        """
        if limit < 1 or per <= 0 or (burst is not None and burst < 1):
            raise ValueError("limit and burst must be >= 1 and per > 0")
        self.request_limiter = RequestRateLimiter(
            limit=limit, per=float(per), burst=burst, path=path
        )
        return self.request_limiter

    def stop_rate_limit(self) -> None:
        """Stop enforcing a request-rate limit."""
        self.request_limiter = None

    def _admit(self, request: RecordedRequest) -> tuple[FakeResponse | None, dict[str, str]]:
        """Count the request against the limit; a 429 when it is exhausted."""
        limiter = self.request_limiter
        if limiter is None or (
            limiter.path is not None and not request.path.startswith(limiter.path)
        ):
            return None, {}
        return limiter.check(self.clock, self.error_style)
