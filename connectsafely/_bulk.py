"""Bulk outreach: the runner behind ``client.conversations.send_many``.

Shape of a batch (all inside one anyio task group owned by the ``async with`` block):

    items ──feeder──▶ [work stream, bounded] ──▶ N workers ──▶ [outcome stream] ──▶ you

- The feeder reads the input lazily: at most ``concurrency`` items wait in the work
  stream, so a generator of a million items is never held in memory.
- Each worker sends one item at a time and turns every failure into a `SendOutcome`;
  one bad item never stops the batch.
- Leaving the ``async with`` block (normally, by ``break``, by an exception, by
  cancellation or Ctrl-C) cancels whatever is still running and closes the task group
  before the block exits, and `BulkSend.summary` says which items were never attempted.

The runner knows nothing about HTTP: it is driven by two callables (like tenacity's
``AsyncRetrying(stop, wait, ...)`` or our `AsyncPager(fetch)`), ``send`` (one send
through the client's pipeline, with its one retry policy) and ``read_back`` (a
conversation's newest messages). With ``read_back``, replies into a known conversation
are *duplicate-safe*: when a send's outcome is unknown (a 5xx, or the connection died
after the request was sent), the pipeline asks `_readback.ReadBack` before sending
again, and an identical message from the account owner counts as delivered.

Nothing here sleeps or paces by itself: the client-wide rate-limit coordination in
`_limits` (shared by every call of the client) does that for every request.
"""

from __future__ import annotations

import enum
import inspect
import logging
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Iterator,
    Sized,
)
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._bulk_items import SendOne, Tally, attempt
from ._models.bulk import BulkSummary, Progress, ProgressCallback, SendOutcome, SendRequest
from ._readback import RecentMessages
from ._telemetry import Batch, OperationSpec

__all__ = ["BulkSend", "collect_in_order"]

logger = logging.getLogger("connectsafely")


class _End(enum.Enum):
    END = enum.auto()


_END = _End.END
"""What `BulkSend._pull` returns once the input is exhausted."""


class _State(enum.Enum):
    NEW = "new"
    RUNNING = "running"  # inside `async with`
    WINDOWED = "windowed"  # a plain `async for`, no block
    CLOSED = "closed"


