"""`MemoryStore`: the default store, shared by a client and its copies in this process."""

from __future__ import annotations

import math
import secrets
import time

import attrs

from ._base import COUNT_KEPT, DEFAULT_LEASE, DEFAULT_TTL, Claim, ClaimStatus, EventStatus, Store

__all__ = ["MemoryStore"]


@attrs.define
class _Entry:
    digest: str
    state: str  # "pending" | "doubt" | "delivered"
    token: str
    started_at: float
    lease_until: float
    result: str | None = None
    expires: float = math.inf


def _held(entry: _Entry, digest: str, now: float) -> Claim | None:
    """The answer for a key the caller cannot take (``None``: it may take it over)."""
    if entry.digest != digest:
        return Claim(ClaimStatus.MISMATCH, started_at=entry.started_at)
    if entry.state == "delivered":
        return Claim(ClaimStatus.DELIVERED, started_at=entry.started_at, result=entry.result)
    if entry.state == "pending" and entry.lease_until > now:
        return Claim(
            ClaimStatus.IN_PROGRESS, started_at=entry.started_at, lease_until=entry.lease_until
        )
    return None


class MemoryStore(Store):
    """State in this process only: the default when a client is given no store.

    Every method runs without awaiting anything, so each is atomic on the event loop.
    The ledger covers retries and re-runs within the process, not across processes or
    restarts: use `SQLiteStore` or `RedisStore` for that.

    Args:
        lease: Seconds a send's claim lives without renewal (default 15).
        ttl: Seconds delivered ledger entries are kept (default 30 days).

    Examples:
        >>> from connectsafely.stores import MemoryStore
        >>> MemoryStore(lease=30.0).lease
        30.0
    """

    def __init__(self, *, lease: float = DEFAULT_LEASE, ttl: float = DEFAULT_TTL) -> None:
        super().__init__(lease=lease, ttl=ttl)
        self._tats: dict[str, float] = {}
        self._pauses: dict[str, float] = {}
        self._blocks: dict[str, tuple[float, str | None]] = {}
        # Counter -> (value, wall time of its last change), in the order last changed,
        # so counters untouched for COUNT_KEPT are swept from the front.
        self._counts: dict[str, tuple[int, float]] = {}
        self._ledger: dict[str, _Entry] = {}
        # Webhook events: key -> (token or None once handled, until). Kept in the order
        # they were last written, so expired handled events are swept from the front.
        self._events: dict[str, tuple[str | None, float]] = {}

    # -- limits ---------------------------------------------------------------------------

    async def reserve(self, bucket: str, interval: float, tolerance: float, now: float) -> float:
        """See `Store.reserve`."""
        tat = max(self._tats.get(bucket, -math.inf), now)
        self._tats[bucket] = tat + interval
        return max(now, tat - tolerance)

    async def pause(self, scope: str, until: float) -> bool:
        """See `Store.pause`."""
        if until <= self._pauses.get(scope, -math.inf):
            return False
        self._pauses[scope] = until
        return True

    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """See `Store.paused_until`."""
        pauses = self._pauses
        return max((pauses.get(scope, -math.inf) for scope in scopes), default=-math.inf)

    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """See `Store.set_block`."""
        current = self._blocks.get(scope)
        if current is None or current[0] < until:
            self._blocks[scope] = (until, action)

    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """See `Store.blocked`."""
        return self._blocks.get(scope)

    async def count(self, counter: str, cap: int) -> bool:
        """See `Store.count`."""
        counts = self._counts
        now = time.time()
        self._sweep_counts(now - COUNT_KEPT)
        entry = counts.get(counter)
        value = 0 if entry is None else entry[0]
        if value >= cap:
            return False
        if entry is not None:
            del counts[counter]  # re-inserted last: the most recently changed
        counts[counter] = (value + 1, now)
        return True

    async def uncount(self, counter: str) -> None:
        """See `Store.uncount`."""
        entry = self._counts.get(counter)
        if entry is not None and entry[0] > 0:
            del self._counts[counter]
            self._counts[counter] = (entry[0] - 1, time.time())

    def _sweep_counts(self, before: float, limit: int = 8) -> None:
        """Forget a few counters last changed before ``before``, from the oldest end
        (amortised: memory follows the recent windows, not the process's history)."""
        counts = self._counts
        for _ in range(limit):
            oldest = next(iter(counts), None)
            if oldest is None or counts[oldest][1] >= before:
                return
            del counts[oldest]

    @property
    def quiet(self) -> bool:
        """See `Store.quiet`."""
        return not self._pauses and not self._blocks

    # -- the send ledger ------------------------------------------------------------------

    async def claim(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.claim`."""
        entry = self._entry(key, now)
        lease_until = now + self.lease
        if entry is None:
            token = secrets.token_hex(8)
            self._ledger[key] = _Entry(digest, "pending", token, now, lease_until)
            return Claim(ClaimStatus.NEW, token=token, started_at=now, lease_until=lease_until)
        held = _held(entry, digest, now)
        if held is not None:
            return held
        # The holder died (lease expired) or gave up in doubt: take over, check first.
        entry.token = secrets.token_hex(8)
        entry.state = "pending"
        entry.lease_until = lease_until
        return Claim(
            ClaimStatus.IN_DOUBT,
            token=entry.token,
            started_at=entry.started_at,
            lease_until=lease_until,
        )

    async def peek(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.peek`."""
        entry = self._entry(key, now)
        if entry is None:
            return Claim(ClaimStatus.NEW)
        held = _held(entry, digest, now)
        return (
            held if held is not None else Claim(ClaimStatus.IN_DOUBT, started_at=entry.started_at)
        )

    def _entry(self, key: str, now: float) -> _Entry | None:
        """The live entry of ``key`` (a delivered one is forgotten after the ttl)."""
        entry = self._ledger.get(key)
        if entry is not None and entry.state == "delivered" and entry.expires <= now:
            del self._ledger[key]
            return None
        return entry

    async def renew(self, key: str, token: str, now: float) -> bool:
        """See `Store.renew`."""
        entry = self._ledger.get(key)
        if entry is None or entry.token != token or entry.state != "pending":
            return False
        entry.lease_until = now + self.lease
        return True

    async def deliver(self, key: str, token: str, result: str, now: float) -> None:
        """See `Store.deliver`."""
        entry = self._ledger.get(key)
        if entry is None:
            return
        # Recorded whoever holds the claim now: the message did go out.
        entry.state, entry.result, entry.expires = "delivered", result, now + self.ttl

    async def release(self, key: str, token: str) -> None:
        """See `Store.release`."""
        entry = self._ledger.get(key)
        if entry is not None and entry.token == token and entry.state != "delivered":
            del self._ledger[key]

    async def doubt(self, key: str, token: str) -> None:
        """See `Store.doubt`."""
        entry = self._ledger.get(key)
        if entry is not None and entry.token == token and entry.state == "pending":
            entry.state, entry.lease_until = "doubt", 0.0

    # -- webhook events -------------------------------------------------------------------

    async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
        """See `Store.claim_event`."""
        self._sweep_events(now)
        entry = self._events.get(key)
        if entry is not None and entry[1] > now:
            return EventStatus.HANDLED if entry[0] is None else EventStatus.IN_PROGRESS
        self._events.pop(key, None)
        self._events[key] = (token, now + lease)
        return EventStatus.CLAIMED

    async def renew_event(self, key: str, token: str, now: float, lease: float) -> bool:
        """See `Store.renew_event`."""
        entry = self._events.get(key)
        if entry is None or entry[0] != token:
            return False
        self._events[key] = (token, now + lease)
        return True

    async def finish_event(self, key: str, token: str, now: float) -> None:
        """See `Store.finish_event`."""
        self._events.pop(key, None)
        self._events[key] = (None, now + self.ttl)

    async def release_event(self, key: str, token: str) -> None:
        """See `Store.release_event`."""
        entry = self._events.get(key)
        if entry is not None and entry[0] == token:
            del self._events[key]

    def _sweep_events(self, now: float, limit: int = 8) -> None:
        """Drop a few expired entries from the oldest end (amortised, so a long-running
        receiver's memory follows its recent traffic, not its whole history)."""
        events = self._events
        for _ in range(limit):
            oldest = next(iter(events), None)
            if oldest is None or events[oldest][1] > now:
                return
            del events[oldest]

    def __repr__(self) -> str:
        return f"MemoryStore(lease={self.lease:g}, ttl={self.ttl:g})"
