"""Fake ``POST /linkedin/conversations/send``: channels, recipients, quota, attachments.

Faithful to the documented behaviour:

- ``messagingChannel=sales_navigator`` on an account without Sales Navigator -> 400.
- ``auto`` picks Sales Navigator for accounts that have it, else the inbox.
- ``threadId`` is returned only for Sales Navigator sends.
- A cold send (no thread of any channel with the recipient, whether it is named
  by slug or by profile URN) counts against the account's daily new-conversation
  quota, which resets at 00:00 UTC of the fake's clock. Over it -> 429 with a
  whole-second ``Retry-After`` (until that midnight) and only the headers the reference
  documents for it: ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` (ISO), no
  ``-Action`` or ``-Used``. Accepted cold sends carry ``X-RateLimit-Action: MESSAGE``,
  ``-Limit``, ``-Used``, ``-Remaining``, ``-Reset``. Replies (``conversationUrn``, or a
  recipient with an existing thread) don't count and carry no quota headers.
- A reply by recipient goes into the thread of the requested channel when there
  is one, else into the existing thread of the other channel (the message then
  travels on that thread's channel, which `AcceptedSend.channel` records).
- Unknown ``accountId`` -> 404; an attachment the fake did not issue -> 400.
- Every accepted send is appended to ``sends``. With ``honor_idempotency_keys`` a
  repeated ``Idempotency-Key`` returns the first response again without sending (the
  real API does not document deduplication, so it is off by default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ._limits import next_midnight, quota_headers
from ._records import AcceptedSend, ConversationKind, FakeAccount, FakeConversation, FakeMessage
from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import World, b64_id, display_name, profile_urn_for

__all__ = ["ROUTES", "accept_send"]

CHANNELS = ("auto", "sales_navigator", "linkedin_inbox")
_NOT_ON_QUOTA_429 = ("X-RateLimit-Action", "X-RateLimit-Used")


async def send_message(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/conversations/send``."""
    body = json_object(request)
    key = request.idempotency_key
    if world.honor_idempotency_keys and key is not None:
        for previous in world.sends:
            if previous.idempotency_key == key:
                return FakeResponse(200, _replay(world, previous))
    text: str = body["message"]  # a non-blank string: checked by SEND_SHAPE
    account = world.account_for(body.get("accountId"))
    channel = _requested_channel(body, account)
    attachments = _check_attachments(world, body.get("attachments"))
    conversation, is_new = _target_conversation(world, body, account, channel)
    # The message travels on the channel of the thread it goes into.
    channel = "sales_navigator" if conversation.kind == "sales_navigator" else "linkedin_inbox"
    headers: dict[str, str] = {}
    if is_new:
        _check_quota(world, account)
        world.register_conversation(conversation)
        account.new_conversations_today += 1
        headers = quota_headers(account, world.clock)
    message = accept_send(
        world,
        request,
        body,
        conversation,
        account,
        text=text,
        channel=channel,
        attachments=attachments,
        new=is_new,
    )
    payload: dict[str, Any] = {
        "success": True,
        "message": text,
        "recipientProfileUrn": conversation.recipient_profile_urn,
        "sentMessage": message.to_json(),
    }
    if conversation.kind == "sales_navigator":
        payload["threadId"] = conversation.thread_id
    return FakeResponse(200, payload, headers)


def _requested_channel(body: Mapping[str, Any], account: FakeAccount) -> str:
    """The body's ``messagingChannel`` with ``auto`` resolved for ``account`` (400 when
    unknown, or Sales Navigator for an account without it)."""
    channel = body.get("messagingChannel") or "auto"  # one of CHANNELS (SEND_SHAPE)
    if channel == "sales_navigator" and not account.sales_navigator:
        raise FakeHTTPError(
            400,
            "This account does not have an active Sales Navigator subscription; "
            "use messagingChannel 'linkedin_inbox' or 'auto'.",
            code="sales_navigator_required",
        )
    if channel == "auto":
        return "sales_navigator" if account.sales_navigator else "linkedin_inbox"
    return str(channel)


def _check_quota(world: World, account: FakeAccount) -> None:
    """Refuse a cold send once the account's daily quota is used: 429 until midnight UTC."""
    headers = quota_headers(account, world.clock)  # first: a new UTC day resets the count
    used = account.new_conversations_today
    if used >= account.daily_quota:
        # The reference documents this 429 with Limit, Remaining and Reset only.
        for undocumented in _NOT_ON_QUOTA_429:
            headers.pop(undocumented, None)
        wait = (next_midnight(world.clock) - world.clock.now()).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
        raise FakeHTTPError(
            429,
            f"Daily new-conversation limit reached: {used}/{account.daily_quota} used."
            f" Resets at {headers['X-RateLimit-Reset']}",
            code="rate_limited",
            headers=headers,
        )


