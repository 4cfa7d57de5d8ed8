"""An optional request-rate limit for the fake server (the API key's requests per minute).

The real API allows about 60 requests a minute with short bursts. The fake can enforce
the same kind of limit, usually on a compressed clock (``per=1.0``: a minute becomes a
second) so throughput tests take seconds. It is a token bucket: ``burst`` tokens, refilled
at ``limit`` per ``per`` seconds; a request finding no token gets a 429 with
``Retry-After`` (fractional seconds until the next token) and ``X-RateLimit-*`` headers
(``Limit`` is the bucket size, ``Reset`` the ISO time at which it is full again).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import attrs

from ._app import FakeApp
from ._wire import ErrorStyle, FakeResponse, RecordedRequest, error_body

__all__ = ["RateLimitMixin", "RequestRateLimiter"]


@attrs.define
class RequestRateLimiter:
    """A token bucket over the fake's requests.

    Attributes:
        limit: Requests refilled every ``per`` seconds.
        per: The refill window in seconds.
        burst: Bucket size: requests that may arrive back to back.
        path: Only requests whose decoded path starts with this count (all when None).
        allowed: Requests let through so far.
        rejected: Requests answered 429 so far.
    """

    limit: int
    per: float
    burst: int
    path: str | None = None
    allowed: int = 0
    rejected: int = 0
    _tokens: float = attrs.field(default=math.nan, alias="_tokens")
    _updated: float = attrs.field(default=0.0, alias="_updated")

    @property
    def rate(self) -> float:
        """Tokens refilled per second."""
        return self.limit / self.per

    def check(self, now: float, style: ErrorStyle) -> FakeResponse | None:
        """Take a token at wall-clock time ``now``; a 429 response when there is none."""
        if math.isnan(self._tokens):
            self._tokens, self._updated = float(self.burst), now
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.allowed += 1
            return None
        self.rejected += 1
        wait = (1.0 - self._tokens) / self.rate
        full_at = now + (self.burst - self._tokens) / self.rate
        reset = datetime.fromtimestamp(full_at, tz=timezone.utc)
        headers = {
            "Retry-After": f"{wait:.3f}",
            "X-RateLimit-Limit": str(self.burst),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        message = f"Rate limit exceeded: {self.limit} requests per {self.per:g} s"
        return FakeResponse(429, error_body(style, message, code="rate_limited"), headers)


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
        """Refuse requests beyond ``limit`` per ``per`` seconds with 429.

        Args:
            limit: Requests allowed per window (the API's plans: 60 a minute).
            per: The window in seconds; use e.g. ``1.0`` to compress a minute into a
                second for fast tests.
            burst: Requests that may arrive back to back (the bucket size); defaults
                to ``limit``.
            path: Only count requests whose decoded path starts with this.

        Returns:
            The limiter; its ``allowed`` and ``rejected`` counters show what happened.
        """
        if limit < 1 or per <= 0 or (burst is not None and burst < 1):
            raise ValueError("limit and burst must be >= 1 and per > 0")
        self.request_limiter = RequestRateLimiter(
            limit=limit, per=float(per), burst=limit if burst is None else burst, path=path
        )
        return self.request_limiter

    def stop_rate_limit(self) -> None:
        """Stop enforcing a request-rate limit."""
        self.request_limiter = None

    def admit_request(self, request: RecordedRequest) -> FakeResponse | None:
        """Answer 429 when the request-rate limit is exhausted (else let it through)."""
        limiter = self.request_limiter
        if limiter is None or (
            limiter.path is not None and not request.path.startswith(limiter.path)
        ):
            return None
        return limiter.check(self.clock(), self.error_style)
