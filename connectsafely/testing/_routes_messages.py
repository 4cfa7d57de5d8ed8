"""Fake ``GET /linkedin/conversations/{conversationUrn}/messages``: cursor paging.

Standard threads page newest -> oldest with *timestamp* cursors: the cursor is the
``sentAt`` (ms) of the oldest message returned, and the next page holds the messages
strictly older than it. Sales Navigator threads page with *opaque* tokens (base64 of an
offset from the newest message plus a per-thread salt), so a message that arrives
between two page requests shifts the offsets and repeats one message across the
boundary, as offset paging does in real life.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from ._app import FakeApp, route
from ._state import FakeConversation, FakeHTTPError, FakeMessage
from ._wire import FakeResponse, RecordedRequest

__all__ = ["MessagesRoutes", "PagingFault"]

PagingFault = Literal["repeat_cursor", "empty_page", "duplicate_boundary"]
"""Server paging bugs the fake can simulate (see `MessagesRoutes.paging_fault_next`)."""

_PAGING_FAULTS: tuple[str, ...] = ("repeat_cursor", "empty_page", "duplicate_boundary")
DEFAULT_PAGE_SIZE = 50


def _sent_at(message: FakeMessage) -> int:
    return message.sent_at


class MessagesRoutes(FakeApp):
    """The conversation-messages endpoint, plus cheap seeding and paging faults.

    - Unknown ``accountId`` -> 404 ``Account not found``; a URN that is unknown or
      belongs to another account -> 404 ``{"error": "Conversation not found"}``.
    - ``count`` (default 50), ``since`` (only messages newer than it, epoch ms),
      ``cursor`` and ``sync`` (``true``/``false``) are honoured; malformed values -> 400.
    - The body carries ``messages`` (newest first), ``participants``, ``hasMore``,
      ``cursor`` and ``note``. A standard thread's last page still carries a cursor
      (with ``hasMore: false``); a Sales Navigator thread's last page has none.
    """

    # -- seeding ------------------------------------------------------------------------

    def seed_messages(
        self,
        conversation: FakeConversation | str,
        count: int,
        *,
        start_ms: int | None = None,
        step_ms: int = 60_000,
        from_owner_every: int = 2,
        text: str = "Message {n}",
    ) -> list[FakeMessage]:
        """Append ``count`` messages to a conversation, cheaply (100,000 in well under 1 s).

        Args:
            conversation: The `FakeConversation` (or its URN).
            count: How many messages to add.
            start_ms: ``sentAt`` of the first new message; defaults to just after the
                newest existing message, or, for an empty conversation, so that the
                newest new message is sent "now" (the fake's clock).
            step_ms: Milliseconds between consecutive messages (at least 1, so every
                message has its own timestamp, as timestamp cursors need).
            from_owner_every: Every n-th message is sent by the account owner, the rest
                by the other participant; ``0`` means none by the owner.
            text: The message text; ``{n}`` becomes the message's 1-based position in
                the conversation.

        Returns:
            The new messages, oldest first.
        """
        thread = self._conversation_arg(conversation)
        if count < 0 or step_ms < 1 or from_owner_every < 0:
            raise ValueError("count and from_owner_every must be >= 0 and step_ms >= 1")
        existing = thread.messages
        if start_ms is None:
            if existing:
                start_ms = existing[-1].sent_at + step_ms
            else:
                start_ms = self.now_ms() - max(count - 1, 0) * step_ms
        elif existing and start_ms <= existing[-1].sent_at:
            raise ValueError(
                "start_ms must be after the newest message: messages are kept oldest first"
            )
        owner = self.accounts[thread.account_id]
        other = thread.participants[0] if thread.participants else {}
        other_id = str(other.get("profileId", "ACoAAfakeparticipant"))
        other_name = str(other.get("name", "Fake Participant"))
        other_photo = str(other.get("profilePicture", "https://media.licdn.com/dms/image/x"))
        owner_photo = f"https://media.licdn.com/dms/image/{owner.profile_id}"
        # One hash per call, not per message: ids only need to be unique per thread.
        prefix = hashlib.sha256(thread.urn.encode()).hexdigest()[:12]
        urn_head = f"urn:li:msg_message:(urn:li:fsd_profile:{owner.profile_id},2-"
        first = len(existing)
        added = []
        for i in range(count):
            n = first + i + 1
            by_owner = from_owner_every > 0 and n % from_owner_every == 0
            token = base64.b64encode(f"{prefix}-{n}".encode()).decode()
            added.append(
                FakeMessage(
                    message_urn=f"{urn_head}{token})",
                    text=text.format(n=n) if "{" in text else text,
                    sent_at=start_ms + i * step_ms,
                    sender_profile_id=owner.profile_id if by_owner else other_id,
                    sender_name=owner.name if by_owner else other_name,
                    is_sent_by_owner=by_owner,
                    sender_photo=owner_photo if by_owner else other_photo,
                )
            )
        existing.extend(added)
        return added

    def add_message(
        self,
        conversation: FakeConversation | str,
        text: str,
        *,
        from_owner: bool = False,
        sent_at: int | None = None,
        attachments: Iterable[dict[str, Any]] = (),
    ) -> FakeMessage:
        """Append one message (by default from the other participant, sent "now").

        Args:
            conversation: The `FakeConversation` (or its URN).
            text: The message text.
            from_owner: Sent by the account owner instead of the other participant.
            sent_at: Epoch ms; defaults to the fake's clock (kept after the newest).
            attachments: Attachment objects as the API would list them.
        """
        thread = self._conversation_arg(conversation)
        newest = thread.messages[-1].sent_at if thread.messages else None
        if sent_at is None:
            sent_at = self.now_ms() if newest is None else max(self.now_ms(), newest + 1)
        elif newest is not None and sent_at <= newest:
            raise ValueError("sent_at must be after the newest message")
        message = self.seed_messages(
            thread, 1, start_ms=sent_at, from_owner_every=1 if from_owner else 0
        )[0]
        message.text = text  # set afterwards: braces in `text` are not a template here
        message.attachments = list(attachments)
        return message

    def _conversation_arg(self, conversation: FakeConversation | str) -> FakeConversation:
        if isinstance(conversation, FakeConversation):
            return conversation
        try:
            return self.conversations[conversation]
        except KeyError:
            raise ValueError(f"No conversation {conversation!r} in this fake") from None

    # -- paging faults --------------------------------------------------------------------

    @property
    def paging_faults(self) -> list[PagingFault]:
        """Pending paging bugs, consumed one per follow-up page request (FIFO)."""
        faults: list[PagingFault] = vars(self).setdefault("_paging_faults", [])
        return faults

    def paging_fault_next(self, kind: PagingFault, *, count: int = 1) -> None:
        """Make the next ``count`` follow-up page requests (those sent with a
        ``cursor``) misbehave like a buggy server.

        Args:
            kind: ``"repeat_cursor"``: answer with the page, but hand back the cursor
                that was sent instead of advancing. ``"empty_page"``: return no
                messages, yet ``hasMore: true`` and a fresh cursor.
                ``"duplicate_boundary"``: start the page with the last message of the
                previous page again.
            count: How many follow-up requests to affect.
        """
        if kind not in _PAGING_FAULTS:
            raise ValueError(f"kind must be one of {', '.join(_PAGING_FAULTS)}")
        self.paging_faults.extend([kind] * count)

    # -- the route ----------------------------------------------------------------------

    @route("GET", "/linkedin/conversations/{conversation_urn}/messages")
    async def _conversation_messages(
        self, request: RecordedRequest, conversation_urn: str
    ) -> FakeResponse:
        query = request.query
        account = self.account_for(query.get("accountId"))
        thread = self.conversations.get(conversation_urn)
        if thread is None or thread.account_id != account.account_id:
            raise FakeHTTPError(404, "Conversation not found", code="not_found")
        count = _int_param(query, "count", minimum=1)
        if count is None:
            count = DEFAULT_PAGE_SIZE
        since = _int_param(query, "since", minimum=0)
        if query.get("sync", "true") not in ("true", "false"):
            raise FakeHTTPError(
                400, "sync must be true or false", code="validation_error", field="sync"
            )
        cursor = query.get("cursor") or None
        fault = self.paging_faults.pop(0) if cursor is not None and self.paging_faults else None

        messages = thread.messages
        oldest = 0 if since is None else bisect_right(messages, since, key=_sent_at)
        if thread.kind == "sales_navigator":
            page, has_more, next_cursor = _offset_page(
                thread, oldest, count, cursor, overlap=fault == "duplicate_boundary"
            )
        else:
            page, has_more, next_cursor = _timestamp_page(
                messages, oldest, count, cursor, overlap=fault == "duplicate_boundary"
            )
        if fault == "repeat_cursor":
            next_cursor = cursor
        elif fault == "empty_page":
            page, has_more = [], True
        return FakeResponse(
            200,
            {
                "success": True,
                "messages": [m.to_json() for m in reversed(page)],
                "participants": [dict(p) for p in thread.participants],
                "hasMore": has_more,
                "cursor": next_cursor,
                "note": thread.note,
            },
        )


def _timestamp_page(
    messages: Sequence[FakeMessage], oldest: int, count: int, cursor: str | None, *, overlap: bool
) -> tuple[Sequence[FakeMessage], bool, str | None]:
    """Messages strictly older than the cursor's timestamp, oldest first."""
    if cursor is None:
        end = len(messages)
    else:
        if not cursor.isdigit():
            raise FakeHTTPError(400, "Invalid cursor", code="invalid_cursor", field="cursor")
        # The overlap fault treats the boundary as inclusive: the message at exactly
        # the cursor's time (the previous page's oldest) is served again.
        end = (bisect_right if overlap else bisect_left)(messages, int(cursor), key=_sent_at)
    start = max(oldest, end - count)
    page = messages[start:end] if end > start else []
    next_cursor = str(page[0].sent_at) if page else None
    return page, start > oldest, next_cursor


def _offset_page(
    thread: FakeConversation, oldest: int, count: int, cursor: str | None, *, overlap: bool
) -> tuple[Sequence[FakeMessage], bool, str | None]:
    """The page ``offset`` messages back from the newest, with an opaque next token."""
    salt = hashlib.sha256(thread.urn.encode()).hexdigest()[:8]
    offset = 0 if cursor is None else _decode_token(cursor, salt)
    if overlap and offset > 0:
        offset -= 1
    messages = thread.messages
    end = max(oldest, len(messages) - offset)
    start = max(oldest, end - count)
    page = messages[start:end]
    has_more = start > oldest
    token = None
    if has_more:
        raw = f"{offset + (end - start)}:{salt}".encode()
        token = base64.b64encode(raw).decode()
    return page, has_more, token


def _decode_token(token: str, salt: str) -> int:
    try:
        offset, _, token_salt = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        offset, token_salt = "", ""
    if token_salt != salt or not offset.isdigit():
        raise FakeHTTPError(400, "Invalid cursor", code="invalid_cursor", field="cursor")
    return int(offset)


def _int_param(query: dict[str, str], name: str, *, minimum: int) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < minimum:
        raise FakeHTTPError(
            400, f"{name} must be an integer >= {minimum}", code="validation_error", field=name
        )
    return int(raw)
