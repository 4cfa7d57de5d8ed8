"""Bulk outreach: ``client.conversations.send_many``.

Shape of a batch (all inside one anyio task group owned by the ``async with`` block):

    items ──feeder──▶ [work stream, bounded] ──▶ N workers ──▶ [outcome stream] ──▶ you

- The feeder reads the input lazily: at most ``concurrency`` items wait in the work
  stream, so a generator of a million items is never held in memory.
- Each worker sends one item at a time and turns every failure into a `SendOutcome`;
  one bad item never stops the batch.
- Leaving the ``async with`` block (normally, by ``break``, by an exception, by
  cancellation or Ctrl-C) cancels whatever is still running and closes the task group
  before the block exits, and `BulkSend.summary` says which items were never attempted.
- Replies into a known conversation are *duplicate-safe*: when the outcome of a send is
  unknown (a 5xx, or the connection died after the request was sent), the worker reads
  the conversation's newest messages before sending again, and an identical message
  from the account owner counts as delivered.

Nothing here sleeps or paces by itself: the client-wide rate-limit coordination in
`_ratelimit` (shared by every call of the client) does that for every request.
"""

from __future__ import annotations

import inspect
import logging
import time
import uuid
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sized,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import attrs
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from . import _retry
from ._errors import APIConnectionError, APIStatusError, ConnectSafelyError
from ._http import HttpCore
from ._models import Attachment, SendResult
from ._retry import NOTHING_SENT
from ._serde import unstructure
from ._types import MessagingChannel

if TYPE_CHECKING:
    from .resources.conversations import Conversations

__all__ = [
    "BulkSend",
    "BulkSummary",
    "Progress",
    "SendOutcome",
    "SendRequest",
    "collect_in_order",
]

logger = logging.getLogger("connectsafely")

DEDUPE_CLOCK_SKEW_MS = 30_000
"""The duplicate check looks this far before the first attempt, because the server's
clock (which stamps ``sentAt``) may run behind ours."""

_END: Any = object()
"""What `BulkSend._pull` returns once the input is exhausted."""

DEDUPE_SCAN_LIMIT = 200
"""At most this many of the conversation's newest messages are scanned per check."""


