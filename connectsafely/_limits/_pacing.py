"""Spacing calls evenly: GCRA slots, and the pace learned from the server's headers."""

from __future__ import annotations

import logging
import math

__all__ = ["LEARNED_RATE_MARGIN", "LearnedPace", "Pacer"]

logger = logging.getLogger("connectsafely")

LEARNED_RATE_MARGIN = 0.95
"""A pace learned from the server's headers runs at this fraction of the allowed rate,
leaving the server's window a little slack for network jitter."""


class Pacer:
    """GCRA ("virtual scheduling"): hands out send slots at most one per ``interval``.

    ``tat`` is the theoretical arrival time of the next request; a request may go
    ``tolerance`` earlier than that, which is what allows a burst. Slots are absolute
    times, so many waiting calls never stampede and the pace does not drift.
    """

    __slots__ = ("_tat", "interval", "tolerance")

    def __init__(self, interval: float, burst: int = 1) -> None:
        self.interval = interval
        self.tolerance = (burst - 1) * interval
        self._tat = -math.inf

    def reserve(self, now: float) -> float:
        """Take the next slot; return when the caller may send."""
        tat = max(self._tat, now)
        self._tat = tat + self.interval
        return max(now, tat - self.tolerance)


class LearnedPace:
    """The key-wide pace the server's ``X-RateLimit-*`` headers imply.

    The headers mean what the API documents: ``X-RateLimit-Limit`` is the most requests
    per window, ``-Remaining`` what is left of the current window and ``-Reset`` when
    that window ends. The window's length is never stated, but every response shows a
    lower bound (the time until its reset), and the first response of a fresh window
    shows nearly all of it; the longest seen is the estimate. Once the server has
    refused a call (429, or ``Remaining: 0``), calls are spaced at slightly below
    ``Limit`` per estimated window, so a client with no configured limit converges to
    the allowed rate rather than oscillating between bursts and 429s.
    """

    __slots__ = ("_windows", "pacer")

    def __init__(self) -> None:
        # X-RateLimit-Limit -> the longest time until X-RateLimit-Reset seen with it.
        self._windows: dict[int, float] = {}
        self.pacer: Pacer | None = None

    @property
    def interval(self) -> float | None:
        """Seconds between calls, once pacing started."""
        return None if self.pacer is None else self.pacer.interval

    def note_window(self, limit: int, seconds_to_reset: float) -> None:
        """``limit`` requests are allowed in a window ending in ``seconds_to_reset``."""
        if seconds_to_reset <= self._windows.get(limit, 0.0):
            return
        self._windows[limit] = seconds_to_reset
        if self.pacer is not None:
            self._learn()

    def start(self) -> None:
        """The server refused (or would refuse) a call: pace calls from now on."""
        if self.pacer is None:
            self._learn()

    def _learn(self) -> None:
        if not self._windows:
            return
        # The slowest known limit sets the pace.
        interval = max(window / limit for limit, window in self._windows.items())
        interval /= LEARNED_RATE_MARGIN
        if self.pacer is None:
            logger.info("Pacing calls %.3f s apart, as the server's limit asks", interval)
            self.pacer = Pacer(interval)
        else:
            self.pacer.interval = interval
