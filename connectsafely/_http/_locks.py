"""Quick locks for the SDK's own connection pool: fewer pauses of the task per call.

httpcore guards every connection with two locks: one around opening it (taken by each
request, held only while the connection is being opened) and one around the HTTP/1.1
state (taken when a request starts and again when its response closes). They are
anyio locks under asyncio and Trio's under Trio, and both pause the task for one trip
through the event loop on every acquire, even when nobody holds the lock. The pool
gives an HTTP/1.1 connection to one request at a time, so those locks are almost
always free, and three pauses per call cost about a tenth of the CPU of a page of a
paginated walk.

Under asyncio, `use_quick_locks` keeps the first pause of each call and drops the
other two. The opening lock is taken as before, so every request still passes through
the event loop once before its first byte is written; asyncio runs ready tasks first
in, first out, so every task woken before that pause runs first, and a task it tells
to stop (say, the caller leaving a bulk batch) is stopped before it sends anything.
The state lock becomes a `QuickLock`, taken at once when free (anyio's
``fast_acquire``) and waited for, as before, when held. Mutual exclusion and
cancellation while waiting stay as they were.

Under Trio the locks keep httpcore's pauses: Trio runs each batch of ready tasks in a
random order, so one pause does not let the tasks woken before it run first; two do.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpcore
import sniffio
from httpcore._synchronization import AsyncLock

__all__ = ["QuickLock", "use_quick_locks"]


class QuickLock:
    """A stand-in for httpcore's ``AsyncLock``; without ``pause``, taken at once when
    free under asyncio.

    With ``pause``, or under Trio, it pauses on every acquire, as httpcore's does. ``owner``
    is the connection whose opening lock this is: when the lock is released after the
    connection was opened, the HTTP/1.1 connection just made gets a `QuickLock` for its
    state, before anything took that lock.
    """

    __slots__ = ("_lock", "_owner", "_pause")

    def __init__(self, *, pause: bool = False, owner: Any = None) -> None:
        self._lock: anyio.Lock | None = None  # made on first use, in the running loop
        self._pause = pause
        self._owner = owner

    async def __aenter__(self) -> QuickLock:
        lock = self._lock
        if lock is None:
            quick = not self._pause and sniffio.current_async_library() == "asyncio"
            lock = self._lock = anyio.Lock(fast_acquire=quick)
        await lock.acquire()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._lock is not None
        self._lock.release()
        owner = self._owner
        if owner is None:
            return
        opened = getattr(owner, "_connection", None)
        if opened is None:  # not opened (or opening failed): look again next time
            return
        self._owner = None
        if (
            opened.__class__ is httpcore.AsyncHTTP11Connection
            and getattr(opened, "_state_lock", None).__class__ is AsyncLock
        ):
            opened._state_lock = QuickLock()  # type: ignore[assignment]


class _QuickPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, whose new HTTP/1.1 connections get a `QuickLock` for their state."""

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        connection = super().create_connection(origin)
        if (
            connection.__class__ is httpcore.AsyncHTTPConnection
            and getattr(connection, "_request_lock", None).__class__ is AsyncLock
        ):
            connection._request_lock = QuickLock(pause=True, owner=connection)  # type: ignore[assignment]
        return connection


def use_quick_locks(pool: httpcore.AsyncConnectionPool) -> None:
    """Give the new connections of the SDK's own pool (see `_net.plain_pool`) their
    `QuickLock` locks; connections it already holds keep theirs."""
    # Same layout (no new state), so the pool keeps every attribute it has.
    pool.__class__ = _QuickPool
