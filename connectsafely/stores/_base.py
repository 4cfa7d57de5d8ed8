"""The `Store` interface: everything the SDK keeps that several processes must share.

Two kinds of state live in a store:

- **limits** (design §8): pacing reservations, server-requested pauses, blocks (holds,
  used-up quotas) and the SDK's own counts per calendar window (new conversations,
  connection requests, profile views);
- **the send ledger** (design §10): one entry per idempotency key, so a send happens at
  most once per key however many processes, retries and re-runs try it;
- **webhook events** (design §11): one entry per received event, so a receiver's
  handler runs once per event however many replicas and redeliveries see it.

Each method is one atomic step (a Lua script in Redis, one ``BEGIN IMMEDIATE``
transaction in SQLite, plain dictionary work in memory), so processes sharing a store
never interleave inside one. Keys arrive already scoped by the client (a hash of the API
key, never the key itself); a store adds its own ``namespace``.

Times are epoch seconds from the caller: the wall clock for pacing, pauses and leases;
the client's calendar for blocks (the same clock in production).
"""

from __future__ import annotations

import abc
import enum
import math

import attrs

__all__ = [
    "COUNT_KEPT",
    "DEFAULT_LEASE",
    "DEFAULT_TTL",
    "Claim",
    "ClaimStatus",
    "EventStatus",
    "Store",
]

DEFAULT_LEASE = 15.0
"""Seconds a send's claim lives without renewal. The claim is taken once the send is
admitted (after any pacing wait) and renewed every third of the lease while it runs, so
a live holder keeps it however long the call takes, and the claim of a holder that died
(a SIGKILLed worker) ends within this many seconds."""

DEFAULT_TTL = 30 * 24 * 3600.0
"""Seconds a delivered ledger entry is kept (30 days), then forgotten."""

COUNT_KEPT = 8 * 24 * 3600.0
"""Seconds (wall clock) every store keeps a counter after it last changed, then may
forget it: longer than the longest window counted (a calendar week), so a counter lives
at least as long as its window. A counter's name carries its window's start, so a new
window is a new counter and an old one is only waiting to be forgotten."""


class ClaimStatus(enum.Enum):
    """What `Store.claim` found for an idempotency key."""

    NEW = "new"
    """No live entry: the caller now holds the claim and may send."""

    DELIVERED = "delivered"
    """Sent before: `Claim.result` is the recorded `SendResult` (JSON)."""

    IN_PROGRESS = "in_progress"
    """Another live caller holds the claim (its lease has not expired)."""

    IN_DOUBT = "in_doubt"
    """An earlier attempt may have reached LinkedIn (its process died mid-call, or it
    ended ambiguously): the caller now holds the claim but must check before sending."""

    MISMATCH = "mismatch"
    """The key was used for a different request (another digest)."""


class EventStatus(enum.Enum):
    """What `Store.claim_event` found for a webhook event's key."""

    CLAIMED = "claimed"
    """No live entry: the caller now holds the event and may run the handler."""

    HANDLED = "handled"
    """A handler already finished this event (within `Store.ttl`): do not run it again."""

    IN_PROGRESS = "in_progress"
    """Another live caller holds the event (its lease has not expired)."""


@attrs.frozen
class Claim:
    """The answer of `Store.claim`.

    Attributes:
        status: What was found.
        token: The claim's token when the caller holds it (``NEW``, ``IN_DOUBT``): pass
            it to `Store.renew`, `Store.deliver`, `Store.release` and `Store.doubt`.
        started_at: When the first attempt under this key began (epoch seconds).
        result: The recorded result (JSON text) of a ``DELIVERED`` key.
        lease_until: When the claim's lease ends (epoch seconds): the other holder's for
            ``IN_PROGRESS`` (the moment a dead holder's claim expires), the caller's
            own for ``NEW`` and ``IN_DOUBT``.
    """

    status: ClaimStatus
    token: str | None = None
    started_at: float | None = None
    result: str | None = None
    lease_until: float | None = None


