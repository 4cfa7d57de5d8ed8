"""Counts per calendar window: what each counted limit counts, its window, its counter.

Three of the `Limits` are counts per account and calendar window, kept by the SDK in the
client's store (so every process sharing the store shares them):

==============================  ============================  =========================
limit                           counts                        window
==============================  ============================  =========================
``daily_new_conversations``     sends that may start a        the UTC day
                                conversation
``account_connects``            ``CONNECT`` calls             the week from Monday
                                (``invitations.send``)        00:00 UTC
``account_profile_views``       ``PROFILE_VIEW`` calls        the UTC day
                                (``profiles.get``, ``visit``)
==============================  ============================  =========================

The windows are calendar ones, as the API's are (not rolling): a counter's key carries
the first day of its window (``connects|<account>|2026-08-31``, that week's Monday), so a
new window starts at zero without anything being reset, and the stores forget a counter
some days after it last changed (see `Store.count`).

A call is counted once, when its first attempt is admitted (a retry is the same call),
and given back when it surely did not happen (`CallGate.finished`); see
``docs/limits.md`` for the rule, and `announces_daily_quota` for the send by recipient
that went into an existing thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

import attrs

from .._config import Limits
from .._errors import RateLimitError
from .._headers import parse_moment
from ._scope import CONNECT, PROFILE_VIEW

__all__ = [
    "DAY",
    "WEEK",
    "WINDOWED_KINDS",
    "Window",
    "WindowRule",
    "announces_daily_quota",
    "kind_rules",
    "new_conversation_rule",
    "refusal",
]

WINDOWED_KINDS = frozenset({CONNECT, PROFILE_VIEW})
"""Call kinds whose API limit is a count per calendar window: a 429 with a wait of over a
minute on one of them is that window used up (`QuotaExceededError`), not a pace."""

_DAY_SECONDS = 24 * 3600.0


@attrs.frozen(slots=True)
class Window:
    """A calendar window in UTC: a day, or a week starting on Monday.

    Attributes:
        days: Its length in days (1 or 7).
    """

    days: int

    def start(self, now: float) -> date:
        """The first day of the window that epoch second ``now`` falls in."""
        today = datetime.fromtimestamp(now, tz=timezone.utc).date()
        return today - timedelta(days=today.weekday()) if self.days == 7 else today

    def end(self, start: date) -> float:
        """Epoch seconds of 00:00 UTC after the window that begins on ``start``."""
        after = datetime.combine(start + timedelta(days=self.days), time.min, timezone.utc)
        return after.timestamp()


DAY = Window(1)
"""The UTC day, from 00:00 UTC."""

WEEK = Window(7)
"""The week from Monday 00:00 UTC (the API's weekly window)."""


@attrs.frozen(slots=True)
class WindowRule:
    """One counted limit: at most ``cap`` calls per account in each ``window``.

    Attributes:
        name: The counter's prefix in the store (``new``, ``connects``, ``views``).
        window: The calendar window.
        cap: The count allowed per account and window.
        what: What is counted, for the refusal's message ("connection requests").
        action: The action the refusal names (`QuotaExceededError.action`).
    """

    name: str
    window: Window
    cap: int
    what: str
    action: str | None

    def counter(self, account_key: str, now: float) -> tuple[str, float]:
        """The counter of ``account_key``'s window at ``now``, and when it ends."""
        start = self.window.start(now)
        return f"{self.name}|{account_key}|{start.isoformat()}", self.window.end(start)


def kind_rules(limits: Limits) -> dict[str, WindowRule]:
    """The counted limits of ``limits`` by the call kind they count (empty: none)."""
    rules: dict[str, WindowRule] = {}
    if limits.account_connects is not None:
        rules[CONNECT] = WindowRule(
            "connects", WEEK, limits.account_connects, "connection requests of the week", CONNECT
        )
    if limits.account_profile_views is not None:
        rules[PROFILE_VIEW] = WindowRule(
            "views", DAY, limits.account_profile_views, "profile views of the day", PROFILE_VIEW
        )
    return rules


def new_conversation_rule(limits: Limits) -> WindowRule | None:
    """``Limits.daily_new_conversations`` as a rule (its counter keys are unchanged
    since the SDK first counted them: ``new|<account>|<day>``)."""
    cap = limits.daily_new_conversations
    return None if cap is None else WindowRule("new", DAY, cap, "new conversations", None)


def announces_daily_quota(headers: Mapping[str, str]) -> bool:
    """Whether an accepted send's answer describes the daily new-conversation quota.

    That is: ``X-RateLimit-Remaining`` with an ``X-RateLimit-Reset`` at a 00:00 UTC (the
    quota's reset, whatever the day). A per-minute window resets at any second, so its
    headers do not pass for the quota's.
    """
    if "x-ratelimit-remaining" not in headers:
        return False
    reset = headers.get("x-ratelimit-reset")
    moment = None if reset is None else parse_moment(reset)
    if moment is None:
        return False
    return abs(moment - round(moment / _DAY_SECONDS) * _DAY_SECONDS) <= 1.0


def refusal(
    cls: type[RateLimitError],
    account: str | None,
    until: float,
    *,
    now: float,
    action: str | None,
    what: str,
) -> RateLimitError:
    """The error a call refused locally gets (no request, so ``response`` is ``None``):
    a hold (`RateLimitError` with ``hold_until``) or a used-up window or quota
    (`QuotaExceededError`), naming the account, the action and when it ends."""
    moment = datetime.fromtimestamp(until, tz=timezone.utc)
    who = "The default account" if account is None else f"Account {account}"
    kind = f" ({action})" if action else ""
    return cls(
        f"{who}{kind} {what} {moment.isoformat()}; no request was sent.",
        response=None,
        status_code=429,
        retry_after=max(0.0, until - now),
        hold_until=moment if cls is RateLimitError else None,
        account_id=account,
        action=action,
    )
