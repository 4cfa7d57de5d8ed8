"""Client-wide rate-limit coordination: one budget for every call of a client.

A `RateCoordinator` lives on the `ConnectionPool`, so a client and all its
``with_options`` copies share it. The request pipeline asks it, once per attempt, for
permission to send (`CallGate.admit`) and shows it every response
(`CallGate.observe`). It combines three things:

- **Server-driven pauses.** A 429 that asks for a short wait (``Retry-After``,
  ``retry-after-ms`` or ``X-RateLimit-Reset``, at most `MAX_SERVER_WAIT`), or any
  response saying ``X-RateLimit-Remaining: 0`` with a reset that close, pauses *every*
  call until that moment, instead of each concurrent call hammering the server and
  collecting its own 429. Longer waits (the daily new-conversation quota) are not
  shared: the affected call fails with `RateLimitError` as before.
- **A learned pace.** The headers mean what the API documents: ``X-RateLimit-Limit``
  is the most requests per window, ``-Remaining`` what is left of the current window
  and ``-Reset`` when that window ends. The window's length is never stated, but every
  response shows a lower bound (the time until its reset), and the first response of
  a fresh window shows nearly all of it; the longest seen is the estimate. Once the
  server has refused a call (429, or ``Remaining: 0``), calls are spaced at slightly
  below ``Limit`` per estimated window, so a client with no configured limit converges
  to the allowed rate rather than oscillating between bursts and 429s. Only headers
  without ``X-RateLimit-Action`` teach the key-wide pace: an action's limit belongs
  to one account's calls of that kind.
- **An optional client-side limit** (`RateLimit`, ``AsyncClient(rate_limit=...)``):
  calls are spaced evenly (GCRA), so the server never sees a burst it would refuse.

Pacing is a *reservation*: each call takes the next free slot and sleeps until it,
so many waiting calls never stampede, and slots are absolute times, so the pace does
not drift. Sleeping uses anyio and is cancellable.
"""

from __future__ import annotations

import logging
import math
import time

import anyio
import attrs
import httpx

from . import _retry
from ._headers import parse_moment, parse_positive_int, parse_retry_after

__all__ = ["CallGate", "RateCoordinator", "RateGate", "RateLimit"]

logger = logging.getLogger("connectsafely")

LEARNED_RATE_MARGIN = 0.95
"""A pace learned from the server's headers runs at this fraction of the allowed rate,
leaving the server's bucket a little slack for network jitter."""


