"""The limits steps of `SQLiteStore`: pacing, pauses, blocks and counts, in SQL.

Each function is the body of one `Store` method (see `Store` for what each means). It
runs inside the transaction `SQLiteStore` opens for it (``BEGIN IMMEDIATE``), in a
worker thread, on the tables of `_sqlite_schema`; ``namespace`` keeps a store's rows
apart from other namespaces in the same file.
"""

from __future__ import annotations

import sqlite3
import time

__all__ = [
    "blocked",
    "count",
    "pause",
    "paused_until",
    "quiet",
    "reserve",
    "set_block",
    "uncount",
]


def reserve(
    db: sqlite3.Connection,
    namespace: str,
    bucket: str,
    *,
    interval: float,
    tolerance: float,
    now: float,
) -> float:
    """Take the next slot of ``bucket`` (GCRA); return when the caller may go."""
    row = db.execute(
        "SELECT tat FROM tats WHERE namespace = ? AND bucket = ?", (namespace, bucket)
    ).fetchone()
    tat = now if row is None else max(row[0], now)
    db.execute(
        "INSERT OR REPLACE INTO tats (namespace, bucket, tat) VALUES (?, ?, ?)",
        (namespace, bucket, tat + interval),
    )
    return max(now, tat - tolerance)


def pause(db: sqlite3.Connection, namespace: str, scope: str, until: float) -> bool:
    """Pause ``scope`` until ``until`` unless it already is; True when this started it."""
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


def paused_until(db: sqlite3.Connection, namespace: str, scopes: tuple[str, ...]) -> float:
    """The latest end of any pause of ``scopes`` (``-inf`` when none)."""
    latest = -float("inf")
    for scope in scopes:
        row = db.execute(
            "SELECT until FROM pauses WHERE namespace = ? AND scope = ?",
            (namespace, scope),
        ).fetchone()
        if row is not None:
            latest = max(latest, float(row[0]))
    return latest


def set_block(
    db: sqlite3.Connection, namespace: str, scope: str, until: float, action: str | None
) -> None:
    """Block ``scope`` until ``until`` (with ``action``) unless it ends later already."""
    row = db.execute(
        "SELECT until FROM blocks WHERE namespace = ? AND scope = ?", (namespace, scope)
    ).fetchone()
    if row is None or row[0] < until:
        db.execute(
            "INSERT OR REPLACE INTO blocks (namespace, scope, until, action) VALUES (?, ?, ?, ?)",
            (namespace, scope, until, action),
        )


def blocked(db: sqlite3.Connection, namespace: str, scope: str) -> tuple[float, str | None] | None:
    """The block of ``scope``: its end and action, or None."""
    row = db.execute(
        "SELECT until, action FROM blocks WHERE namespace = ? AND scope = ?",
        (namespace, scope),
    ).fetchone()
    return None if row is None else (float(row[0]), row[1])


def count(db: sqlite3.Connection, namespace: str, counter: str, cap: int) -> bool:
    """Add one to ``counter`` unless it reached ``cap``; True when counted."""
    row = db.execute(
        "SELECT value FROM counts WHERE namespace = ? AND counter = ?",
        (namespace, counter),
    ).fetchone()
    value = 0 if row is None else int(row[0])
    if value >= cap:
        return False
    db.execute(
        "INSERT OR REPLACE INTO counts (namespace, counter, value, touched) VALUES (?, ?, ?, ?)",
        (namespace, counter, value + 1, time.time()),
    )
    return True


def uncount(db: sqlite3.Connection, namespace: str, counter: str) -> None:
    """Take back one count of ``counter`` (never below zero)."""
    db.execute(
        "UPDATE counts SET value = value - 1, touched = ? "
        "WHERE namespace = ? AND counter = ? AND value > 0",
        (time.time(), namespace, counter),
    )


def quiet(db: sqlite3.Connection, namespace: str) -> bool:
    """True when no process recorded a pause or a block in ``namespace``."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM pauses WHERE namespace = ?) "
        "OR EXISTS (SELECT 1 FROM blocks WHERE namespace = ?)",
        (namespace, namespace),
    ).fetchone()
    return not row[0]
