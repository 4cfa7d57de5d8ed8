"""One item of a `send_many` batch (its outcome) and the batch's counts.

`attempt` turns one item into a `SendOutcome`: the wrong type, a failure, a follow-up
skipped because the prospect replied (`ProspectRepliedError`), or the result. Nothing
it sends can raise out of it: one bad item never stops the batch. `Tally` keeps the
batch's numbers (what was read, queued, in flight, done, failed, skipped, refused
without a request) from which `BulkSend` builds its `Progress` and `BulkSummary`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ._errors import ProspectRepliedError, RateLimitError
from ._models.bulk import BulkSummary, Progress, SendOutcome, SendRequest
from ._models.invitations import InvitationResult
from ._models.messages import Message, SendResult
from ._readback import ReadBack, RecentMessages
from ._retry import Recover

__all__ = ["SendOne", "Tally", "attempt"]

SendOne = Callable[[Any, "Recover[Any] | None"], Awaitable["SendResult | InvitationResult"]]
"""Sends one item (of the runner's ``item_type``: a `SendRequest` or an
`InvitationRequest`) through the client's pipeline, checking with ``recover`` (if
given) before repeating a send whose outcome is unknown. ``Any`` because `attempt`
checks each item's type itself before calling it."""

Traced = Callable[[Awaitable[Any]], Awaitable[Any]]
"""Runs one item's send under the batch's telemetry (its span linked to the batch)."""


async def attempt(
    index: int,
    item: Any,
    *,
    item_type: type[Any],
    send: SendOne,
    read_back: RecentMessages | None,
    traced: Traced | None,
) -> SendOutcome:
    """Send one item; every way it can end is a `SendOutcome` (never raised)."""
    if not isinstance(item, item_type):
        error = TypeError(
            f"items[{index}] is a {type(item).__name__}, not a connectsafely.{item_type.__name__}."
        )
        return SendOutcome(index, item, error=error)
    check = None
    if read_back is not None and isinstance(item, SendRequest) and item.conversation_urn:
        recent = read_back
        check = ReadBack(item.message, item.conversation_urn, lambda since: recent(item, since))
    sending = send(item, None if check is None else check.recover)
    try:
        result = await (sending if traced is None else traced(sending))
    except ProspectRepliedError as replied:
        reply = replied.reply or Message(replied.message_urn, sent_at=replied.sent_at)
        return SendOutcome(index, item, skipped_reply=reply)
    except Exception as exc:
        return SendOutcome(index, item, error=exc)
    return SendOutcome(
        index,
        item,
        result=result,
        deduplicated=check is not None and check.found,
        replayed=result.replayed,
    )


class Tally:
    """The counts of one batch, kept by its workers."""

    __slots__ = (
        "done",
        "failed",
        "in_flight",
        "queued",
        "read",
        "refused",
        "skipped",
        "undelivered",
    )

    def __init__(self) -> None:
        self.read = 0  # items read from the input (the next index)
        self.queued: set[int] = set()  # read, not yet started
        self.in_flight: set[int] = set()
        self.done = 0
        self.failed = 0
        self.skipped = 0  # not sent: the prospect had replied
        self.refused: dict[str | None, int] = {}
        self.undelivered: list[SendOutcome] = []  # finished, never handed to the caller

    def next_index(self) -> int:
        """Number the next item read from the input; it stays queued until started."""
        index = self.read
        self.read += 1
        self.queued.add(index)
        return index

    def started(self, index: int) -> None:
        """The item is being sent."""
        self.queued.discard(index)
        self.in_flight.add(index)

    def finished(self, outcome: SendOutcome) -> None:
        """Count a finished item's outcome."""
        self.in_flight.discard(outcome.index)
        self.done += 1
        if outcome.skipped_reply is not None:
            self.skipped += 1
        elif outcome.error is not None:
            self.failed += 1
            error = outcome.error
            if isinstance(error, RateLimitError) and error.response is None:
                # Refused by a limit the SDK knew about: never sent.
                self.refused[error.account_id] = self.refused.get(error.account_id, 0) + 1

    def progress(self, total: int | None) -> Progress:
        """The counts as `Progress`."""
        return Progress(
            self.done, self.failed, len(self.in_flight), total, dict(self.refused), self.skipped
        )

    def summary(self, *, exhausted: bool, failure: BaseException | None) -> BulkSummary:
        """The counts as `BulkSummary` (``exhausted``: the input was read to its end)."""
        return BulkSummary(
            done=self.done,
            failed=self.failed,
            interrupted=tuple(sorted(self.in_flight)),
            not_attempted=tuple(sorted(self.queued)),
            unread_from=None if exhausted else self.read,
            undelivered=tuple(self.undelivered),
            complete=exhausted and not self.queued and not self.in_flight and failure is None,
            refused_locally=dict(self.refused),
            skipped_reply=self.skipped,
        )
