"""Operations: the INTERNAL span of one SDK call, and `send_many` batches.

An `Operation` is entered (current, with its span the current span) while its call
runs; what the call learns on the way (its account, the ledger's outcome, a limits wait,
a hold) is reported to it through `_hooks`. A `Spec` starts operations now (an
``async`` method) or later (each page of a pager, a download's block, a batch's items).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from . import _names as n
from ._hooks import CURRENT
from ._instruments import Instruments

__all__ = ["Operation", "Spec"]

T = TypeVar("T")

_ERROR = Status(StatusCode.ERROR)


class Spec:
    """An operation's name and path hints, to start it now or later (see `OperationSpec`)."""

    __slots__ = ("account", "hints", "name", "telemetry")

    def __init__(
        self, telemetry: Instruments, name: str, hints: Mapping[str, str], account: str | None
    ) -> None:
        self.telemetry = telemetry
        self.name = name
        self.hints = hints
        self.account = account

    def start(self, links: list[Link] | None = None, name: str | None = None) -> Operation:
        """Start the span (a child of the current span); not yet entered."""
        span = self.telemetry.tracer.start_span(
            n.PREFIX + (name or self.name), kind=SpanKind.INTERNAL, links=links
        )
        operation = Operation(self.telemetry, span, name or self.name, self.hints)
        if self.account is not None:
            operation.set_account(self.account)
        return operation

    async def run(self, call: Awaitable[T]) -> T:
        """Await ``call`` as one operation: entered, ended with its outcome."""
        return await _as_operation(self.start(), call)

    def batch(self) -> _Batch:
        """Start a `send_many` batch span."""
        return _Batch(self)


class Operation:
    """One SDK call: its INTERNAL span, its path hints, what it learned on the way."""

    __slots__ = ("_account", "_tokens", "hints", "name", "span", "telemetry")

    def __init__(
        self, telemetry: Instruments, span: Span, name: str, hints: Mapping[str, str]
    ) -> None:
        self.telemetry = telemetry
        self.span = span
        self.name = name
        self.hints = hints
        self._account: str | None = None
        self._tokens: list[tuple[object, Any]] = []

    def enter(self) -> None:
        """Make this the current operation, and its span the current span."""
        token = otel_context.attach(trace.set_span_in_context(self.span))
        self._tokens.append((token, CURRENT.set(self)))

    def leave(self) -> None:
        """Undo the last `enter`."""
        token, current = self._tokens.pop()
        CURRENT.reset(current)
        otel_context.detach(token)  # type: ignore[arg-type]

    def end(self, error: BaseException | None) -> None:
        """End the span; a failed call is ERROR with ``error.type`` (no message: it may
        name what the caller passed)."""
        if error is not None:
            self.span.set_attribute(n.ERROR_TYPE, n.error_type(error))
            self.span.set_status(_ERROR)
        self.span.end()

    def set_account(self, account: str) -> None:
        """The LinkedIn account the call acts for (the first one its requests name)."""
        if self._account is None:
            self._account = account
            self.span.set_attribute(n.ACCOUNT_ID, account)

    def ledger_outcome(self, outcome: str) -> None:
        """How the ledger settled the send (see `_hooks.through_ledger`)."""
        self.span.set_attribute(n.LEDGER_OUTCOME, outcome)
        if outcome == "replayed":
            self.telemetry.replays.add(1, {n.OPERATION: self.name})

    @contextmanager
    def limits_wait(self, account: str | None, action: str | None, reason: str) -> Iterator[None]:
        """A ``connectsafely limits.wait`` span around the wait."""
        attributes = {n.LIMITS_REASON: reason}
        if account is not None:
            attributes[n.ACCOUNT_ID] = account
        if action is not None:
            attributes[n.LIMITS_ACTION] = action
        with self.telemetry.tracer.start_as_current_span(
            n.LIMITS_WAIT, kind=SpanKind.INTERNAL, attributes=attributes
        ):
            yield

    def held(self, account: str | None, action: str | None) -> None:
        """Count a hold on ``account``'s ``action``."""
        attributes = {}
        if account is not None:
            attributes[n.ACCOUNT_ID] = account
        if action is not None:
            attributes[n.LIMITS_ACTION] = action
        self.telemetry.holds.add(1, attributes)


class _Batch:
    """A `send_many` batch: one span; every item an operation of its own, linked to it.

    Items are not children of the batch span: they keep the caller's parent (a trace of
    their own when there is none), so a batch of thousands is not one huge trace, and
    the link ties each back to its batch.
    """

    __slots__ = ("_item_name", "_link", "_spec", "span")

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self.span = spec.telemetry.tracer.start_span(n.PREFIX + spec.name, kind=SpanKind.INTERNAL)
        self._link = [Link(self.span.get_span_context())]
        # `conversations.send_many` -> `conversations.send`: what each item is.
        self._item_name = spec.name.removesuffix("_many")

    async def item(self, send: Awaitable[T]) -> T:
        """Run one item's send as an operation linked to the batch."""
        operation = self._spec.start(links=self._link, name=self._item_name)
        return await _as_operation(operation, send)

    def end(self, error: BaseException | None, done: int, failed: int) -> None:
        """End the batch span with its counts (ERROR only if the batch itself failed)."""
        self.span.set_attribute(n.BULK_DONE, done)
        self.span.set_attribute(n.BULK_FAILED, failed)
        if error is not None:
            self.span.set_attribute(n.ERROR_TYPE, n.error_type(error))
            self.span.set_status(_ERROR)
        self.span.end()


async def _as_operation(operation: Operation, call: Awaitable[T]) -> T:
    """Await ``call`` inside ``operation``: entered, then ended with the call's outcome."""
    operation.enter()
    try:
        result = await call
    except BaseException as error:
        operation.leave()
        operation.end(error)
        raise
    operation.leave()
    operation.end(None)
    return result