@attrs.frozen
class SendRequest:
    """One message for `Conversations.send_many`: the arguments of ``send``, as data.

    Nothing is checked when you build it: each request is validated just before it is
    sent, and an invalid one becomes a `SendOutcome` with a ``ValueError`` or
    ``TypeError`` instead of stopping the batch.

    Attributes:
        message: The message text.
        recipient_profile_id: The recipient's vanity slug.
        recipient_profile_urn: The recipient's ``urn:li:fsd_profile:...`` URN.
        conversation_urn: An existing conversation to reply into (enables the
            duplicate check, see ``docs/bulk.md``).
        subject: Optional subject line.
        attachments: Values returned by `client.attachments.upload`.
        messaging_channel: ``"auto"``, ``"sales_navigator"`` or ``"linkedin_inbox"``.
        account_id: The LinkedIn account to send from; defaults to the client's.
        idempotency_key: Sent as ``Idempotency-Key``; generated when omitted.

    Example:
        >>> SendRequest("Hi Ana!", recipient_profile_id="ana-lima").message
        'Hi Ana!'
    """

    message: str
    recipient_profile_id: str | None = attrs.field(default=None, kw_only=True)
    recipient_profile_urn: str | None = attrs.field(default=None, kw_only=True)
    conversation_urn: str | None = attrs.field(default=None, kw_only=True)
    subject: str | None = attrs.field(default=None, kw_only=True)
    attachments: Iterable[Attachment | Mapping[str, Any]] = attrs.field(default=(), kw_only=True)
    messaging_channel: MessagingChannel | str = attrs.field(
        default=MessagingChannel.AUTO, kw_only=True
    )
    account_id: str | None = attrs.field(default=None, kw_only=True)
    idempotency_key: str | None = attrs.field(default=None, kw_only=True)

    def send_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `Conversations.send` for this request."""
        attachments = self.attachments
        if not isinstance(attachments, (str, bytes, Mapping, Attachment, tuple, list)) and (
            isinstance(attachments, Iterable)
        ):
            # A one-shot iterator would be empty on a second attempt.
            attachments = tuple(attachments)
        return {
            "message": self.message,
            "recipient_profile_id": self.recipient_profile_id,
            "recipient_profile_urn": self.recipient_profile_urn,
            "conversation_urn": self.conversation_urn,
            "subject": self.subject,
            "attachments": attachments,
            "messaging_channel": self.messaging_channel,
            "account_id": self.account_id,
            "idempotency_key": self.idempotency_key,
        }


@attrs.frozen
class SendOutcome:
    """What happened to one item of a `send_many` batch.

    Attributes:
        index: The item's 0-based position in your input.
        request: The item as you gave it (normally a `SendRequest`).
        result: The `SendResult` when the send succeeded, else ``None``.
        error: The exception when it failed (an API error, or ``ValueError`` /
            ``TypeError`` for an invalid item), else ``None``.
        deduplicated: True when the send's response was lost but the duplicate check
            found the message in the conversation, so it was not sent again. ``result``
            is then built from that message (``recipient_profile_urn`` is ``None``).
    """

    index: int
    request: Any
    result: SendResult | None = None
    error: Exception | None = None
    deduplicated: bool = False

    @property
    def ok(self) -> bool:
        """True when the message was sent."""
        return self.error is None


@attrs.frozen
class Progress:
    """Counts passed to ``on_progress`` after every finished item.

    Attributes:
        done: Items finished, successfully or not.
        failed: Items finished with an error (included in ``done``).
        in_flight: Items being sent right now.
        total: How many items there are, when the input has a length; else ``None``.
    """

    done: int
    failed: int
    in_flight: int
    total: int | None

    @property
    def succeeded(self) -> int:
        """Items sent successfully."""
        return self.done - self.failed


@attrs.frozen
class BulkSummary:
    """Where a batch stands; after an early exit, exactly what was and was not done.

    Attributes:
        done: Items finished (successfully or not).
        failed: Items finished with an error.
        interrupted: Indices that were being sent when the batch was stopped: whether
            the message went out is unknown (check before sending them again).
        not_attempted: Indices read from your input but never sent.
        unread_from: The index of the first item never read from your input (it and
            every later item were not attempted), or ``None`` when the input was read
            to its end.
        undelivered: Outcomes of items that finished but that you had not received
            yet when the batch stopped.
        complete: True when every item was read and finished.
    """

    done: int
    failed: int
    interrupted: tuple[int, ...]
    not_attempted: tuple[int, ...]
    unread_from: int | None
    undelivered: tuple[SendOutcome, ...]
    complete: bool


ProgressCallback = Callable[[Progress], object]


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
        conversations: Conversations,
        items: Iterable[SendRequest] | AsyncIterable[SendRequest],
        *,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        dedupe: bool = True,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise TypeError(f"concurrency must be an int, not {type(concurrency).__name__}.")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1.")
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be a callable taking a Progress, or None.")
        if isinstance(items, (str, bytes, SendRequest)) or not isinstance(
            items, (Iterable, AsyncIterable)
        ):
            raise TypeError("items must be an iterable or async iterable of SendRequest.")
        self._conversations = conversations
        self._items = items
        self._concurrency = concurrency
        self._on_progress = on_progress
        self._dedupe = dedupe
        self._total = len(items) if isinstance(items, Sized) else None
        core: HttpCore = conversations._core
        # Duplicate-safe sends retry here, checking the conversation between attempts,
        # so their requests go through a no-retry copy of the same pipeline.
        self._once = type(conversations)(
            HttpCore(attrs.evolve(core.config, max_retries=0), core.pool, core.gate)
        )
        self._state = "new"
        self._task_group: TaskGroup | None = None
        self._read = 0
        self._queued: set[int] = set()
        self._in_flight: set[int] = set()
        self._done = 0
        self._failed = 0
        self._exhausted = False
        self._stopping = False
        self._failure: BaseException | None = None
        self._failure_raised = False
        self._undelivered: list[SendOutcome] = []
        # Bare `async for` (no `async with`): outcomes of the current window, and the
        # input iterator it pulls from (see `_next_in_window`).
        self._window: deque[SendOutcome] = deque()
        self._iterator: Iterator[Any] | AsyncIterator[Any] | None = None
        self._input_ended = False

    # -- the consumer's side ----------------------------------------------------------------

    async def __aenter__(self) -> BulkSend:
        if self._state != "new":
            raise RuntimeError("A send_many(...) batch can only be run once.")
        # Created here, not in __init__: a batch never entered holds nothing to close.
        self._out_send, self._out_recv = anyio.create_memory_object_stream[SendOutcome](
            self._concurrency
        )
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._state = "running"
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
        self._state = "closed"
        # Leaving the block for any reason ends the batch here, deterministically. The
        # block's own exception (a break's None, KeyboardInterrupt, cancellation) is not
        # handed to the task group: it propagates unchanged once the workers are gone.
        task_group.cancel_scope.cancel()
        try:
            await task_group.__aexit__(None, None, None)
        finally:
            self._collect_undelivered()
        if exc_type is None and self._failure is not None and not self._failure_raised:
            self._failure_raised = True
            raise self._failure

    def __aiter__(self) -> BulkSend:
        if self._state == "new":
            self._state = "windowed"
        return self

    async def __anext__(self) -> SendOutcome:
        if self._state == "windowed":
            return await self._next_in_window()
        if self._state != "running":
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
        return Progress(self._done, self._failed, len(self._in_flight), self._total)

    @property
    def summary(self) -> BulkSummary:
        """What was done, interrupted and never attempted (final once the block exits)."""
        return BulkSummary(
            done=self._done,
            failed=self._failed,
            interrupted=tuple(sorted(self._in_flight)),
            not_attempted=tuple(sorted(self._queued)),
            unread_from=None if self._exhausted else self._read,
            undelivered=tuple(self._undelivered),
            complete=self._exhausted
            and not self._queued
            and not self._in_flight
            and self._failure is None,
        )

    def __repr__(self) -> str:
        p = self.progress
        total = "?" if p.total is None else p.total
        return (
            f"<BulkSend {self._state} done={p.done}/{total} failed={p.failed} "
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
        while not self._window:
            if self._input_ended or self._stopping:
                self._state = "closed"
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
        """Number the next item read from the input; it waits in `_queued` until sent."""
        index = self._read
        self._read += 1
        self._queued.add(index)
        return index

    async def _work(self, receive: MemoryObjectReceiveStream[tuple[int, Any]]) -> None:
        with receive:
            async for index, item in receive:
                if self._stopping:
                    continue  # stays in `_queued`: reported as not attempted
                outcome = await self._process(index, item)
                try:
                    await self._out_send.send(outcome)
                except BaseException:
                    self._undelivered.append(outcome)
                    raise

    async def _process(self, index: int, item: Any) -> SendOutcome:
        """Send one item and keep the counts (and ``on_progress``) up to date."""
        self._queued.discard(index)
        self._in_flight.add(index)
        outcome = await self._attempt(index, item)
        self._in_flight.discard(index)
        self._done += 1
        if outcome.error is not None:
            self._failed += 1
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
                self._undelivered.append(self._out_recv.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
        self._out_recv.close()

    async def _attempt(self, index: int, item: Any) -> SendOutcome:
        if not isinstance(item, SendRequest):
            error = TypeError(
                f"items[{index}] is a {type(item).__name__}, not a connectsafely.SendRequest."
            )
            return SendOutcome(index, item, error=error)
        try:
            if self._dedupe and item.conversation_urn is not None:
                result, found = await self._send_checked(item)
                return SendOutcome(index, item, result=result, deduplicated=found)
            result = await self._conversations.send(**item.send_kwargs())
        except Exception as exc:
            return SendOutcome(index, item, error=exc)
        return SendOutcome(index, item, result=result)

    async def _send_checked(self, item: SendRequest) -> tuple[SendResult, bool]:
        """Send with retries that never duplicate a reply whose outcome was unknown."""
        kwargs = item.send_kwargs()
        if kwargs["idempotency_key"] is None:
            kwargs["idempotency_key"] = str(uuid.uuid4())  # the same on every attempt
        core = self._conversations._core
        if core.closed:
            raise ConnectSafelyError("This AsyncClient is closed.")
        since = int(time.time() * 1000) - DEDUPE_CLOCK_SKEW_MS
        attempts = core.config.max_retries + 1
        uncertain = False
        last_error: Exception = ConnectSafelyError("no attempt made")
        for attempt in range(1, attempts + 1):
            if uncertain:
                found = await self._find_sent(item, since, last_error)
                if found is not None:
                    return found, True
            try:
                return await self._once.send(**kwargs), False
            except Exception as exc:
                last_error = exc
                uncertain = uncertain or _outcome_unknown(exc)
                if attempt == attempts or not _retry.is_retryable(exc):
                    break
                delay = _retry.server_requested_wait(exc)
                if delay is None:
                    delay = _retry.backoff_delay(attempt)
                logger.info(
                    "Retrying send to %s in %.2f s (attempt %d of %d failed: %s)%s",
                    item.conversation_urn,
                    delay,
                    attempt,
                    attempts,
                    exc,
                    "; checking the conversation first" if uncertain else "",
                )
                await _retry.sleep(delay)
        if uncertain:
            # Out of attempts: the last one (or an earlier one) may still have gone out.
            found = await self._find_sent(item, since, last_error)
            if found is not None:
                return found, True
        raise last_error

    async def _find_sent(
        self, item: SendRequest, since: int, send_error: Exception
    ) -> SendResult | None:
        """The owner's message with this text in the conversation since ``since``, if any.

        When the conversation cannot be read, the send's own error is raised instead:
        sending again without knowing could deliver the message twice.
        """
        assert item.conversation_urn is not None
        pager = self._conversations.messages(
            item.conversation_urn, account_id=item.account_id, since=since, page_size=50
        )
        scanned = 0
        try:
            async for message in pager:
                if message.is_sent_by_owner and message.text == item.message:
                    logger.info(
                        "Send to %s had an unknown outcome, but the message is in the "
                        "conversation: not sending it again",
                        item.conversation_urn,
                    )
                    return SendResult(
                        success=True, message=item.message, sent_message=unstructure(message)
                    )
                scanned += 1
                if scanned >= DEDUPE_SCAN_LIMIT:
                    break
        except Exception as exc:
            logger.warning(
                "Could not check %s for an earlier delivery (%s); not sending again",
                item.conversation_urn,
                exc,
            )
            unreadable = True
        else:
            unreadable = False
        if unreadable:
            raise send_error
        return None


def _outcome_unknown(error: BaseException) -> bool:
    """Whether a failed send may nevertheless have been delivered."""
    if isinstance(error, APIStatusError):
        return error.status_code >= 500
    if isinstance(error, APIConnectionError):
        return not isinstance(error.__cause__, NOTHING_SENT)
    return False


async def collect_in_order(batch: BulkSend) -> list[SendOutcome]:
    """Run a `send_many` batch to the end and return its outcomes in input order.

    Args:
        batch: The value of ``client.conversations.send_many(...)`` (not yet entered).

    Returns:
        One `SendOutcome` per item, sorted by ``index``.

    Example:
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
