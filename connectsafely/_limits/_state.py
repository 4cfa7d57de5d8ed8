"""What the limits remember, behind one small interface.

Pacing reservations, server-requested pauses, holds, blocked quotas and the SDK's own
count of new conversations are all *state*: to share one budget between several
processes it has to live somewhere they all see (a store). `LimitState` is the whole of
what the limits machinery asks of such a place; `MemoryLimitState` keeps it in this
process (the default). Every method is a coroutine so that a store reached over a
socket or a file lock can implement it; each one is a single atomic step.

Times are epoch seconds. Pacing and pauses use the wall clock (``time.time``), shared by
processes on one machine or NTP-synced machines; holds and quota blocks use the
client's *calendar* (the same clock in production, the fake's clock in tests).
"""

from __future__ import annotations

import math
from typing import Protocol

__all__ = ["LimitState", "MemoryLimitState"]


class LimitState(Protocol):
    """The state behind client-side limits (see the module docstring)."""

    async def reserve(self, bucket: str, interval: float, tolerance: float, now: float) -> float:
        """Take the next send slot of ``bucket`` (GCRA); return when the caller may send.

        ``interval`` is the seconds between two evenly spaced calls, ``tolerance`` how
        far ahead of its slot a call may go (``(burst - 1) * interval``), ``now`` the
        earliest the caller could send (later than the clock when another limit already
        gave it a later slot).
        """
        ...

    async def pause(self, scope: str, until: float) -> bool:
        """Pause every call of ``scope`` until ``until`` (never shortens a pause).

        Returns True when this started a pause rather than extending one.
        """
        ...

    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """The latest end of any pause of ``scopes`` (``-inf`` when none)."""
        ...

    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """Refuse calls of ``scope`` until ``until`` (a hold, or a used-up quota)."""
        ...

    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """The block of ``scope`` (its end and action) if one was set, else ``None``."""
        ...

    async def count(self, counter: str, cap: int) -> bool:
        """Add one to ``counter`` unless it reached ``cap``; True when counted."""
        ...

    async def uncount(self, counter: str) -> None:
        """Take back one `count` (the counted call definitely did not happen)."""
        ...

    @property
    def quiet(self) -> bool:
        """True while no pause or block was ever recorded: calls need not ask."""
        ...


class MemoryLimitState:
    """`LimitState` for one process: plain dictionaries, no locking needed (every
    method runs without an await inside, so it is atomic on the event loop)."""

    __slots__ = ("_blocks", "_counts", "_pauses", "_tats")

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._pauses: dict[str, float] = {}
        self._blocks: dict[str, tuple[float, str | None]] = {}
        self._counts: dict[str, int] = {}

    async def reserve(self, bucket: str, interval: float, tolerance: float, now: float) -> float:
        """See `LimitState.reserve`."""
        tat = max(self._tats.get(bucket, -math.inf), now)
        self._tats[bucket] = tat + interval
        return max(now, tat - tolerance)

    async def pause(self, scope: str, until: float) -> bool:
        """See `LimitState.pause`."""
        current = self._pauses.get(scope, -math.inf)
        if until <= current:
            return False
        self._pauses[scope] = until
        return True

    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """See `LimitState.paused_until`."""
        pauses = self._pauses
        return max((pauses.get(scope, -math.inf) for scope in scopes), default=-math.inf)

    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """See `LimitState.set_block`."""
        current = self._blocks.get(scope)
        if current is None or current[0] < until:
            self._blocks[scope] = (until, action)

    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """See `LimitState.blocked`."""
        return self._blocks.get(scope)

    async def count(self, counter: str, cap: int) -> bool:
        """See `LimitState.count`."""
        value = self._counts.get(counter, 0)
        if value >= cap:
            return False
        self._counts[counter] = value + 1
        return True

    async def uncount(self, counter: str) -> None:
        """See `LimitState.uncount`."""
        value = self._counts.get(counter, 0)
        if value > 0:
            self._counts[counter] = value - 1

    @property
    def quiet(self) -> bool:
        """See `LimitState.quiet`."""
        return not self._pauses and not self._blocks
