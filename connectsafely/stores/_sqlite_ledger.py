"""The send-ledger and webhook-event steps of `SQLiteStore`, in SQL.

Each function is the body of one `Store` method (see `Store`, `ClaimStatus` and
`EventStatus` for what each means). It runs inside the transaction `SQLiteStore` opens
for it (``BEGIN IMMEDIATE``), in a worker thread, on the ``ledger`` and ``events``
tables of `_sqlite_schema`; ``namespace`` keeps a store's rows apart from other
namespaces in the same file.

A ledger row is ``pending`` (a live claim until ``lease_until``), ``doubt`` (an attempt
that may have reached LinkedIn) or ``delivered`` (its result kept until ``expires``).
An event row is a claim (``token`` set) or a handled mark (``token`` NULL), live until
``until``.
"""

from __future__ import annotations

import secrets
import sqlite3

from ._base import Claim, ClaimStatus, EventStatus

__all__ = [
    "claim",
    "claim_event",
    "deliver",
    "doubt",
    "finish_event",
    "peek",
    "release",
    "release_event",
    "renew",
    "renew_event",
]

# -- the send ledger ----------------------------------------------------------------------------


def claim(
    db: sqlite3.Connection, namespace: str, key: str, digest: str, *, now: float, lease: float
) -> Claim:
    """Claim ``key`` for a request hashing to ``digest``; a new claim lives ``lease`` s."""
    row = _entry(db, namespace, key, now)
    if row is None:
        token = secrets.token_hex(8)
        db.execute(
            "INSERT OR REPLACE INTO ledger (namespace, key, digest, state, token, "
            "started_at, lease_until, result, expires) "
            "VALUES (?, ?, ?, 'pending', ?, ?, ?, NULL, NULL)",
            (namespace, key, digest, token, now, now + lease),
        )
        return Claim(ClaimStatus.NEW, token=token, started_at=now, lease_until=now + lease)
    held = _held(row, digest, now)
    if held is not None:
        return held
    # The holder died (lease expired) or gave up in doubt: take over, check first.
    token = secrets.token_hex(8)
    db.execute(
        "UPDATE ledger SET token = ?, state = 'pending', lease_until = ? "
        "WHERE namespace = ? AND key = ?",
        (token, now + lease, namespace, key),
    )
    return Claim(ClaimStatus.IN_DOUBT, token=token, started_at=row[2], lease_until=now + lease)


def peek(db: sqlite3.Connection, namespace: str, key: str, digest: str, *, now: float) -> Claim:
    """What `claim` would find for ``key``, taking nothing (no token)."""
    row = _entry(db, namespace, key, now)
    if row is None:
        return Claim(ClaimStatus.NEW)
    held = _held(row, digest, now)
    return held if held is not None else Claim(ClaimStatus.IN_DOUBT, started_at=row[2])


_Row = tuple[str, str, float, float, "str | None", "float | None"]


def _entry(db: sqlite3.Connection, namespace: str, key: str, now: float) -> _Row | None:
    """The live row of ``key`` (a delivered one past its ``expires`` is as good as gone)."""
    row: _Row | None = db.execute(
        "SELECT digest, state, started_at, lease_until, result, expires FROM ledger "
        "WHERE namespace = ? AND key = ?",
        (namespace, key),
    ).fetchone()
    if row is not None and row[1] == "delivered" and row[5] is not None and row[5] <= now:
        return None  # forgotten after the ttl: a claim replaces it
    return row


def _held(row: _Row, digest: str, now: float) -> Claim | None:
    """The answer for a key the caller cannot take (``None``: it may take it over)."""
    stored_digest, state, started_at, lease_until, result, _ = row
    if stored_digest != digest:
        return Claim(ClaimStatus.MISMATCH, started_at=started_at)
    if state == "delivered":
        return Claim(ClaimStatus.DELIVERED, started_at=started_at, result=result)
    if state == "pending" and lease_until > now:
        return Claim(ClaimStatus.IN_PROGRESS, started_at=started_at, lease_until=lease_until)
    return None


def renew(
    db: sqlite3.Connection, namespace: str, key: str, token: str, *, now: float, lease: float
) -> bool:
    """Extend ``token``'s claim to ``now + lease``; False when it no longer holds it."""
    cursor = db.execute(
        "UPDATE ledger SET lease_until = ? "
        "WHERE namespace = ? AND key = ? AND token = ? AND state = 'pending'",
        (now + lease, namespace, key, token),
    )
    return cursor.rowcount > 0


def deliver(
    db: sqlite3.Connection, namespace: str, key: str, result: str, *, now: float, ttl: float
) -> None:
    """Record the send as delivered with its result, kept ``ttl`` seconds from ``now``."""
    # Recorded whoever holds the claim now: the message did go out.
    db.execute(
        "UPDATE ledger SET state = 'delivered', result = ?, expires = ? "
        "WHERE namespace = ? AND key = ?",
        (result, now + ttl, namespace, key),
    )


def release(db: sqlite3.Connection, namespace: str, key: str, token: str) -> None:
    """Forget ``token``'s claim (never a delivered entry)."""
    db.execute(
        "DELETE FROM ledger WHERE namespace = ? AND key = ? AND token = ? AND state != 'delivered'",
        (namespace, key, token),
    )


def doubt(db: sqlite3.Connection, namespace: str, key: str, token: str) -> None:
    """Mark ``token``'s pending claim in doubt, its lease over."""
    db.execute(
        "UPDATE ledger SET state = 'doubt', lease_until = 0 "
        "WHERE namespace = ? AND key = ? AND token = ? AND state = 'pending'",
        (namespace, key, token),
    )


# -- webhook events -----------------------------------------------------------------------------


def claim_event(
    db: sqlite3.Connection, namespace: str, key: str, token: str, *, now: float, lease: float
) -> EventStatus:
    """Claim event ``key`` for ``token`` until ``now + lease``, unless it is live."""
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


def renew_event(
    db: sqlite3.Connection, namespace: str, key: str, token: str, *, now: float, lease: float
) -> bool:
    """Extend ``token``'s claim of event ``key`` to ``now + lease``; False when not its own."""
    cursor = db.execute(
        "UPDATE events SET until = ? WHERE namespace = ? AND key = ? AND token = ?",
        (now + lease, namespace, key, token),
    )
    return cursor.rowcount > 0


def finish_event(
    db: sqlite3.Connection, namespace: str, key: str, *, now: float, ttl: float
) -> None:
    """Mark event ``key`` handled for ``ttl`` seconds from ``now``, whoever holds its claim."""
    db.execute(
        "INSERT OR REPLACE INTO events (namespace, key, token, until) VALUES (?, ?, NULL, ?)",
        (namespace, key, now + ttl),
    )


def release_event(db: sqlite3.Connection, namespace: str, key: str, token: str) -> None:
    """Forget ``token``'s claim of event ``key`` (nothing when not its own)."""
    db.execute(
        "DELETE FROM events WHERE namespace = ? AND key = ? AND token = ?",
        (namespace, key, token),
    )
