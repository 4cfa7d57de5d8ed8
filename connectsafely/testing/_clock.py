"""`FakeClock`: the fake server's notion of time, which tests can freeze and move.

Two kinds of time matter to the fake and they must not be confused:

- **Calendar time** (``clock()``, ``clock.now()``): epoch seconds / an aware UTC
  `datetime`. It stamps messages, decides which UTC day the new-conversation quota
  counts, and is what ISO ``X-RateLimit-Reset`` headers are expressed in. Tests freeze
  it (`FakeClock.set`) to get dates that do not depend on when they run.
- **Elapsed time** (`FakeClock.monotonic`): `time.monotonic` plus every `advance`. Rate
  windows measure durations on it, so a frozen calendar never stops a throughput test's
  windows from rolling over, while ``advance()`` still moves them on.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

__all__ = ["FakeClock", "iso_utc", "require_aware"]


class FakeClock:
    """The fake server's clock: follows the wall clock until frozen, and can be advanced.

    Calling it returns the calendar time in epoch seconds, like `time.time`, so it can
    stand in wherever a time source is expected.

    Args:
        start: Freeze the calendar at this moment from the start (an aware `datetime`
            or epoch seconds); by default the clock follows the wall clock.

    Examples:
        >>> from datetime import datetime, timezone
        >>> clock = FakeClock(datetime(2026, 3, 2, 23, 59, 30, tzinfo=timezone.utc))
        >>> clock.advance(45)
        >>> clock.now().isoformat()
        '2026-03-03T00:00:15+00:00'
    """

    __slots__ = ("_advanced", "_frozen_at", "_offset")

    def __init__(self, start: datetime | float | None = None) -> None:
        self._frozen_at: float | None = None
        self._offset = 0.0  # added to the wall clock while following it
        self._advanced = 0.0  # every advance() so far, for the elapsed-time clock
        if start is not None:
            self._frozen_at = _epoch_seconds(start, "start")

    def __call__(self) -> float:
        """The calendar time in epoch seconds."""
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def __repr__(self) -> str:
        state = "frozen" if self.frozen else "running"
        return f"FakeClock({self.now().isoformat()}, {state})"

    @property
    def frozen(self) -> bool:
        """Whether the calendar stands still (after `set`) instead of following the wall clock."""
        return self._frozen_at is not None

    def now(self) -> datetime:
        """The calendar time as an aware UTC `datetime`."""
        return datetime.fromtimestamp(self(), tz=timezone.utc)

    def set(self, moment: datetime | float) -> None:
        """Freeze the calendar at ``moment``; only `advance` moves it from then on.

        Setting the calendar (even backwards) does not touch the elapsed-time clock,
        so it never refills or empties a rate window by itself.

        Args:
            moment: An aware `datetime` or epoch seconds.

        Raises:
            ValueError: For a naive `datetime` (its time zone would be a guess) or a
                non-finite number.
        """
        self._frozen_at = _epoch_seconds(moment, "moment")

    def advance(self, seconds: float) -> None:
        """Move the calendar and the elapsed-time clock forward by ``seconds``.

        Raises:
            ValueError: When ``seconds`` is negative or not finite (time never runs back).
        """
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("seconds must be a finite, non-negative number: time never runs back")
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds
        self._advanced += seconds

    def monotonic(self) -> float:
        """Elapsed-time clock: `time.monotonic` plus every `advance` (for rate windows)."""
        return time.monotonic() + self._advanced


def require_aware(moment: datetime, name: str) -> None:
    """Refuse a naive ``moment`` (its time zone would be a guess), naming the argument.

    Raises:
        ValueError: ``<name> must be an aware datetime (...)``.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} must be an aware datetime (e.g. datetime(..., tzinfo=timezone.utc)), "
            "not a naive one: its time zone would be a guess"
        )


def _epoch_seconds(moment: datetime | float, name: str) -> float:
    """``moment`` (an aware `datetime` or epoch seconds) as epoch seconds, refusing a
    naive datetime or a non-finite number with an error naming ``name``."""
    if isinstance(moment, datetime):
        require_aware(moment, name)
        return moment.timestamp()
    seconds = float(moment)
    if not math.isfinite(seconds):
        raise ValueError(f"{name} must be a finite number of epoch seconds, got {moment!r}")
    return seconds


def iso_utc(moment: datetime) -> str:
    """``2026-03-03T00:00:00.000Z``: the ISO form the fake's headers and bodies use."""
    utc = moment.astimezone(timezone.utc)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
