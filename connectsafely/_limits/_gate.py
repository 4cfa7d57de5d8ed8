"""Admission of each attempt, and what each response teaches: the limits at work.

`Limiter` (in `_limiter`) is shared by a client and its ``with_options`` copies;
`RateGate` is one client configuration's view of it (a copy may add a key-wide
`RateLimit` of its own); `CallGate` runs the attempts of one call:

- ``admit()`` before each attempt: refuse at once what is known to fail (a hold on the
  account's action, a used-up daily quota), then wait out pauses and pacing;
- ``observe(response)`` after each response: learn windows, pause a scope whose
  ``X-RateLimit-Remaining`` hit 0;
- ``refused(error)`` for a 429: pause or block the scope the response names, and turn a
  quota 429 into `QuotaExceededError`;
- ``finished(error)`` once the call is over: give back a count that was not used.

The counts per calendar window (new conversations, connection requests, profile views)
are described in `_windows`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Protocol

import anyio
import httpx

from .._config import RateLimit
from .._errors import QuotaExceededError, RateLimitError, quota_error_from
from .._headers import parse_positive_int, rate_limit_action, reset_in
from .._retry import MAX_SERVER_WAIT, outcome_unknown
from .._telemetry import held as count_hold
from .._telemetry import limits_wait
from ._limiter import KEY, Limiter, logger
from ._pacing import LearnedPace, Pacer
from ._scope import READ, CallScope, action_from_text
from ._windows import WINDOWED_KINDS, WindowRule, announces_daily_quota, refusal

__all__ = ["CallGate", "RateGate"]


class Observed(Protocol):
    """What `CallGate.observe` reads of a response (an `httpx.Response` has both)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...  # looked up case-insensitively


class RateGate:
    """The limiter as one client configuration sees it: shared state plus an optional
    key-wide limit of its own (``client.with_options(rate_limit=...)``), which can make
    a copy slower than the shared budget, never faster."""

    __slots__ = ("_own", "limiter", "own_limit")

    def __init__(self, limiter: Limiter, own: RateLimit | None = None) -> None:
        self.limiter = limiter
        self.own_limit = own
        self._own = None if own is None else Pacer(own.interval, own.burst)

    def call(self, scope: CallScope = READ) -> CallGate:
        """State for one API call (all its attempts)."""
        return CallGate(self, scope)


