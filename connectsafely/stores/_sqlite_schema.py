"""The file behind `SQLiteStore`: its tables, opening a connection, and sweeping.

Tables, all keyed by ``namespace`` and the client's key:

=========  ===============================================================================
``tats``    pacing: each bucket's theoretical arrival time (GCRA)
``pauses``  server-requested pauses and their end
``blocks``  holds and used-up quotas: their end and action
``counts``  the SDK's counts per account and calendar window (day or week)
``ledger``  the send ledger: digest, state, claim token, lease, recorded result, expiry
``events``  received webhook events: a claim (token set) or a handled mark (token NULL)
=========  ===============================================================================

`connect` opens the file with WAL journaling (readers never wait for the writer) and a
busy timeout (a process that finds the file locked waits its turn instead of failing),
makes the tables, and refuses a file of a newer schema. `sweep` forgets what can no
longer matter. The statements of each store step are in `_sqlite_limits` and
`_sqlite_ledger`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time

from ._base import COUNT_KEPT

__all__ = [
    "BLOCK_KEPT",
    "BUSY_TIMEOUT",
    "COUNT_KEPT",
    "PAUSE_KEPT",
    "SCHEMA_VERSION",
    "connect",
    "rollback",
    "sweep",
]

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of the tables below; a newer file is refused, not misread."""

BUSY_TIMEOUT = 5.0
"""Seconds a call waits for another process's transaction before giving up."""

PAUSE_KEPT = 3600.0
"""Seconds a pause is kept after it ended (then swept)."""

BLOCK_KEPT = 7 * 24 * 3600.0
"""Seconds a block is kept after it ended (blocks follow the client's calendar, which
may differ from the wall clock in tests: keep them well past their end)."""

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tats (
        namespace TEXT NOT NULL, bucket TEXT NOT NULL, tat REAL NOT NULL,
        PRIMARY KEY (namespace, bucket))""",
    """CREATE TABLE IF NOT EXISTS pauses (
        namespace TEXT NOT NULL, scope TEXT NOT NULL, until REAL NOT NULL,
        PRIMARY KEY (namespace, scope))""",
    """CREATE TABLE IF NOT EXISTS blocks (
        namespace TEXT NOT NULL, scope TEXT NOT NULL, until REAL NOT NULL, action TEXT,
        PRIMARY KEY (namespace, scope))""",
    """CREATE TABLE IF NOT EXISTS counts (
        namespace TEXT NOT NULL, counter TEXT NOT NULL, value INTEGER NOT NULL,
        touched REAL NOT NULL,
        PRIMARY KEY (namespace, counter))""",
    """CREATE TABLE IF NOT EXISTS ledger (
        namespace TEXT NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL,
        state TEXT NOT NULL, token TEXT NOT NULL, started_at REAL NOT NULL,
        lease_until REAL NOT NULL, result TEXT, expires REAL,
        PRIMARY KEY (namespace, key))""",
    """CREATE INDEX IF NOT EXISTS ledger_expiry ON ledger (namespace, expires)
        WHERE state = 'delivered'""",
    # Received webhook events: a claim (token set) or a handled mark (token NULL), each
    # live until `until`. Apart from the ledger: event keys and send keys never meet.
    """CREATE TABLE IF NOT EXISTS events (
        namespace TEXT NOT NULL, key TEXT NOT NULL, token TEXT, until REAL NOT NULL,
        PRIMARY KEY (namespace, key))""",
)


def connect(path: str) -> sqlite3.Connection:
    """A connection to the file at ``path``, its tables made (closed again on failure)."""
    connection = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT,
        isolation_level=None,  # transactions are ours: BEGIN IMMEDIATE ... COMMIT
        check_same_thread=False,  # worker threads take turns under the store's lock
    )
    try:
        _use_wal(connection)
        # In WAL mode NORMAL survives a crash of any process; only a power cut or an
        # OS crash may lose the last commits (FULL would fsync on every commit).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            _check_schema_version(connection)
            for statement in _SCHEMA:
                connection.execute(statement)
            # Written even when unchanged: a file this process cannot write fails
            # here, on first use, rather than at the first write after some reads.
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            rollback(connection)
            raise
    except BaseException:
        connection.close()  # the next call tries again from scratch
        raise
    return connection


def _use_wal(connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode, waiting out other connections doing the same.

    Switching a new file to WAL takes an exclusive lock, and SQLite answers "database is
    locked" at once, without its busy wait, to a connection that would otherwise risk a
    deadlock with another switching at the same moment (workers starting together on a
    fresh file). So that answer is retried here, for up to `BUSY_TIMEOUT` in all.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)  # in the store's worker thread, never on the event loop
            pause = min(pause * 2, 0.1)
        else:
            return


def _busy(error: sqlite3.OperationalError) -> bool:
    name = getattr(error, "sqlite_errorname", None)  # Python 3.11+
    if name is not None:
        return name in {"SQLITE_BUSY", "SQLITE_LOCKED"} or name.startswith("SQLITE_BUSY_")
    return "locked" in str(error) or "busy" in str(error)


def rollback(connection: sqlite3.Connection) -> None:
    """Undo an open transaction; a failure here changes nothing more (nothing committed)."""
    with contextlib.suppress(sqlite3.Error):
        connection.execute("ROLLBACK")


def sweep(db: sqlite3.Connection, namespace: str, now: float) -> None:
    """Forget what can no longer matter (inside a claim's transaction)."""
    db.execute(
        "DELETE FROM ledger WHERE namespace = ? AND state = 'delivered' AND expires <= ?",
        (namespace, now),
    )
    # A bucket whose slot is in the past acts exactly like an absent one.
    db.execute("DELETE FROM tats WHERE namespace = ? AND tat < ?", (namespace, now - 60.0))
    db.execute(
        "DELETE FROM pauses WHERE namespace = ? AND until < ?", (namespace, now - PAUSE_KEPT)
    )
    db.execute(
        "DELETE FROM blocks WHERE namespace = ? AND until < ?", (namespace, now - BLOCK_KEPT)
    )
    db.execute(
        "DELETE FROM counts WHERE namespace = ? AND touched < ?",
        (namespace, time.time() - COUNT_KEPT),
    )


def _check_schema_version(connection: sqlite3.Connection) -> None:
    """Refuse a file whose schema this SDK does not know, rather than misread it."""
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"made by a newer connectsafely (schema {version}; this one reads {SCHEMA_VERSION})"
        )
