"""`SQLiteStore`: one budget and one send ledger for every process on this machine.

State lives in one SQLite file (the standard library's `sqlite3`), so it is shared by
every process that opens the same path and survives restarts. Each method is one
``BEGIN IMMEDIATE`` transaction: SQLite lets one writer in at a time, across processes,
so no two processes interleave inside a step. The file uses WAL journaling (readers never
wait for the writer) and a busy timeout, so a process that finds the file locked waits its
turn instead of failing.

SQLite calls block, so every one runs in a worker thread (`anyio.to_thread.run_sync`):
the event loop never stalls, and the store works on asyncio and on Trio alike.

The file's tables, opening it and sweeping it: `_sqlite_schema`.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from .._errors import StoreError
from ._base import DEFAULT_LEASE, DEFAULT_TTL, Claim, ClaimStatus, EventStatus, Store
from ._sqlite_schema import connect, rollback, sweep

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")

SWEEP_EVERY = 60.0
"""Seconds (of the callers' clock) between two sweeps of expired entries by one store."""


class SQLiteStore(Store):
    """State in a SQLite file: shared by every process on this machine, kept across restarts.

    Uses only the standard library. Every method is one ``BEGIN IMMEDIATE`` transaction,
    so processes sharing the file never interleave inside one; a process that finds the
    file busy waits up to 5 seconds for its turn. Calls run in a worker thread, so the
    store works on asyncio and Trio. The file and its tables are created on first use
    (not by the constructor, which does no I/O); a file that cannot be opened, created or
    written, or that is not a SQLite database, fails that call with `StoreError` naming
    the path. Nothing secret is written: keys arrive hashed by the client. Delivered
    sends keep the API's answer (which echoes the message text) for ``ttl`` seconds.

    `quiet` answers from a flag that `refresh` updates (the client refreshes about once
    a second): it is False while any pause or block is recorded in the namespace by any
    process, and turns False at once when this process records one. Ended pauses and
    blocks, delivered entries past ``ttl`` and stale counts are swept now and then by
    `claim`.

    One connection per store, opened on first use and used by one worker thread at a
    time; a forked child (Celery prefork, gunicorn ``--preload``) opens its own.

    Args:
        path: The database file (created if missing; its directory must exist).
        namespace: Keeps several independent sets of state apart in one file.
        lease: Seconds a send's claim lives without renewal (default 120).
        ttl: Seconds delivered ledger entries are kept (default 30 days).

    Raises:
        TypeError: ``path`` is not a string or path, or ``namespace`` not a string.
        ValueError: ``path`` or ``namespace`` is empty, or ``lease``/``ttl`` is not a
            positive number of seconds.

    Example:
        >>> from connectsafely.stores import SQLiteStore
        >>> SQLiteStore("outreach.db", namespace="acme")
        SQLiteStore('outreach.db')
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        namespace: str = "connectsafely",
        lease: float = DEFAULT_LEASE,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        super().__init__(lease=lease, ttl=ttl)
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}.")
        name = os.fspath(path)
        if not isinstance(name, str):
            raise TypeError(f"path must be a str or os.PathLike[str], not {type(name).__name__}.")
        if not name:
            raise ValueError("path must name a file, got an empty string.")
        if not isinstance(namespace, str):
            raise TypeError(f"namespace must be a str, not {type(namespace).__name__}.")
        if not namespace:
            raise ValueError("namespace must not be empty.")
        self.path = name
        """The database file, as given."""
        self.namespace = namespace
        """Keeps this store's state apart from other namespaces in the same file."""
        # One connection, used by one worker thread at a time (the lock): SQLite already
        # admits one writer at a time, and every method writes, so more connections per
        # process would only queue on the file lock instead of on this one.
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        _OPEN_STORES.add(self)  # a forked child opens its own connection (see below)
        self._quiet = False  # unknown until the first refresh: ask
        self._swept_at = -float("inf")

    # -- plumbing ---------------------------------------------------------------------------

    async def _run(self, step: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``step`` as one transaction, in a worker thread."""
        return await anyio.to_thread.run_sync(self._transact, step)

    def _transact(self, step: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self!r} is closed.")
            try:
                connection = self._connect()
                connection.execute("BEGIN IMMEDIATE")
                try:
                    result = step(connection)
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        rollback(connection)
                    raise
            except (sqlite3.Error, OSError) as exc:
                raise self._error(exc) from exc
            return result

    def _connect(self) -> sqlite3.Connection:
        """The open connection, opened (and the schema made) on first use."""
        connection = self._connection
        if connection is None:
            connection = self._connection = connect(self.path)
        return connection

    def _error(self, exc: BaseException) -> StoreError:
        detail = str(exc) or type(exc).__name__
        return StoreError(f"The SQLite store at {self.path!r} failed: {detail}")

    # -- limits -----------------------------------------------------------------------------

    async def reserve(self, bucket: str, interval: float, tolerance: float, now: float) -> float:
        """See `Store.reserve`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> float:
            row = db.execute(
                "SELECT tat FROM tats WHERE namespace = ? AND bucket = ?", (namespace, bucket)
            ).fetchone()
            tat = now if row is None else max(row[0], now)
            db.execute(
                "INSERT OR REPLACE INTO tats (namespace, bucket, tat) VALUES (?, ?, ?)",
                (namespace, bucket, tat + interval),
            )
            return max(now, tat - tolerance)

        return await self._run(step)

    async def pause(self, scope: str, until: float) -> bool:
        """See `Store.pause`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT until FROM pauses WHERE namespace = ? AND scope = ?", (namespace, scope)
            ).fetchone()
            if row is not None and until <= row[0]:
                return False
            db.execute(
                "INSERT OR REPLACE INTO pauses (namespace, scope, until) VALUES (?, ?, ?)",
                (namespace, scope, until),
            )
            return True

        self._quiet = False
        return await self._run(step)

    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """See `Store.paused_until`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> float:
            latest = -float("inf")
            for scope in scopes:
                row = db.execute(
                    "SELECT until FROM pauses WHERE namespace = ? AND scope = ?",
                    (namespace, scope),
                ).fetchone()
                if row is not None:
                    latest = max(latest, float(row[0]))
            return latest

        return await self._run(step)

    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """See `Store.set_block`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT until FROM blocks WHERE namespace = ? AND scope = ?", (namespace, scope)
            ).fetchone()
            if row is None or row[0] < until:
                db.execute(
                    "INSERT OR REPLACE INTO blocks (namespace, scope, until, action) "
                    "VALUES (?, ?, ?, ?)",
                    (namespace, scope, until, action),
                )

        self._quiet = False
        await self._run(step)

    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """See `Store.blocked`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> tuple[float, str | None] | None:
            row = db.execute(
                "SELECT until, action FROM blocks WHERE namespace = ? AND scope = ?",
                (namespace, scope),
            ).fetchone()
            return None if row is None else (float(row[0]), row[1])

        return await self._run(step)

    async def count(self, counter: str, cap: int) -> bool:
        """See `Store.count`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT value FROM counts WHERE namespace = ? AND counter = ?",
                (namespace, counter),
            ).fetchone()
            value = 0 if row is None else int(row[0])
            if value >= cap:
                return False
            db.execute(
                "INSERT OR REPLACE INTO counts (namespace, counter, value, touched) "
                "VALUES (?, ?, ?, ?)",
                (namespace, counter, value + 1, time.time()),
            )
            return True

        return await self._run(step)

    async def uncount(self, counter: str) -> None:
        """See `Store.uncount`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE counts SET value = value - 1, touched = ? "
                "WHERE namespace = ? AND counter = ? AND value > 0",
                (time.time(), namespace, counter),
            )

        await self._run(step)

    @property
    def quiet(self) -> bool:
        """See `Store.quiet`: no pause or block was recorded by any process as of the
        last `refresh`, nor by this process since."""
        return self._quiet

    async def refresh(self) -> None:
        """Look whether any process recorded a pause or block in this namespace."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT EXISTS (SELECT 1 FROM pauses WHERE namespace = ?) "
                "OR EXISTS (SELECT 1 FROM blocks WHERE namespace = ?)",
                (namespace, namespace),
            ).fetchone()
            return not row[0]

        self._quiet = await self._run(step)

    # -- the send ledger --------------------------------------------------------------------

    async def claim(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.claim`."""
        namespace, lease = self.namespace, self.lease
        due = not (self._swept_at <= now < self._swept_at + SWEEP_EVERY)
        if due:
            self._swept_at = now

        def step(db: sqlite3.Connection) -> Claim:
            if due:
                sweep(db, namespace, now)
            row = db.execute(
                "SELECT digest, state, started_at, lease_until, result, expires FROM ledger "
                "WHERE namespace = ? AND key = ?",
                (namespace, key),
            ).fetchone()
            if row is not None and row[1] == "delivered" and row[5] <= now:
                row = None  # forgotten after the ttl: replaced below
            if row is None:
                token = secrets.token_hex(8)
                db.execute(
                    "INSERT OR REPLACE INTO ledger (namespace, key, digest, state, token, "
                    "started_at, lease_until, result, expires) "
                    "VALUES (?, ?, ?, 'pending', ?, ?, ?, NULL, NULL)",
                    (namespace, key, digest, token, now, now + lease),
                )
                return Claim(ClaimStatus.NEW, token=token, started_at=now)
            stored_digest, state, started_at, lease_until, result, _ = row
            if stored_digest != digest:
                return Claim(ClaimStatus.MISMATCH, started_at=started_at)
            if state == "delivered":
                return Claim(ClaimStatus.DELIVERED, started_at=started_at, result=result)
            if state == "pending" and lease_until > now:
                return Claim(ClaimStatus.IN_PROGRESS, started_at=started_at)
            # The holder died (lease expired) or gave up in doubt: take over, check first.
            token = secrets.token_hex(8)
            db.execute(
                "UPDATE ledger SET token = ?, state = 'pending', lease_until = ? "
                "WHERE namespace = ? AND key = ?",
                (token, now + lease, namespace, key),
            )
            return Claim(ClaimStatus.IN_DOUBT, token=token, started_at=started_at)

        return await self._run(step)

    async def renew(self, key: str, token: str, now: float) -> bool:
        """See `Store.renew`."""
        namespace, lease = self.namespace, self.lease

        def step(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE ledger SET lease_until = ? "
                "WHERE namespace = ? AND key = ? AND token = ? AND state = 'pending'",
                (now + lease, namespace, key, token),
            )
            return cursor.rowcount > 0

        return await self._run(step)

    async def deliver(self, key: str, token: str, result: str, now: float) -> None:
        """See `Store.deliver`."""
        namespace, ttl = self.namespace, self.ttl

        def step(db: sqlite3.Connection) -> None:
            # Recorded whoever holds the claim now: the message did go out.
            db.execute(
                "UPDATE ledger SET state = 'delivered', result = ?, expires = ? "
                "WHERE namespace = ? AND key = ?",
                (result, now + ttl, namespace, key),
            )

        await self._run(step)

    async def release(self, key: str, token: str) -> None:
        """See `Store.release`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> None:
            db.execute(
                "DELETE FROM ledger WHERE namespace = ? AND key = ? AND token = ? "
                "AND state != 'delivered'",
                (namespace, key, token),
            )

        await self._run(step)

    async def doubt(self, key: str, token: str) -> None:
        """See `Store.doubt`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE ledger SET state = 'doubt', lease_until = 0 "
                "WHERE namespace = ? AND key = ? AND token = ? AND state = 'pending'",
                (namespace, key, token),
            )

        await self._run(step)

    # -- webhook events ---------------------------------------------------------------------

    async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
        """See `Store.claim_event`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> EventStatus:
            row = db.execute(
                "SELECT token, until FROM events WHERE namespace = ? AND key = ?",
                (namespace, key),
            ).fetchone()
            if row is not None and row[1] > now:
                return EventStatus.HANDLED if row[0] is None else EventStatus.IN_PROGRESS
            db.execute(
                "INSERT OR REPLACE INTO events (namespace, key, token, until) VALUES (?, ?, ?, ?)",
                (namespace, key, token, now + lease),
            )
            db.execute("DELETE FROM events WHERE namespace = ? AND until <= ?", (namespace, now))
            return EventStatus.CLAIMED

        return await self._run(step)

    async def renew_event(self, key: str, token: str, now: float, lease: float) -> bool:
        """See `Store.renew_event`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE events SET until = ? WHERE namespace = ? AND key = ? AND token = ?",
                (now + lease, namespace, key, token),
            )
            return cursor.rowcount > 0

        return await self._run(step)

    async def finish_event(self, key: str, token: str, now: float) -> None:
        """See `Store.finish_event`."""
        namespace, ttl = self.namespace, self.ttl

        def step(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO events (namespace, key, token, until) "
                "VALUES (?, ?, NULL, ?)",
                (namespace, key, now + ttl),
            )

        await self._run(step)

    async def release_event(self, key: str, token: str) -> None:
        """See `Store.release_event`."""
        namespace = self.namespace

        def step(db: sqlite3.Connection) -> None:
            db.execute(
                "DELETE FROM events WHERE namespace = ? AND key = ? AND token = ?",
                (namespace, key, token),
            )

        await self._run(step)

    # -- lifecycle --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection; later calls raise `StoreError`. Closing twice is fine."""
        await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
            if connection is not None:
                try:
                    connection.close()
                except sqlite3.Error as exc:
                    raise self._error(exc) from exc

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"


_OPEN_STORES: weakref.WeakSet[SQLiteStore] = weakref.WeakSet()

_INHERITED: list[sqlite3.Connection] = []
"""Connections a forked child inherited: kept, never used or closed by the child."""


def _after_fork_in_child() -> None:
    """SQLite connections must not cross a fork (Celery prefork, gunicorn --preload):
    the child drops what it inherited and opens its own on first use. The lock is new
    too, in case another thread held it at the fork."""
    for store in list(_OPEN_STORES):
        store._lock = threading.Lock()
        if store._connection is not None:
            _INHERITED.append(store._connection)
            store._connection = None


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