class BulkSend:
    """A running `send_many` batch: an async context manager and async iterator.

    Use it as ``async with client.conversations.send_many(items) as outcomes:`` and
    iterate ``outcomes`` to get a `SendOutcome` per item, in completion order. The block
    owns the work: leaving it for any reason stops whatever is still running before
    the block exits, and `summary` then says what was and was not sent. For results in
    input order, ``await connectsafely.collect_in_order(client.conversations.send_many(items))``.

    A plain ``async for outcome in client.conversations.send_many(items)`` also works:
    it sends in windows of ``concurrency`` items that finish inside each step of the
    loop, so a ``break`` leaves nothing running (at some cost in throughput).

    Errors raised by your own code end the batch and are raised from the iteration (or
    from the ``async with`` block) after the outcomes of the items that still ran: an
    error from the ``items`` iterable ends the input (items read before it are still
    sent); an error from ``on_progress`` stops the batch (items being sent finish,
    nothing new starts).
    """

    def __init__(
        self,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        send: SendOne,
        read_back: RecentMessages | None = None,
        item_type: type[Any] = SendRequest,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise TypeError(f"concurrency must be an int, not {type(concurrency).__name__}.")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1.")
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be a callable taking a Progress, or None.")
        if isinstance(items, (str, bytes, item_type)) or not isinstance(
            items, (Iterable, AsyncIterable)
        ):
            raise TypeError(f"items must be an iterable or async iterable of {item_type.__name__}.")
        self._items = items
        self._item_type = item_type
        self._send = send
        self._read_back = read_back
        self._concurrency = concurrency
        self._on_progress = on_progress
        self._total = len(items) if isinstance(items, Sized) else None
        self._state = _State.NEW
        self._task_group: TaskGroup | None = None
        self._tally = Tally()
        self._exhausted = False
        self._stopping = False
        self._failure: BaseException | None = None
        self._failure_raised = False
        # Bare `async for` (no `async with`): outcomes of the current window, and the
        # input iterator it pulls from (see `_next_in_window`).
        self._window: deque[SendOutcome] = deque()
        self._iterator: Iterator[Any] | AsyncIterator[Any] | None = None
        self._input_ended = False
        # Telemetry (`_telemetry`): how to trace the batch, and its span once running.
        self._spec: OperationSpec | None = None
        self._batch: Batch | None = None

    def _trace_as(self, spec: OperationSpec) -> None:
        """Telemetry: the batch is one span, each item an operation linked to it."""
        self._spec = spec

    def _end_batch(self, error: BaseException | None) -> None:
        batch, self._batch = self._batch, None
        if batch is not None:
            batch.end(error, self._tally.done, self._tally.failed)

    # -- the consumer's side ----------------------------------------------------------------

    async def __aenter__(self) -> BulkSend:
        if self._state is not _State.NEW:
            raise RuntimeError("A send_many(...) batch can only be run once.")
        # Created here, not in __init__: a batch never entered holds nothing to close.
        self._out_send, self._out_recv = anyio.create_memory_object_stream[SendOutcome](
            self._concurrency
        )
        if self._spec is not None:
            self._batch = self._spec.batch()
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._state = _State.RUNNING
        self._task_group.start_soon(self._run)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task_group = self._task_group
        assert task_group is not None
        self._state = _State.CLOSED
        # Leaving the block for any reason ends the batch here, deterministically. The
        # block's own exception (a break's None, KeyboardInterrupt, cancellation) is not
        # handed to the task group: it propagates unchanged once the workers are gone.
        task_group.cancel_scope.cancel()
        try:
            await task_group.__aexit__(None, None, None)
        finally:
            self._collect_undelivered()
            self._end_batch(self._failure or exc)
        if exc_type is None and self._failure is not None and not self._failure_raised:
            self._failure_raised = True
            raise self._failure

    def __aiter__(self) -> BulkSend:
        if self._state is _State.NEW:
            self._state = _State.WINDOWED
        return self

    async def __anext__(self) -> SendOutcome:
        if self._state is _State.WINDOWED:
            return await self._next_in_window()
        if self._state is not _State.RUNNING:
            raise StopAsyncIteration
        try:
            return await self._out_recv.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            failure = self._failure
            if failure is not None and not self._failure_raised:
                self._failure_raised = True
                raise failure from None
            raise StopAsyncIteration from None

    @property
    def progress(self) -> Progress:
        """The current counts (what ``on_progress`` receives)."""
        return self._tally.progress(self._total)

    @property
    def summary(self) -> BulkSummary:
        """What was done, interrupted and never attempted (final once the block exits)."""
        return self._tally.summary(exhausted=self._exhausted, failure=self._failure)

    def __repr__(self) -> str:
        p = self.progress
        total = "?" if p.total is None else p.total
        return (
            f"<BulkSend {self._state.value} done={p.done}/{total} failed={p.failed} "
            f"in_flight={p.in_flight}>"
        )

    # -- bare `async for`: windows that finish inside each call ------------------------------

    async def _next_in_window(self) -> SendOutcome:
        """The next outcome when iterated without ``async with``.

        Without the block nothing tells the batch when a loop is left early, so no task
        may outlive a call: each window reads up to ``concurrency`` items, sends them
        concurrently and finishes inside this call, and its outcomes (in completion
        order) are handed out before the next window starts. A ``break`` therefore
        leaves nothing running; cancellation stops the window's sends (``summary`` says
        which). The price is throughput: a window waits for its slowest send.
        """
        if self._spec is not None and self._batch is None and self._state is _State.WINDOWED:
            self._batch = self._spec.batch()  # ends with the loop (not on a `break`)
        while not self._window:
            if self._input_ended or self._stopping:
                self._state = _State.CLOSED
                self._end_batch(self._failure)
                await self._close_input()
                if self._failure is not None and not self._failure_raised:
                    self._failure_raised = True
                    raise self._failure
                raise StopAsyncIteration
            await self._run_window()
        return self._window.popleft()

    async def _run_window(self) -> None:
        window: list[tuple[int, Any]] = []
        while len(window) < self._concurrency:
            try:
                item = await self._pull()
            except Exception as exc:  # the caller's iterable failed: end of input
                self._fail(exc, stop=False)
                item = _END
            if item is _END:
                self._input_ended = True
                break
            window.append((self._claim_index(), item))

        async def send_one(index: int, item: Any) -> None:
            self._window.append(await self._process(index, item))

        async with anyio.create_task_group() as task_group:
            for index, item in window:
                task_group.start_soon(send_one, index, item)

    async def _pull(self) -> Any:
        """The next input item, or `_END` once the input is exhausted."""
        iterator = self._iterator
        if iterator is None:
            items = self._items
            iterator = aiter(items) if isinstance(items, AsyncIterable) else iter(items)
            self._iterator = iterator
        try:
            if isinstance(iterator, AsyncIterator):
                return await anext(iterator)
            return next(iterator)
        except (StopIteration, StopAsyncIteration):
            self._exhausted = True
            return _END

    async def _close_input(self) -> None:
        """Close a generator the batch stopped reading early (runs its ``finally``)."""
        iterator = self._iterator
        if self._exhausted:
            return
        if inspect.isasyncgen(iterator):
            with anyio.CancelScope(shield=True):
                await iterator.aclose()
        elif inspect.isgenerator(iterator):
            iterator.close()

    # -- the work ---------------------------------------------------------------------------

    async def _run(self) -> None:
        work_send, work_recv = anyio.create_memory_object_stream[tuple[int, Any]](self._concurrency)
        workers = self._concurrency
        if self._total is not None:
            workers = max(1, min(workers, self._total))
        with self._out_send:
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(self._feed, work_send)
                with work_recv:
                    for _ in range(workers):
                        task_group.start_soon(self._work, work_recv.clone())

    async def _feed(self, send: MemoryObjectSendStream[tuple[int, Any]]) -> None:
        with send:
            try:
                while not self._stopping:
                    item = await self._pull()
                    if item is _END:
                        break
                    await send.send((self._claim_index(), item))
            except Exception as exc:  # the caller's iterable failed: end of input
                self._fail(exc, stop=False)
            finally:
                await self._close_input()

    def _claim_index(self) -> int:
        """Number the next item read from the input; it stays queued in the tally until sent."""
        return self._tally.next_index()

    async def _work(self, receive: MemoryObjectReceiveStream[tuple[int, Any]]) -> None:
        with receive:
            async for index, item in receive:
                if self._stopping:
                    continue  # stays queued: reported as not attempted
                outcome = await self._process(index, item)
                try:
                    await self._out_send.send(outcome)
                except BaseException:
                    self._tally.undelivered.append(outcome)
                    raise

    async def _process(self, index: int, item: Any) -> SendOutcome:
        """Send one item and keep the counts (and ``on_progress``) up to date."""
        self._tally.started(index)
        outcome = await attempt(
            index,
            item,
            item_type=self._item_type,
            send=self._send,
            read_back=self._read_back,
            traced=None if self._batch is None else self._batch.item,
        )
        self._tally.finished(outcome)
        if self._on_progress is not None:
            try:
                self._on_progress(self.progress)
            except Exception as exc:
                self._fail(exc)
        return outcome

    def _fail(self, error: BaseException, *, stop: bool = True) -> None:
        if self._failure is None:
            self._failure = error
        if stop:
            self._stopping = True

    def _collect_undelivered(self) -> None:
        while True:
            try:
                self._tally.undelivered.append(self._out_recv.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
        self._out_recv.close()


async def collect_in_order(batch: BulkSend) -> list[SendOutcome]:
    """Run a `send_many` batch to the end and return its outcomes in input order.

    Args:
        batch: The value of ``client.conversations.send_many(...)`` (not yet entered).

    Returns:
        One `SendOutcome` per item, sorted by ``index``.

    Examples:
        >>> outcomes = await connectsafely.collect_in_order(  # doctest: +SKIP
        ...     client.conversations.send_many(requests)
        ... )
    """
    async with batch:
        outcomes = [outcome async for outcome in batch]
    outcomes.sort(key=_index)
    return outcomes


def _index(outcome: SendOutcome) -> int:
    return outcome.index