class CallGate:
    """Admission control and bookkeeping for the attempts of one call."""

    __slots__ = ("_counted", "_gate", "_own_pause", "scope")

    def __init__(self, gate: RateGate, scope: CallScope) -> None:
        self._gate = gate
        self.scope = scope
        # A pause this call caused with its own 429 is waited out by its retry backoff
        # (which honours the same Retry-After); it must not wait twice.
        self._own_pause = -math.inf
        self._counted: str | None = None

    # -- before each attempt ----------------------------------------------------------------

    async def admit(self) -> None:
        """Wait until this attempt may be sent, or raise what it would certainly get."""
        limiter = self._gate.limiter
        scope = self.scope
        limits = limiter.limits
        await limiter.refresh()
        quiet = limiter.state.quiet
        if not quiet:
            await self._refuse_if_blocked()
        if scope.new_conversation:
            if limiter.new_conversations is not None:
                await self._count(limiter.new_conversations)
        elif limiter.counted_kinds and scope.kind in limiter.counted_kinds:
            await self._count(limiter.counted_kinds[scope.kind])
        pacers = self._pacers()
        if quiet and not pacers and limits.key is None and not self._paced_write():
            return
        await self._wait_pauses()
        slot = await self._reserve(pacers)
        if slot > time.time():
            await self._wait(slot - time.time(), "pacing")
            # A 429 elsewhere may have started a pause while we waited for our slot,
            # or put this account's action on hold (or used up its quota): refuse
            # that locally too, rather than sending a request certain to be refused.
            await self._wait_pauses()
            if not limiter.state.quiet:
                await self._refuse_if_blocked()

    def _pacers(self) -> tuple[Pacer, ...]:
        gate = self._gate
        limiter = gate.limiter
        learned = limiter.learned.pacer
        scoped = None
        if limiter.learned_by_scope:
            action = limiter.action_of(self.scope)
            if action is not None:
                pace = limiter.learned_by_scope.get(self._scope_of(action))
                scoped = None if pace is None else pace.pacer
        return tuple(p for p in (learned, scoped, gate._own) if p is not None)

    def _learned(self, action: str | None) -> LearnedPace:
        """The learned pace of the key (no action), or of this account's action."""
        limiter = self._gate.limiter
        if action is None:
            return limiter.learned
        scope = self._scope_of(action)
        pace = limiter.learned_by_scope.get(scope)
        if pace is None:
            pace = limiter.learned_by_scope[scope] = LearnedPace()
        return pace

    def _paced_write(self) -> bool:
        return self.scope.write and self._gate.limiter.limits.account_writes is not None

    async def _reserve(self, pacers: tuple[Pacer, ...]) -> float:
        """Take a slot from every limit that applies; the call goes at the latest.

        Each limit is asked from the slot the earlier ones gave (not from "now"), so
        the account's write bucket, asked last, counts the write from when it will
        actually go: asked from "now", a write held back by the key's pace would be
        counted as earlier than it went, and the account's next write could follow it
        by less than one interval.
        """
        limiter = self._gate.limiter
        limits = limiter.limits
        slot = time.time()
        for pacer in pacers:
            slot = max(slot, pacer.reserve(slot))
        if limits.key is not None:
            key = limits.key
            slot = max(
                slot,
                await limiter.state.reserve(limiter.key(KEY), key.interval, _tolerance(key), slot),
            )
        if self._paced_write():
            writes = limits.account_writes
            assert writes is not None
            bucket = limiter.key(f"writes|{self.scope.account_key}")
            slot = max(
                slot,
                await limiter.state.reserve(bucket, writes.interval, _tolerance(writes), slot),
            )
        return slot

    def _pause_scopes(self) -> tuple[str, ...]:
        limiter = self._gate.limiter
        action = limiter.action_of(self.scope)
        if action is None:
            return (limiter.key(KEY),)
        return (limiter.key(KEY), limiter.key(f"{self.scope.account_key}|{action}"))

    async def _wait_pauses(self) -> None:
        state = self._gate.limiter.state
        if state.quiet:
            return
        scopes = self._pause_scopes()
        while True:
            until = await state.paused_until(scopes)
            now = time.time()
            if until <= self._own_pause or until <= now:
                return
            await self._wait(until - now, "pause")

    async def _wait(self, seconds: float, reason: str) -> None:
        """Sleep as the limits require (a ``limits.wait`` span when telemetry is on)."""
        action = self._gate.limiter.action_of(self.scope)
        with limits_wait(self.scope.account, action, reason):
            await anyio.sleep(seconds)

    async def _refuse_if_blocked(self) -> None:
        limiter = self._gate.limiter
        scope = self.scope
        action = limiter.action_of(scope)
        if action is not None:
            held = await limiter.state.blocked(limiter.key(f"hold|{scope.account_key}|{action}"))
            if held is not None and held[0] > limiter.calendar():
                raise self._local_error(RateLimitError, held[0], action, "is on hold for")
        quota_scope = self._quota_scope()
        if quota_scope is not None:
            quota = await limiter.state.blocked(limiter.key(quota_scope))
            if quota is not None and quota[0] > limiter.calendar():
                what = "has no new conversations left until"
                if not scope.new_conversation:
                    what = f"has no {scope.kind} calls left until"
                raise self._local_error(QuotaExceededError, quota[0], quota[1], what)

    def _quota_scope(self) -> str | None:
        """The block a quota 429 sets for calls like this one: the account's new
        conversations, or its calls of a kind counted per window; else ``None``."""
        scope = self.scope
        if scope.new_conversation:
            return f"quota|{scope.account_key}"
        if scope.kind in WINDOWED_KINDS:
            return f"quota|{scope.account_key}|{scope.kind}"
        return None

    async def _count(self, rule: WindowRule) -> None:
        """Count this call in its window under ``rule``, or refuse it locally."""
        if self._counted is not None:
            return  # counted on the first attempt: a retry is the same call
        limiter = self._gate.limiter
        counter, end = rule.counter(self.scope.account_key, limiter.calendar())
        counter = limiter.key(counter)
        if not await limiter.state.count(counter, rule.cap):
            raise self._local_error(
                QuotaExceededError, end, rule.action, f"reached its {rule.cap} {rule.what} until"
            )
        self._counted = counter

    def _local_error(
        self, cls: type[RateLimitError], until: float, action: str | None, what: str
    ) -> RateLimitError:
        """The error a refused call gets without a request (``response`` is ``None``)."""
        now = self._gate.limiter.calendar()
        return refusal(cls, self.scope.account, until, now=now, action=action, what=what)

    # -- after each response ----------------------------------------------------------------

    async def observe(self, response: Observed) -> None:
        """Learn from a response's rate-limit headers (a 429 also goes to `refused`)."""
        headers = response.headers
        if self._counted is not None and response.status_code < 300:
            await self._settle(headers)
        if "x-ratelimit-reset" not in headers and "x-ratelimit-action" not in headers:
            return  # the common case: nothing to learn
        limiter = self._gate.limiter
        action = rate_limit_action(headers)
        if action is not None:
            limiter.learn_action(self.scope, action)
        window = _window(headers, limiter.calendar())
        limit = parse_positive_int(headers.get("x-ratelimit-limit"))
        if window is not None and limit is not None:
            # An action's limit belongs to one account's calls of that kind: it paces
            # those, never the whole key.
            self._learned(action).note_window(limit, window)
        if response.status_code == 429 or window is None:
            return
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is None or remaining.strip() != "0":
            return
        # The window is used up: nothing more of this scope gets through before it resets.
        await limiter.pause(self._scope_of(action), time.time() + window, "Remaining: 0")
        self._learned(action).start()

    async def refused(self, error: RateLimitError) -> RateLimitError:
        """Record what a 429 says, and return the error the caller should get."""
        limiter = self._gate.limiter
        scope = self.scope
        headers = error.response.headers if error.response is not None else httpx.Headers()
        action = rate_limit_action(headers)
        if error.hold_until is not None:
            held = action or action_from_text(error.message) or limiter.action_of(scope)
            until = error.hold_until.timestamp()
            await limiter.state.set_block(
                limiter.key(f"hold|{scope.account_key}|{held}"), until, held
            )
            logger.warning(
                "Account %s is on hold for %s until %s: refusing its %s calls until then",
                scope.account or "(default)",
                held,
                error.hold_until.isoformat(),
                held,
            )
            error.account_id, error.action = scope.account, held
            count_hold(scope.account, held)
            return error
        wait = error.retry_after
        window = _window(headers, limiter.calendar())
        if window is not None and (wait is None or window < wait):
            # Retry-After is whole seconds, rounded up; the window's reset is the moment
            # calls are admitted again, so the other calls wait only until then.
            wait = window
        quota_scope = self._quota_scope()
        if quota_scope is not None and wait is not None and wait > MAX_SERVER_WAIT:
            until = limiter.calendar() + wait
            named = action if scope.new_conversation else action or scope.kind
            await limiter.state.set_block(limiter.key(quota_scope), until, named)
            return quota_error_from(error, scope.account, named)
        if action is not None:
            error.account_id, error.action = scope.account, action
        if wait is not None and wait <= MAX_SERVER_WAIT:
            until = time.time() + wait
            await limiter.pause(self._scope_of(action), until, "429")
            self._own_pause = max(self._own_pause, until)
            self._learned(action).start()
        return error

    async def _settle(self, headers: Mapping[str, str]) -> None:
        """An accepted answer: the count stands (an undecodable body later does not
        give it back), except for a send by recipient that went into an existing
        thread, which the API does not count: its answer is silent about the daily
        quota, where cold sends' answers have been seen to describe it."""
        counted, self._counted = self._counted, None
        if counted is None or not self.scope.by_recipient:
            return
        limiter = self._gate.limiter
        if announces_daily_quota(headers):
            limiter.quota_announced = True
        elif limiter.quota_announced:
            await limiter.state.uncount(counted)

    async def finished(self, error: BaseException | None) -> None:
        """The call is over: a counted call that surely did not happen (an error status
        below 500, or a failure before any byte was sent) is given back, so a refused
        call does not use up its window. A 5xx, a timeout or a connection lost after
        sending keep the count: the call may have been carried out."""
        if self._counted is not None and error is not None and not outcome_unknown(error):
            await self._gate.limiter.state.uncount(self._counted)
            self._counted = None

    def _scope_of(self, action: str | None) -> str:
        return KEY if action is None else f"{self.scope.account_key}|{action}"


def _tolerance(limit: RateLimit) -> float:
    return (limit.burst - 1) * limit.interval


def _window(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` when it is a near window; a far reset is a
    per-account daily quota, not the request rate: the next call it applies to gets its
    own 429 and fails, other calls carry on. ``now``: the limiter's calendar."""
    seconds = reset_in(headers, now)
    return seconds if seconds is not None and 0 < seconds <= MAX_SERVER_WAIT else None
