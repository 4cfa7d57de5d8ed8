"""Fake thread and message actions: mark unread, star, unstar, delete, react.

- ``star``/``unstar``/``mark-unread`` (PATCH) change the conversation (any account's:
  these routes take no ``accountId``); an unknown URN -> 404.
- Delete removes a message the account sent (400 for someone else's); react adds or
  removes an emoji in `FakeMessage.reactions`. Both need the account's own thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._records import FakeConversation, FakeMessage
from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import World

__all__ = ["ROUTES"]


async def mark_unread(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``PATCH /linkedin/conversations/{conversationUrn}/mark-unread``."""
    conversation = _any_conversation(world, params["conversation_urn"])
    conversation.unread = True
    conversation.unread_count = max(conversation.unread_count, 1)
    return _action_response(params["conversation_urn"])


async def star(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``PATCH /linkedin/conversations/{conversationUrn}/star``."""
    _any_conversation(world, params["conversation_urn"]).starred = True
    return _action_response(params["conversation_urn"])


async def unstar(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``PATCH /linkedin/conversations/{conversationUrn}/unstar``."""
    _any_conversation(world, params["conversation_urn"]).starred = False
    return _action_response(params["conversation_urn"])


async def delete_message(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``DELETE /linkedin/conversations/{conversationUrn}/messages/{messageUrn}``."""
    message_urn = params["message_urn"]
    account = world.account_for(request.query.get("accountId"))
    conversation = world.owned_conversation(params["conversation_urn"], account)
    message = _find_message(conversation.messages, message_urn)
    if not message.is_sent_by_owner:
        raise FakeHTTPError(400, "You can only delete messages you sent", code="not_message_owner")
    conversation.messages.remove(message)
    return FakeResponse(200, {"success": True, "messageUrn": message_urn})


async def react(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``POST /linkedin/conversations/{conversationUrn}/messages/{messageUrn}/react``."""
    message_urn = params["message_urn"]
    body = json_object(request)
    # A non-blank emoji and, when present, a boolean react: the route's shape.
    emoji, wanted = body["emoji"], body.get("react") is not False
    account = world.account_for(request.query.get("accountId"))
    conversation = world.owned_conversation(params["conversation_urn"], account)
    message = _find_message(conversation.messages, message_urn)
    if wanted:
        message.reactions.add(emoji)
    else:
        message.reactions.discard(emoji)
    return FakeResponse(
        200, {"success": True, "messageUrn": message_urn, "emoji": emoji, "react": wanted}
    )


def _any_conversation(world: World, urn: str) -> FakeConversation:
    conversation = world.conversations.get(urn)
    if conversation is None:
        raise FakeHTTPError(404, "Conversation not found", code="not_found")
    return conversation


def _find_message(messages: Iterable[FakeMessage], message_urn: str) -> FakeMessage:
    for message in messages:
        if message.message_urn == message_urn:
            return message
    raise FakeHTTPError(404, "Message not found", code="not_found")


def _action_response(conversation_urn: str) -> FakeResponse:
    return FakeResponse(200, {"success": True, "conversationUrn": conversation_urn})


_THREAD = "/linkedin/conversations/{conversation_urn}"

ROUTES = [
    Route("PATCH", f"{_THREAD}/mark-unread", mark_unread),
    Route("PATCH", f"{_THREAD}/star", star),
    Route("PATCH", f"{_THREAD}/unstar", unstar),
    Route("DELETE", f"{_THREAD}/messages/{{message_urn}}", delete_message),
    Route(
        "POST",
        f"{_THREAD}/messages/{{message_urn}}/react",
        react,
        Shape(
            body={"emoji": required("string"), "react": optional("boolean")},
            query={"accountId": optional("string")},
        ),
    ),
]