def check_seconds(value: object, argument: str) -> float:
    """A positive, finite number of seconds (``lease=``, ``ttl=``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{argument} must be a number of seconds, not {type(value).__name__}.")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{argument} must be a positive number of seconds, got {value!r}.")
    return seconds


class Store(abc.ABC):
    """Where a client keeps its shared state: limits and the send ledger.

    Use `MemoryStore` (this process, the default), `SQLiteStore` (processes on one
    machine) or `RedisStore` (many machines). Pass one as ``AsyncClient(store=...)``;
    ``with_options`` copies share it. A store that cannot be reached raises `StoreError`
    and the call fails: the SDK never sends without coordination.

    Args:
        lease: Seconds a send's claim lives without renewal (default 15; renewed every
            third of it while the send runs, so only a process that died leaves it to
            expire, and then within ``lease`` seconds).
        ttl: Seconds delivered ledger entries are kept (default 30 days).
    """

    def __init__(self, *, lease: float = DEFAULT_LEASE, ttl: float = DEFAULT_TTL) -> None:
        self.lease = check_seconds(lease, "lease")
        self.ttl = check_seconds(ttl, "ttl")

    # -- limits ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def reserve(self, bucket: str, interval: float, tolerance: float, now: float) -> float:
        """Take the next send slot of ``bucket`` (GCRA); return when the caller may send.

        ``interval`` is the seconds between two evenly spaced calls, ``tolerance`` how
        far ahead of its slot a call may go (``(burst - 1) * interval``).
        """

    @abc.abstractmethod
    async def pause(self, scope: str, until: float) -> bool:
        """Pause every call of ``scope`` until ``until`` (never shortens a pause).

        Returns True when this started a pause rather than extending one.
        """

    @abc.abstractmethod
    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """The latest end of any pause of ``scopes`` (``-inf`` when none)."""

    @abc.abstractmethod
    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """Refuse calls of ``scope`` until ``until`` (a hold, or a used-up quota)."""

    @abc.abstractmethod
    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """The block of ``scope`` (its end and action) if one is set, else ``None``."""

    @abc.abstractmethod
    async def count(self, counter: str, cap: int) -> bool:
        """Add one to ``counter`` unless it reached ``cap``; True when counted.

        One atomic step across processes: callers together never count past ``cap``.
        Counters are per calendar window, named by the window's start (``connects|<account>|
        2026-08-31``); a store keeps each at least `COUNT_KEPT` seconds after it last
        changed, then may forget it.
        """

    @abc.abstractmethod
    async def uncount(self, counter: str) -> None:
        """Take back one `count` (the counted call definitely did not happen)."""

    @property
    @abc.abstractmethod
    def quiet(self) -> bool:
        """True while no pause or block is known: calls need not ask for them.

        A shared store may answer from a view refreshed by `refresh` (at most about a
        second old): pauses and blocks only spare requests the server would refuse.
        """

    async def refresh(self) -> None:  # noqa: B027 - optional hook, nothing to do here
        """Bring `quiet` up to date with other processes (shared stores)."""

    # -- the send ledger ------------------------------------------------------------------

    @abc.abstractmethod
    async def claim(self, key: str, digest: str, now: float) -> Claim:
        """Claim ``key`` for a send whose request hashes to ``digest`` (see `ClaimStatus`)."""

    async def peek(self, key: str, digest: str, now: float) -> Claim | None:
        """What `claim` would find for ``key`` now, without taking it (no token).

        The ledger asks before a send waits for its pacing slot, so a key delivered
        before replays, a reused key is refused and a key held elsewhere is reported at
        once, without waiting; it takes the claim itself only once the send is admitted.
        ``None`` (this default, for stores that cannot tell) leaves every answer to the
        claim.
        """
        return None

    @abc.abstractmethod
    async def renew(self, key: str, token: str, now: float) -> bool:
        """Extend the claim's lease from ``now``; False when the claim is no longer ours."""

    @abc.abstractmethod
    async def deliver(self, key: str, token: str, result: str, now: float) -> None:
        """Record the send as delivered with its result (kept `ttl` seconds)."""

    @abc.abstractmethod
    async def release(self, key: str, token: str) -> None:
        """Forget the claim: the send was definitely refused, so it may be tried again."""

    @abc.abstractmethod
    async def doubt(self, key: str, token: str) -> None:
        """Mark the claim in doubt: the send may have reached LinkedIn; the next claimant
        must check before sending."""

    # -- webhook events -------------------------------------------------------------------

    @abc.abstractmethod
    async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
        """Claim a received webhook event before running its handler (one atomic step).

        - ``key`` was finished (`finish_event`) less than `ttl` seconds ago ->
          ``HANDLED``; nothing changes.
        - ``key`` is held by another token whose lease ends after ``now`` ->
          ``IN_PROGRESS``; nothing changes.
        - otherwise (unknown, released, expired or an expired claim) -> ``CLAIMED``: the
          entry now belongs to ``token`` until ``now + lease``.
        """

    @abc.abstractmethod
    async def renew_event(self, key: str, token: str, now: float, lease: float) -> bool:
        """Extend the claim to ``now + lease``; False when ``token`` no longer holds it."""

    @abc.abstractmethod
    async def finish_event(self, key: str, token: str, now: float) -> None:
        """Record the event as handled until ``now + ttl``, whoever holds the claim now
        (the handler did finish)."""

    @abc.abstractmethod
    async def release_event(self, key: str, token: str) -> None:
        """Forget the claim (the handler failed), so a redelivery runs it again.

        Does nothing when ``token`` no longer holds the claim or the event is handled.
        """

    # -- lifecycle -------------------------------------------------------------------------

    async def aclose(self) -> None:  # noqa: B027 - nothing to release by default
        """Release connections or files the store opened."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
