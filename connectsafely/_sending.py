"""Sending one message, whichever endpoint carries it: body, call scope, at-most-once.

`conversations.send`, each `send_many` item and `sales_navigator.send` are one POST each,
and they share everything around it:

- the call scope the limits see (`send_scope`): a write of the MESSAGE kind, and, with no
  thread named, a possible new conversation that the daily quota counts;
- `deliver`: straight through the pipeline, or, under a caller's idempotency key,
  through the send ledger (`_ledger`), so that a key is sent at most once;
- for ``conversations.send``, the wire body built from its arguments (`message_body`)
  and the check that settles a send whose answer was lost (`read_back_verifier`: read the
  conversation and look for the message, see `_readback`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar

from . import _validate as check
from ._guard import (
    ExistsLookup,
    GuardReadError,
    MessagesReader,
    ReplyGuard,
    after,
    thread_with,
    unwrapped,
)
from ._http import HttpCore
from ._ledger import Verify, request_digest
from ._limits import MESSAGE, CallScope
from ._models.invitations import InvitationResult
from ._models.messages import Attachment, Message, MessagesPage, SendResult
from ._models.sales_navigator import SalesNavSendResult
from ._pagination import AsyncPager
from ._readback import ReadBack
from ._retry import BeforeSend, Recover
from ._telemetry import through_ledger
from ._types import MessagingChannel

__all__ = ["deliver", "message_body", "read_back_verifier", "send_scope"]

R = TypeVar("R", SendResult, SalesNavSendResult, InvitationResult)


def send_scope(body: Mapping[str, Any], thread_field: str) -> CallScope:
    """A send is a write of the MESSAGE kind; without a thread (``thread_field`` absent
    from the body) it may start a new conversation, which the daily quota counts. On
    ``conversations/send`` such a send names its recipient and may instead go into
    their existing thread, which the answer tells (``docs/limits.md``)."""
    new = thread_field not in body
    return CallScope(
        account=body.get("accountId"),
        kind=MESSAGE,
        write=True,
        new_conversation=new,
        by_recipient=new and thread_field == "conversationUrn",
    )


def deliver(
    core: HttpCore,
    path: str,
    body: dict[str, Any],
    result_type: type[R],
    *,
    thread_field: str | None = None,
    scope: CallScope | None = None,
    idempotency_key: str | None = None,
    verify: Verify | None = None,
    recover: Recover[R] | None = None,
    guard: ReplyGuard | None = None,
) -> Coroutine[Any, Any, R]:
    """POST one send; with ``idempotency_key``, at most once per key through the ledger.

    Checks its arguments at once and returns the send to await: the pipeline's own
    coroutine for the usual send (no key, no guard), so that a send in flight is one
    coroutine shorter (``docs/performance.md``).

    ``idempotency_key`` is checked here (`_validate.idempotency_key`), after the body. The
    ledger claims the key once the call is admitted to send (the pipeline's
    ``before_send`` hook, after any pacing wait) and settles an attempt whose outcome is
    unknown with ``verify`` (or raises `SendInDoubtError` without one); a send without
    a key may take the caller's ``recover`` (the `send_many` duplicate check). The
    ledger tells a reused key from a repeated request by a digest of ``path`` and
    ``body``, so a key cannot cross endpoints (a message's key reused for an
    invitation is a `ValueError`, never a replay of the wrong result).

    The call scope is ``scope`` when given (an invitation: the ``CONNECT`` action),
    else a message send's (`send_scope` with ``thread_field``).

    ``guard`` (the stop-on-reply check, `_guard`) runs once the call is admitted, after
    the ledger's claim; a reply found raises `ProspectRepliedError` and releases the key.
    """
    if idempotency_key is not None:
        idempotency_key = check.idempotency_key(idempotency_key)
    if scope is None:
        assert thread_field is not None, "a message send names its thread field"
        scope = send_scope(body, thread_field)
    if idempotency_key is None and guard is None:
        # The usual send: straight to the pipeline (no ledger, no guard, no closure).
        return core.request(
            "POST", path, json_body=body, cast_to=result_type, recover=recover, scope=scope
        )
    return _deliver_checked(
        core,
        path,
        body,
        result_type,
        scope=scope,
        idempotency_key=idempotency_key,
        verify=verify,
        recover=recover,
        guard=guard,
    )


async def _deliver_checked(
    core: HttpCore,
    path: str,
    body: dict[str, Any],
    result_type: type[R],
    *,
    scope: CallScope,
    idempotency_key: str | None,
    verify: Verify | None,
    recover: Recover[R] | None,
    guard: ReplyGuard | None,
) -> R:
    """`deliver` under a key (through the ledger) or the stop-on-reply guard.

    Apart from `deliver` so that the usual send makes none of ``send_once``'s cells.
    """

    async def send_once(recover: Recover[R] | None, before_send: BeforeSend | None = None) -> R:
        if guard is not None:
            before_send = after(before_send, guard)
        return await core.request(
            "POST",
            path,
            json_body=body,
            cast_to=result_type,
            idempotency_key=(
                None if idempotency_key is None else check.idempotency_header(idempotency_key)
            ),
            recover=recover,
            before_send=before_send,
            scope=scope,
        )

    if idempotency_key is None:
        sending = send_once(recover)
    else:
        digest = request_digest({"endpoint": path, "body": body})
        sending = core.ledger.send(idempotency_key, digest, send_once, verify, result_type)
    try:
        # through_ledger: the outcome on the call's span (sent, replayed, in doubt,
        # skipped for a reply) when telemetry is on.
        return await through_ledger(sending)
    except GuardReadError as failed:
        error = unwrapped(failed)
        raise error from error.__cause__


def message_body(
    message: str,
    *,
    recipient_profile_id: str | None,
    recipient_profile_urn: str | None,
    conversation_urn: str | None,
    subject: str | None,
    attachments: Iterable[Attachment | Mapping[str, Any]],
    messaging_channel: MessagingChannel | str,
    account_id: str | None,
    default_account: Callable[[str | None], str | None],
) -> dict[str, Any]:
    """The checked JSON body of ``POST /linkedin/conversations/send`` (no I/O).

    ``default_account`` checks ``account_id`` or supplies the client's (checked last,
    like every other argument in order).
    """
    body: dict[str, Any] = {"message": check.required_text(message, "message")}
    profile_id = check.optional_str(recipient_profile_id, "recipient_profile_id")
    profile_urn = (
        None
        if recipient_profile_urn is None
        else check.urn(recipient_profile_urn, "recipient_profile_urn")
    )
    thread = None if conversation_urn is None else check.urn(conversation_urn, "conversation_urn")
    if profile_id is None and profile_urn is None and thread is None:
        raise ValueError(
            "Give a recipient: recipient_profile_id, recipient_profile_urn or conversation_urn."
        )
    for field, value in (
        ("recipientProfileId", profile_id),
        ("recipientProfileUrn", profile_urn),
        ("conversationUrn", thread),
        ("subject", check.optional_str(subject, "subject")),
        ("attachments", check.attachment_items(attachments) or None),
    ):
        if value is not None:
            body[field] = value
    body["messagingChannel"] = check.channel_value(messaging_channel)
    account = default_account(account_id)
    if account is not None:
        body["accountId"] = account
    return body


def read_back_verifier(
    body: Mapping[str, Any], exists: ExistsLookup, messages: MessagesReader
) -> Verify | None:
    """How to tell whether a `message_body` send with a lost answer reached LinkedIn.

    Read the conversation (a reply), or find it with ``exists`` and read it (a send by
    profile slug). A send by profile URN alone cannot be checked: ``None``. Any failure
    of the check (the reads' errors, an ``exists`` answer that does not say) is raised;
    the ledger turns it into `SendInDoubtError`.
    """
    text: str = body["message"]
    account: str | None = body.get("accountId")
    urn: str | None = body.get("conversationUrn")
    profile: str | None = body.get("recipientProfileId")
    if urn is None and profile is None:
        return None

    async def verify(started_at: float) -> SendResult | None:
        thread = urn
        if thread is None:
            assert profile is not None
            thread = await thread_with(exists, profile, account)
            if thread is None:
                return None  # no thread with them: nothing can have been delivered
        conversation = thread

        def recent(since: int) -> AsyncPager[Message, MessagesPage]:
            return messages(conversation, account_id=account, since=since, page_size=50)

        return await ReadBack(text, conversation, recent, since=started_at).find()

    return verify