def accept_send(
    world: World,
    request: RecordedRequest,
    body: dict[str, Any],
    conversation: FakeConversation,
    account: FakeAccount,
    *,
    text: str,
    channel: str,
    attachments: Sequence[dict[str, Any]] = (),
    new: bool = False,
) -> FakeMessage:
    """Append the account's message to the thread and record the send (``body`` as
    received) in ``sends``: for both send routes, this one and Sales Navigator's."""
    message = _append_message(world, conversation, account, text, list(attachments))
    world.sends.append(
        AcceptedSend(
            account_id=account.account_id,
            conversation_urn=conversation.urn,
            text=text,
            channel=channel,
            idempotency_key=request.idempotency_key,
            body=body,
            new_conversation=new,
        )
    )
    return message


def _check_attachments(world: World, raw: object) -> list[dict[str, Any]]:
    if not isinstance(raw, list):  # absent (an array when present: SEND_SHAPE)
        return []
    files = []
    for item in raw:
        file = item.get("file") if isinstance(item, dict) else None
        urn = file.get("assetUrn") if isinstance(file, dict) else None
        if not isinstance(urn, str) or urn not in world.uploads:
            raise FakeHTTPError(
                400,
                f"Unknown attachment {urn!r}: upload it with upload-attachment first",
                code="invalid_attachment",
                field="attachments",
            )
        files.append(dict(file))  # type: ignore[arg-type]
    return files


def _target_conversation(
    world: World, body: dict[str, Any], account: FakeAccount, channel: str
) -> tuple[FakeConversation, bool]:
    """The conversation a send goes into, and whether it is new (a cold send)."""
    urn = body.get("conversationUrn")
    if urn is not None:
        conversation = world.conversations.get(urn) if isinstance(urn, str) else None
        if conversation is None or conversation.account_id != account.account_id:
            raise FakeHTTPError(404, "Conversation not found", code="not_found")
        return conversation, False
    recipient = body.get("recipientProfileUrn") or body.get("recipientProfileId")
    if not isinstance(recipient, str) or not recipient.strip():
        raise FakeHTTPError(
            400,
            "Either recipientProfileId or recipientProfileUrn must be provided",
            code="validation_error",
            field="recipientProfileId",
        )
    kind: ConversationKind = "sales_navigator" if channel == "sales_navigator" else "standard"
    profile_urn = profile_urn_for(recipient)
    existing = world.thread_with(account.account_id, profile_urn, kind)
    if existing is not None:
        return existing, False
    slug = body.get("recipientProfileId") or profile_urn.rsplit(":", 1)[1]
    thread = b64_id(account.account_id, profile_urn, kind)
    if kind == "sales_navigator":
        conversation_urn = f"urn:li:salesNav_thread:{thread}"
    else:
        conversation_urn = (
            f"urn:li:msg_conversation:(urn:li:fsd_profile:{account.profile_id},{thread})"
        )
    conversation = FakeConversation(
        urn=conversation_urn,
        account_id=account.account_id,
        kind=kind,
        participants=[
            {
                "profileId": profile_urn.rsplit(":", 1)[1],
                "name": display_name(str(slug)),
                "headline": "",
                "profilePicture": f"https://media.licdn.com/dms/image/{slug}",
            }
        ],
        thread_id=thread if kind == "sales_navigator" else None,
        recipient_profile_id=str(slug),
        recipient_profile_urn=profile_urn,
    )
    return conversation, True


def _append_message(
    world: World,
    conversation: FakeConversation,
    account: FakeAccount,
    text: str,
    attachments: list[dict[str, Any]],
) -> FakeMessage:
    sent_at = world.now_ms()
    if conversation.messages and conversation.messages[-1].sent_at >= sent_at:
        sent_at = conversation.messages[-1].sent_at + 1  # keep times strictly ordered
    message = FakeMessage(
        message_urn=(
            f"urn:li:msg_message:(urn:li:fsd_profile:{account.profile_id},"
            f"{b64_id(conversation.urn, len(conversation.messages), sent_at)})"
        ),
        text=text,
        sent_at=sent_at,
        sender_profile_id=account.profile_id,
        sender_name=account.name,
        is_sent_by_owner=True,
        attachments=attachments,
    )
    conversation.messages.append(message)
    return message


def _replay(world: World, previous: AcceptedSend) -> dict[str, Any]:
    conversation = world.conversations[previous.conversation_urn]
    sent = next((m for m in reversed(conversation.messages) if m.text == previous.text), None)
    payload: dict[str, Any] = {
        "success": True,
        "message": previous.text,
        "recipientProfileUrn": conversation.recipient_profile_urn,
        "sentMessage": sent.to_json() if sent else {},
    }
    if previous.channel == "sales_navigator":
        payload["threadId"] = conversation.thread_id
    return payload


SEND_SHAPE = Shape(
    body={
        "accountId": optional("string"),
        "recipientProfileId": optional("string"),
        "recipientProfileUrn": optional("string"),
        "conversationUrn": optional("string"),
        "message": required("string"),
        "subject": optional("string"),
        "attachments": optional("array", items="object"),
        "messagingChannel": optional("string", choices=CHANNELS),
    },
    one_of=(
        (
            ("recipientProfileId", "recipientProfileUrn", "conversationUrn"),
            "Either recipientProfileId or recipientProfileUrn must be provided",
        ),
    ),
)
"""The documented body of ``POST /linkedin/conversations/send``."""

ROUTES = [Route("POST", "/linkedin/conversations/send", send_message, SEND_SHAPE)]