def _check_limit(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int, not {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1.")


def _check_per(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds.")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive number of seconds.")


@attrs.frozen
class RateLimit:
    """A client-side request rate: at most ``limit`` requests every ``per`` seconds.

    Requests are spaced evenly (``per / limit`` apart); ``burst`` lets that many go
    back to back after a quiet spell. The default ``burst=1`` never bursts, which is
    what keeps a server with a sliding-window or token-bucket limit from ever
    answering 429. Pass it as ``AsyncClient(rate_limit=...)``; every call of the
    client and its ``with_options`` copies shares it.

    Args:
        limit: Requests allowed per window.
        per: The window in seconds (default 60: ConnectSafely's plans count per minute).
        burst: Requests that may go back to back.

    Example:
        >>> RateLimit(60, per=60.0)  # the API's 60 requests a minute, one a second
        RateLimit(limit=60, per=60.0, burst=1)
    """

    limit: int = attrs.field(validator=_check_limit)
    per: float = attrs.field(default=60.0, validator=_check_per, converter=float)
    burst: int = attrs.field(default=1, validator=_check_limit, kw_only=True)

    @property
    def interval(self) -> float:
        """Seconds between two evenly spaced requests."""
        return self.per / self.limit


class _Pacer:
    """GCRA ("virtual scheduling"): hands out send slots at most one per ``interval``.

    ``tat`` is the theoretical arrival time of the next request; a request may go
    ``tolerance`` earlier than that, which is what allows a burst.
    """

    __slots__ = ("_tat", "interval", "tolerance")

    def __init__(self, interval: float, burst: int = 1) -> None:
        self.interval = interval
        self.tolerance = (burst - 1) * interval
        self._tat = -math.inf

    def reserve(self, now: float) -> float:
        """Take the next slot; return when (loop time) the caller may send."""
        tat = max(self._tat, now)
        self._tat = tat + self.interval
        return max(now, tat - self.tolerance)


class RateCoordinator:
    """Rate-limit state shared by a client and its copies (held by the connection pool).

    Args:
        limit: The client-side `RateLimit` every call of the client obeys, if any.
    """

    __slots__ = ("_learned", "_pacer", "_windows", "limit", "pause_until", "pauses")

    def __init__(self, limit: RateLimit | None = None) -> None:
        self.limit = limit
        self._pacer = None if limit is None else _Pacer(limit.interval, limit.burst)
        self._learned: _Pacer | None = None
        # X-RateLimit-Limit -> the longest time until X-RateLimit-Reset seen with it:
        # the best estimate of that limit's window length.
        self._windows: dict[int, float] = {}
        self.pause_until = -math.inf
        """Loop time before which no call may be sent (a server-requested pause)."""
        self.pauses = 0
        """How many server-requested pauses were started (for logs and tests)."""

    @property
    def learned_interval(self) -> float | None:
        """Seconds between calls learned from the server's 429 headers, if any."""
        return None if self._learned is None else self._learned.interval

    def gate(self, limit: RateLimit | None = None) -> RateGate:
        """A gate for one client configuration, adding its own ``limit`` if given."""
        return RateGate(self, limit)

    def pause(self, until: float, reason: str) -> None:
        """Hold every call until loop time ``until`` (never shortens a pause)."""
        if until <= self.pause_until:
            return
        now = anyio.current_time()
        if self.pause_until <= now:  # a new pause, not an extension: log it once
            self.pauses += 1
            logger.info("Rate limited (%s): pausing all calls for %.2f s", reason, until - now)
        self.pause_until = until

    def note_window(self, limit: int, seconds_to_reset: float) -> None:
        """Record that ``limit`` requests are allowed in a window ending in ``seconds_to_reset``.

        Refines the window estimate, and the learned pace when pacing is on.
        """
        if seconds_to_reset <= self._windows.get(limit, 0.0):
            return
        self._windows[limit] = seconds_to_reset
        if self._learned is not None:
            self._learn()

    def start_pacing(self) -> None:
        """The server refused (or would refuse) a call: pace calls from now on."""
        if self._learned is None:
            self._learn()

    def _learn(self) -> None:
        """Space calls so that no known limit is exceeded (the slowest one sets the pace)."""
        if not self._windows:
            return
        interval = max(window / limit for limit, window in self._windows.items())
        self.learn(interval)

    def learn(self, interval: float) -> None:
        """Space calls ``interval`` apart from now on (the server's rate, with margin)."""
        interval /= LEARNED_RATE_MARGIN
        if self._learned is None:
            logger.info("Pacing calls %.3f s apart, as the server's limit asks", interval)
            self._learned = _Pacer(interval)
        else:
            self._learned.interval = interval

    def pacers(self) -> tuple[_Pacer, ...]:
        """The shared pacers in force (configured and learned)."""
        return tuple(p for p in (self._pacer, self._learned) if p is not None)


class RateGate:
    """The coordinator as one client configuration sees it: shared state plus an
    optional limit of its own (``client.with_options(rate_limit=...)``), which can
    make a copy slower than the shared budget, never faster."""

    __slots__ = ("_own", "coordinator", "own_limit")

    def __init__(self, coordinator: RateCoordinator, limit: RateLimit | None = None) -> None:
        self.coordinator = coordinator
        self.own_limit = limit
        self._own = None if limit is None else _Pacer(limit.interval, limit.burst)

    def call(self) -> CallGate:
        """State for one API call (all its attempts)."""
        return CallGate(self)

    def pacers(self) -> tuple[_Pacer, ...]:
        """Every pacer a call through this gate must respect."""
        shared = self.coordinator.pacers()
        return shared if self._own is None else (*shared, self._own)


class CallGate:
    """Admission control for the attempts of one call."""

    __slots__ = ("_gate", "_own_pause")

    def __init__(self, gate: RateGate) -> None:
        self._gate = gate
        # A pause this call caused with its own 429 is waited out by its retry
        # backoff (which honours the same Retry-After); it must not wait twice.
        self._own_pause = -math.inf

    async def admit(self) -> None:
        """Wait until this attempt may be sent: past any pause, in its paced slot."""
        coordinator = self._gate.coordinator
        await self._wait_pause(coordinator)
        pacers = self._gate.pacers()
        if pacers:
            now = anyio.current_time()
            slot = max(pacer.reserve(now) for pacer in pacers)
            if slot > now:
                await anyio.sleep_until(slot)
            # A 429 elsewhere may have started a pause while we waited for our slot.
            await self._wait_pause(coordinator)

    async def _wait_pause(self, coordinator: RateCoordinator) -> None:
        while True:
            until = coordinator.pause_until
            if until <= self._own_pause or until <= anyio.current_time():
                return
            await anyio.sleep_until(until)

    def observe(self, response: httpx.Response) -> None:
        """Learn from a response's status and rate-limit headers."""
        headers = response.headers
        coordinator = self._gate.coordinator
        window = _seconds_until(headers.get("x-ratelimit-reset"))
        # A far reset is a per-account daily quota, not the request rate: the next
        # call it applies to gets its own 429 and fails; other calls carry on.
        if window is not None and not 0 < window <= _retry.MAX_SERVER_WAIT:
            window = None
        limit = parse_positive_int(headers.get("x-ratelimit-limit"))
        keywide = "x-ratelimit-action" not in headers
        if window is not None and limit is not None and keywide:
            coordinator.note_window(limit, window)
        if response.status_code == 429:
            self._on_429(headers, window)
            if keywide:
                coordinator.start_pacing()
            return
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is None or remaining.strip() != "0" or window is None:
            return
        # The window is used up: nothing more gets through before it resets.
        coordinator.pause(anyio.current_time() + window, "X-RateLimit-Remaining: 0")
        if keywide:
            coordinator.start_pacing()

    def _on_429(self, headers: httpx.Headers, window: float | None) -> None:
        wait = parse_retry_after(headers, 429)
        if window is not None and (wait is None or window < wait):
            # Retry-After is whole seconds, rounded up; the window's reset is the
            # moment calls are admitted again, so the other calls wait only until then.
            wait = window
        if wait is None or wait > _retry.MAX_SERVER_WAIT:
            return  # no hint, or a long quota wait: only this call is affected
        coordinator = self._gate.coordinator
        until = anyio.current_time() + wait
        coordinator.pause(until, "429")
        self._own_pause = max(self._own_pause, until)


def _seconds_until(reset: str | None) -> float | None:
    if reset is None:
        return None
    moment = parse_moment(reset)  # ISO time or epoch (s or ms)
    return None if moment is None else moment - time.time()
