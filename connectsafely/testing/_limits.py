"""The fake's limits: the admission stage of the core, and the daily new-conversation quota.

`Limits` is what the core asks before it routes a request (`Limits.admit`). It holds,
in the order it checks them (design section 8):

1. **holds** (``fake.hold``): an account's action held until a moment of the fake's
   calendar; its calls of that action get the documented 429 with ``holdUntil``;
2. the **key's** request-rate limit (``enforce_rate_limit``), one `RequestRateLimiter`;
3. **per-(account, action)** limits (``enforce_account_limit``): one
   `RequestRateLimiter` per account for the calls of one action (sends are ``MESSAGE``),
   whose headers and 429s name the action in ``X-RateLimit-Action``.

A response carries the headers of the narrowest limit it counted against (the
account's action, else the key). The daily new-conversation quota is counted by the
send route (only it knows whether a send is cold) with the helpers at the end of this
module.

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

import json
import math
from datetime import datetime, timedelta, timezone

import attrs

from ._clock import FakeClock, iso_utc
from ._records import FakeAccount
from ._wire import ErrorStyle, FakeResponse, RecordedRequest, error_body

__all__ = [
    "AccountLimit",
    "Limits",
    "RequestRateLimiter",
    "action_of",
    "next_midnight",
    "quota_headers",
]

_ACTIONS = {
    ("POST", "/linkedin/conversations/send"): "MESSAGE",
    ("POST", "/linkedin/sales-nav/send"): "MESSAGE",
    ("POST", "/linkedin/connect"): "CONNECT",
}
"""Which requests count as which action (for holds and per-account limits): sends are
``MESSAGE``, connection requests ``CONNECT``."""


def action_of(request: RecordedRequest) -> str | None:
    """The action category a request counts against, if any."""
    return _ACTIONS.get((request.method, request.path))


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


@attrs.define
class AccountLimit:
    """One action's limit, counted for each account separately (a window per account).

    Attributes:
        action: The action category, e.g. ``"MESSAGE"`` (sent as ``X-RateLimit-Action``).
        limit: Calls of the action each account may make per window.
        per: The window in seconds.
        allowed: Calls let through so far, all accounts together.
        rejected: Calls answered 429 so far, all accounts together.
        rejected_by_account: The rejections per account id.
    """

    action: str
    limit: int
    per: float
    allowed: int = 0
    rejected: int = 0
    rejected_by_account: dict[str, int] = attrs.field(factory=dict)
    _windows: dict[str, RequestRateLimiter] = attrs.field(factory=dict, alias="_windows")

    def check(
        self, account: str, clock: FakeClock, style: ErrorStyle
    ) -> tuple[FakeResponse | None, dict[str, str]]:
        """Count a call of ``account``; a 429 naming the action when over the limit."""
        window = self._windows.get(account)
        if window is None:
            window = self._windows[account] = RequestRateLimiter(limit=self.limit, per=self.per)
        refusal, headers = window.check(clock, style)
        if refusal is None:
            self.allowed += 1
            return None, {"X-RateLimit-Action": self.action, **headers}
        self.rejected += 1
        self.rejected_by_account[account] = self.rejected_by_account.get(account, 0) + 1
        reset = refusal.headers["X-RateLimit-Reset"]
        text = (
            f"Rate limit exceeded for {self.action}: {self.limit}/{self.limit} used. "
            f"Resets at {reset}"
        )
        refusal.headers["X-RateLimit-Action"] = self.action
        refusal.body = error_body(style, text, code="rate_limited")
        return refusal, {}


class Limits:
    """Every limit a request is counted against before it reaches its route.

    Attributes:
        request: The key's request-rate limit (``enforce_rate_limit``), if any.
        accounts: Per-(account, action) limits by action (``enforce_account_limit``).
        holds: Held (account id, action) pairs and the moment each hold ends.
    """

    def __init__(self) -> None:
        self.request: RequestRateLimiter | None = None
        self.accounts: dict[str, AccountLimit] = {}
        self.holds: dict[tuple[str, str], datetime] = {}

    def enforce_account(self, action: str, limit: int, per: float) -> AccountLimit:
        """Start (or replace) the per-account limit of ``action``."""
        if limit < 1 or per <= 0 or not action.strip():
            raise ValueError("limit must be >= 1, per > 0 and action non-blank")
        self.accounts[action] = AccountLimit(action=action, limit=limit, per=float(per))
        return self.accounts[action]

    def enforce(
        self, limit: int, per: float, *, burst: int | None, path: str | None
    ) -> RequestRateLimiter:
        """Start a new request-rate limit (see ``FakeConnectSafely.enforce_rate_limit``)."""
        if limit < 1 or per <= 0 or (burst is not None and burst < 1):
            raise ValueError("limit and burst must be >= 1 and per > 0")
        self.request = RequestRateLimiter(limit=limit, per=float(per), burst=burst, path=path)
        return self.request

    def hold(self, account_id: str, action: str, until: datetime) -> None:
        """Hold an account's ``action`` until ``until`` (see ``FakeConnectSafely.hold``)."""
        self.holds[(account_id, action)] = until

    def stop(self) -> None:
        """Stop enforcing the key's and every account's request-rate limits (holds stay)."""
        self.request = None
        self.accounts.clear()

    def admit(
        self,
        request: RecordedRequest,
        clock: FakeClock,
        style: ErrorStyle,
        default_account: str = "",
    ) -> tuple[FakeResponse | None, dict[str, str]]:
        """Count an authenticated request against the limits that apply to it.

        Returns:
            A 429 to answer with instead of routing (or ``None`` to go on), and the
            ``X-RateLimit-*`` headers the routed response should carry.
        """
        action = action_of(request) if (self.holds or self.accounts) else None
        account = _account_of(request, default_account) if action is not None else ""
        if action is not None and self.holds:
            held = self._held(account, action, clock)
            if held is not None:
                return held, {}
        headers: dict[str, str] = {}
        limiter = self.request
        if limiter is not None and (limiter.path is None or request.path.startswith(limiter.path)):
            refusal, headers = limiter.check(clock, style)
            if refusal is not None:
                return refusal, {}
        per_account = self.accounts.get(action) if action is not None else None
        if per_account is not None:
            refusal, account_headers = per_account.check(account, clock, style)
            if refusal is not None:
                return refusal, {}
            headers = account_headers  # the narrower limit describes the call
        return None, headers

    def _held(self, account: str, action: str, clock: FakeClock) -> FakeResponse | None:
        until = self.holds.get((account, action))
        if until is None:
            return None
        if clock.now() >= until:
            del self.holds[(account, action)]
            return None
        moment = iso_utc(until)
        body = {
            "success": False,
            "error": f"Rate limit exceeded for {action}: the account is on hold. "
            f"Resets at {moment}",
            "holdUntil": moment,
        }
        headers = {"X-RateLimit-Action": action, "X-RateLimit-Reset": moment}
        return FakeResponse(429, body, headers)


def _account_of(request: RecordedRequest, default_account: str) -> str:
    """The account a request acts as: its ``accountId`` (body or query), else the default."""
    account = request.query.get("accountId")
    if account is None and request.body[:1] == b"{":
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("accountId"), str):
            account = body["accountId"]
    return account or default_account


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
