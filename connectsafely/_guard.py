"""The stop-on-reply guard (design §14): no follow-up once the prospect has answered.

A campaign's follow-up goes out with ``unless_replied_since=T``, ``T`` being when the
previous step was sent. At the last moment before the request (after the pacing wait
and, under an idempotency key, after the ledger's claim, so two workers holding the same
follow-up cannot both pass), the guard reads the conversation's messages newer than
``T``. If any was not sent by the account owner, the prospect has replied: nothing is
sent and `ProspectRepliedError` names the newest reply. A send by profile slug finds its
thread with ``conversations.exists`` first; no thread means no reply.

The guard runs inside the pipeline's ``before_send`` hook, where any error would count
as a failed attempt of the send itself (and a 5xx would look like a send that may have
gone out). So a read that fails leaves the hook as `GuardReadError`, which nothing
retries and nothing mistakes for a send; `deliver` hands the caller the read's own error,
noted as the guard's. Either way nothing was sent and a claimed key is released.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from . import _validate as check
from ._errors import ProspectRepliedError
from ._models.inbox import ConversationExists
from ._models.messages import Message, MessagesPage
from ._pagination import AsyncPager
from ._retry import BeforeSend

__all__ = [
    "ExistsLookup",
    "GuardReadError",
    "MessagesReader",
    "ReplyGuard",
    "after",
    "reply_guard",
    "thread_with",
    "unwrapped",
]

ReplyGuard = Callable[[], Awaitable[None]]
"""Raises `ProspectRepliedError` when the conversation has a reply (else returns)."""

ExistsLookup = Callable[..., Awaitable[ConversationExists]]
"""``conversations.exists`` (profile slug, ``account_id=``)."""

MessagesReader = Callable[..., AsyncPager[Message, MessagesPage]]
"""``conversations.messages`` (URN, ``account_id=``, ``since=``, ``page_size=``)."""

_NOTE = (
    "connectsafely: raised by the stop-on-reply check (unless_replied_since), which "
    "could not read the conversation; the message was not sent."
)


class GuardReadError(Exception):
    """The guard's read failed (carried out of the pipeline hook; never public)."""

    def __init__(self, error: Exception) -> None:
        super().__init__("the stop-on-reply check could not read the conversation")
        self.error = error


def reply_guard(
    body: Mapping[str, Any],
    unless_replied_since: object,
    *,
    exists: ExistsLookup,
    messages: MessagesReader,
    idempotency_key: str | None,
) -> ReplyGuard:
    """The guard of a `message_body` send with ``unless_replied_since`` (checked here,
    before any request: an aware `datetime`, and a thread to read, so a conversation or
    a profile slug; a send by profile URN alone cannot be checked)."""
    since = check.aware_datetime(unless_replied_since, "unless_replied_since")
    account: str | None = body.get("accountId")
    urn: str | None = body.get("conversationUrn")
    profile: str | None = body.get("recipientProfileId")
    if urn is None and profile is None:
        raise ValueError(
            "unless_replied_since needs a conversation to read: give conversation_urn or "
            "recipient_profile_id (a send by recipient_profile_urn alone cannot be "
            "checked for a reply)."
        )

    async def find_reply() -> Message | None:
        thread = urn
        if thread is None:
            assert profile is not None
            thread = await thread_with(exists, profile, account)
            if thread is None:
                return None  # no thread with them: they cannot have replied
        newest = messages(thread, account_id=account, since=since, page_size=50)
        async for message in newest:
            if message.sent_at is not None and message.sent_at <= since:
                break  # newest first: the rest is older than the step
            if message.is_sent_by_owner is not True:
                return message  # not known to be the owner's: a reply
        return None

    async def guard() -> None:
        try:
            reply = await find_reply()
        except Exception as exc:
            raise GuardReadError(exc) from exc
        if reply is not None:
            raise _replied(reply, since, idempotency_key)

    return guard


async def thread_with(exists: ExistsLookup, profile: str, account: str | None) -> str | None:
    """The conversation with ``profile`` (found by ``conversations.exists``), or ``None``
    when there is none. An answer without ``hasConversation`` fails to decode, and one
    that says there is a thread but names none is a `ValueError`: unknown is not "no"."""
    found = await exists(profile, account_id=account)
    if not found.has_conversation:
        return None
    if not found.conversation_urn:
        raise ValueError(
            f"conversations.exists says there is a thread with {profile!r} "
            "but names none, so it cannot be read."
        )
    return found.conversation_urn


def after(first: BeforeSend | None, then: ReplyGuard) -> BeforeSend:
    """A ``before_send`` hook that awaits ``first`` (the ledger's claim), then ``then``."""
    if first is None:
        return then

    async def hook() -> None:
        await first()
        await then()

    return hook


def unwrapped(failed: GuardReadError) -> Exception:
    """The read's own error, noted as the guard's, to raise in place of ``failed``."""
    error = failed.error
    add_note = getattr(error, "add_note", None)  # Python 3.11+
    if add_note is not None and _NOTE not in getattr(error, "__notes__", ()):
        add_note(_NOTE)
    return error


def _replied(reply: Message, since: datetime, key: str | None) -> ProspectRepliedError:
    when = "at an unknown time" if reply.sent_at is None else f"at {reply.sent_at.isoformat()}"
    return ProspectRepliedError(
        f"The prospect replied {when}, after unless_replied_since "
        f"({since.isoformat()}): the follow-up was not sent"
        + ("." if key is None else f" and idempotency_key {key!r} was released."),
        message_urn=reply.message_urn,
        sent_at=reply.sent_at,
        idempotency_key=key,
        reply=reply,
    )
