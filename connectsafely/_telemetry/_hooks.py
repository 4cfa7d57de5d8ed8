"""What the rest of the SDK calls: the current operation, and three one-line hooks.

An *operation* is one SDK call (``conversations.send``, one page of ``messages()``, one
`send_many` item) while telemetry is on: its INTERNAL span and what it has learned
(its account, the ledger's outcome). It is `CURRENT` for as long as the call runs, so
code deep in the call (the limits, the ledger) reports to it without being handed
anything; with telemetry off `CURRENT` is ``None`` and every hook returns at once.

Nothing here imports OpenTelemetry: the operations themselves live in `_otel`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import Protocol, TypeVar

from ._names import ledger_outcome_of

__all__ = [
    "CURRENT",
    "Batch",
    "Operation",
    "OperationSpec",
    "held",
    "limits_wait",
    "through_ledger",
]

T = TypeVar("T")


class _Replayable(Protocol):
    @property
    def replayed(self) -> bool: ...


R = TypeVar("R", bound=_Replayable)


class Operation(Protocol):
    """One SDK call being traced (see `_otel.Operation`)."""

    def enter(self) -> None:
        """Make this the current operation (and its span the current span)."""

    def leave(self) -> None:
        """Undo `enter` (in the same task)."""

    def end(self, error: BaseException | None) -> None:
        """End the span: ERROR with ``error.type`` when ``error`` is given."""

    def ledger_outcome(self, outcome: str) -> None:
        """Record how the send ledger settled this call."""

    def limits_wait(
        self, account: str | None, action: str | None, reason: str
    ) -> AbstractContextManager[None]:
        """A ``connectsafely limits.wait`` span around a wait the limits impose."""

    def held(self, account: str | None, action: str | None) -> None:
        """Count a hold the server put on an account's action."""


class Batch(Protocol):
    """One `send_many` batch being traced: its span, and its items linked to it."""

    async def item(self, send: Awaitable[T]) -> T:
        """Run one item's send as an operation of its own, linked to the batch."""

    def end(self, error: BaseException | None, done: int, failed: int) -> None:
        """End the batch's span with its counts."""


class OperationSpec(Protocol):
    """What a method that returns a pager, a download or a batch hands to it: how to
    start the operations that happen later, when it is used."""

    async def run(self, call: Awaitable[T]) -> T:
        """Run ``call`` as one operation (one page fetch)."""

    def start(self) -> Operation:
        """Start an operation that the caller enters, leaves and ends (a download)."""

    def batch(self) -> Batch:
        """Start a `send_many` batch."""


CURRENT: ContextVar[Operation | None] = ContextVar("connectsafely_operation", default=None)
"""The operation of the SDK call running in this task, while telemetry is on."""


def limits_wait(
    account: str | None, action: str | None, reason: str
) -> AbstractContextManager[None]:
    """Around a wait of the limits: a span when telemetry is on, else nothing."""
    operation = CURRENT.get()
    if operation is None:
        return nullcontext()
    return operation.limits_wait(account, action, reason)


def held(account: str | None, action: str | None) -> None:
    """The server put ``account``'s ``action`` on hold (counted when telemetry is on)."""
    operation = CURRENT.get()
    if operation is not None:
        operation.held(account, action)


async def through_ledger(send: Awaitable[R]) -> R:
    """Await a send through the ledger and record its outcome on the current operation:
    ``sent``, ``replayed``, ``in_doubt`` or ``skipped_reply``."""
    operation = CURRENT.get()
    if operation is None:
        return await send
    try:
        result = await send
    except Exception as error:
        outcome = ledger_outcome_of(error)
        if outcome is not None:
            operation.ledger_outcome(outcome)
        raise
    operation.ledger_outcome("replayed" if result.replayed else "sent")
    return result
