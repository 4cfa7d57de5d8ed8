"""`Limiter`: the limits' state and policy, shared by a client and its ``with_options`` copies.

It lives on the connection pool and holds what every call of the client consults: the
`Limits`, the store where pauses, blocks, reservations and counts are kept (`Store`),
the pace learned from the server's headers, the categories the server names for each
kind of call, and the counted limits (`_windows`). One client configuration sees it
through a `RateGate`, one call through a `CallGate` (both in `_gate`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from .._config import Limits
from ..stores._base import Store
from ..stores.memory import MemoryStore
from ._pacing import LearnedPace
from ._scope import CallScope
from ._windows import WindowRule, kind_rules, new_conversation_rule

__all__ = ["KEY", "REFRESH_INTERVAL", "Limiter"]

logger = logging.getLogger("connectsafely")


KEY = "key"
"""The scope of limits that apply to every call of the API key."""

REFRESH_INTERVAL = 1.0
"""Seconds between two looks at a shared store for other processes' pauses and blocks."""


class Limiter:
    """Limits state and policy shared by a client and its copies.

    Args:
        limits: The client-side `Limits` (empty: only server-driven pauses apply).
        state: The store the state lives in (a `MemoryStore` by default).
        prefix: Put before every key in the store: the client's scope (a hash of the
            API key), so clients of other keys sharing a store never mix.
        calendar: Epoch seconds "now" for holds, quota blocks and the UTC day.
    """

    __slots__ = (
        "_kind_actions",
        "_refreshed",
        "calendar",
        "counted_kinds",
        "learned",
        "learned_by_scope",
        "limits",
        "new_conversations",
        "pauses",
        "prefix",
        "quota_announced",
        "state",
    )

    def __init__(
        self,
        limits: Limits | None = None,
        state: Store | None = None,
        calendar: Callable[[], float] = time.time,
        prefix: str = "",
    ) -> None:
        self.limits = limits = limits if limits is not None else Limits()
        # The counted limits (`_windows`): by call kind, and the new-conversation one.
        self.counted_kinds: dict[str, WindowRule] = kind_rules(limits)
        self.new_conversations: WindowRule | None = new_conversation_rule(limits)
        self.quota_announced = False
        """Whether an accepted cold send's answer described the daily quota: from then
        on, an answer to a send by recipient that does not was a reply (`_windows`)."""
        self.state: Store = state if state is not None else MemoryStore()
        self.prefix = prefix
        self._refreshed = -math.inf
        self.calendar = calendar
        self.learned = LearnedPace()
        # One account's action -> the pace its own X-RateLimit-* headers imply.
        self.learned_by_scope: dict[str, LearnedPace] = {}
        # A call kind -> the category the server names for it (X-RateLimit-Action).
        self._kind_actions: dict[str, str] = {}
        self.pauses = 0
        """How many server-requested pauses were started (for logs and tests)."""

    @property
    def learned_interval(self) -> float | None:
        """Seconds between calls learned from the server's headers, if any."""
        return self.learned.interval

    def action_of(self, scope: CallScope) -> str | None:
        """The action category of a call: what the server called its kind, else its kind."""
        kind = scope.kind
        return None if kind is None else self._kind_actions.get(kind, kind)

    def learn_action(self, scope: CallScope, action: str) -> None:
        """The server named ``action`` as the category of a call of ``scope.kind``."""
        if scope.kind is not None:
            self._kind_actions[scope.kind] = action

    async def refresh(self) -> None:
        """Let a shared store catch up with other processes' pauses and blocks, at most
        about once a second (`Store.quiet` may answer from that view)."""
        now = time.monotonic()
        if now - self._refreshed >= REFRESH_INTERVAL:
            self._refreshed = now
            await self.state.refresh()

    def key(self, name: str) -> str:
        """``name`` as a key of this client's scope in the store."""
        return f"{self.prefix}|{name}" if self.prefix else name

    async def pause(self, scope: str, until: float, reason: str) -> None:
        """Hold every call of ``scope`` until wall time ``until``."""
        if await self.state.pause(self.key(scope), until):
            self.pauses += 1
            who = "all calls" if scope == KEY else f"calls of {scope}"
            logger.info(
                "Rate limited (%s): pausing %s for %.2f s", reason, who, until - time.time()
            )
