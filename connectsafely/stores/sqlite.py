"""`SQLiteStore`: one budget and one send ledger for every process on this machine.

State lives in one SQLite file (the standard library's `sqlite3`), so it is shared by
every process that opens the same path and survives restarts. Each method is one
``BEGIN IMMEDIATE`` transaction: SQLite lets one writer in at a time, across processes,
so no two processes interleave inside a step. The file uses WAL journaling (readers never
wait for the writer) and a busy timeout, so a process that finds the file locked waits its
turn instead of failing.

SQLite calls block, so every one runs in a worker thread (`anyio.to_thread.run_sync`):
the event loop never stalls, and the store works on asyncio and on Trio alike.

Here: the store, its one connection (opened on first use, one worker thread at a time,
reopened by a forked child) and its transactions. The file's tables, opening it and
sweeping it: `_sqlite_schema`. The statements of each step: `_sqlite_limits` (pacing,
pauses, blocks, counts) and `_sqlite_ledger` (the send ledger, webhook events).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from .._errors import StoreError
from . import _sqlite_ledger as ledger
from . import _sqlite_limits as limits
from ._base import DEFAULT_LEASE, DEFAULT_TTL, Claim, EventStatus, Store
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
        lease: Seconds a send's claim lives without renewal (default 15).
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
        return await self._run(
            lambda db: limits.reserve(
                db, namespace, bucket, interval=interval, tolerance=tolerance, now=now
            )
        )

    async def pause(self, scope: str, until: float) -> bool:
        """See `Store.pause`."""
        namespace = self.namespace
        self._quiet = False
        return await self._run(lambda db: limits.pause(db, namespace, scope, until))

    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """See `Store.paused_until`."""
        namespace = self.namespace
        return await self._run(lambda db: limits.paused_until(db, namespace, scopes))

    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """See `Store.set_block`."""
        namespace = self.namespace
        self._quiet = False
        await self._run(lambda db: limits.set_block(db, namespace, scope, until, action))

    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """See `Store.blocked`."""
        namespace = self.namespace
        return await self._run(lambda db: limits.blocked(db, namespace, scope))

    async def count(self, counter: str, cap: int) -> bool:
        """See `Store.count`."""
        namespace = self.namespace
        return await self._run(lambda db: limits.count(db, namespace, counter, cap))

    async def uncount(self, counter: str) -> None:
        """See `Store.uncount`."""
        namespace = self.namespace
        await self._run(lambda db: limits.uncount(db, namespace, counter))

    @property
    def quiet(self) -> bool:
        """See `Store.quiet`: no pause or block was recorded by any process as of the
        last `refresh`, nor by this process since."""
        return self._quiet

    async def refresh(self) -> None:
        """Look whether any process recorded a pause or block in this namespace."""
        namespace = self.namespace
        self._quiet = await self._run(lambda db: limits.quiet(db, namespace))

    # -- the send ledger --------------------------------------------------------------------

    async def claim(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.claim` (and now and then, sweep what can no longer matter)."""
        namespace, lease = self.namespace, self.lease
        due = not (self._swept_at <= now < self._swept_at + SWEEP_EVERY)
        if due:
            self._swept_at = now

        def step(db: sqlite3.Connection) -> Claim:
            if due:
                sweep(db, namespace, now)
            return ledger.claim(db, namespace, key, digest, now=now, lease=lease)

        return await self._run(step)

    async def peek(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.peek`."""
        namespace = self.namespace
        return await self._run(lambda db: ledger.peek(db, namespace, key, digest, now=now))

    async def renew(self, key: str, token: str, now: float) -> bool:
        """See `Store.renew`."""
        namespace, lease = self.namespace, self.lease
        return await self._run(
            lambda db: ledger.renew(db, namespace, key, token, now=now, lease=lease)
        )

    async def deliver(self, key: str, token: str, result: str, now: float) -> None:
        """See `Store.deliver`."""
        namespace, ttl = self.namespace, self.ttl
        await self._run(lambda db: ledger.deliver(db, namespace, key, result, now=now, ttl=ttl))

    async def release(self, key: str, token: str) -> None:
        """See `Store.release`."""
        namespace = self.namespace
        await self._run(lambda db: ledger.release(db, namespace, key, token))

    async def doubt(self, key: str, token: str) -> None:
        """See `Store.doubt`."""
        namespace = self.namespace
        await self._run(lambda db: ledger.doubt(db, namespace, key, token))

    # -- webhook events ---------------------------------------------------------------------

    async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
        """See `Store.claim_event`."""
        namespace = self.namespace
        return await self._run(
            lambda db: ledger.claim_event(db, namespace, key, token, now=now, lease=lease)
        )

    async def renew_event(self, key: str, token: str, now: float, lease: float) -> bool:
        """See `Store.renew_event`."""
        namespace = self.namespace
        return await self._run(
            lambda db: ledger.renew_event(db, namespace, key, token, now=now, lease=lease)
        )

    async def finish_event(self, key: str, token: str, now: float) -> None:
        """See `Store.finish_event`."""
        namespace, ttl = self.namespace, self.ttl
        await self._run(lambda db: ledger.finish_event(db, namespace, key, now=now, ttl=ttl))

    async def release_event(self, key: str, token: str) -> None:
        """See `Store.release_event`."""
        namespace = self.namespace
        await self._run(lambda db: ledger.release_event(db, namespace, key, token))

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
