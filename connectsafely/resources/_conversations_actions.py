"""``client.conversations``, thread actions: star, mark read or unread, react, recall.

The PATCH actions (`mark_unread`, `star`, `unstar`) name only the conversation; the
``/linkedin/messaging`` calls (`mark_seen`, `mark_all_read`, `send_typing`,
`check_email_support`) carry the account in the body.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .. import _validate as check
from .._errors import APIStatusError
from .._limits import READ, CallScope
from .._models.inbox import ConversationActionResult, DeleteMessageResult, ReactionResult
from .._models.read_state import (
    EmailSupport,
    MarkAllReadResult,
    MarkSeenResult,
    TypingIndicatorResult,
)
from .._retry import moved_within
from ._base import Resource
from ._conversations_reading import _BASE

__all__: list[str] = []

T = TypeVar("T")

_MESSAGING = "/linkedin/messaging"


class _ThreadActions(Resource):
    """The thread actions and read-state methods of `Conversations`."""

    __slots__ = ()

    async def mark_unread(self, conversation_urn: str) -> ConversationActionResult:
        """Mark a conversation unread (``PATCH .../{conversationUrn}/mark-unread``).

        The server finds the account from the conversation, so none is sent (the same
        holds for ``star`` and ``unstar``).
        """
        return await self._thread_action(conversation_urn, "mark-unread")

    async def star(self, conversation_urn: str) -> ConversationActionResult:
        """Star a conversation (``PATCH .../{conversationUrn}/star``)."""
        return await self._thread_action(conversation_urn, "star")

    async def unstar(self, conversation_urn: str) -> ConversationActionResult:
        """Remove the star from a conversation (``PATCH .../{conversationUrn}/unstar``)."""
        return await self._thread_action(conversation_urn, "unstar")

    async def delete_message(
        self, conversation_urn: str, message_urn: str, *, account_id: str | None = None
    ) -> DeleteMessageResult:
        """Recall a message the account sent.

        ``DELETE /linkedin/conversations/{conversationUrn}/messages/{messageUrn}``.

        Args:
            conversation_urn: The conversation holding the message.
            message_urn: The message, e.g. `Message.message_urn`.
            account_id: The account that sent it.

        Raises:
            BadRequestError: The message was not sent by this account.
            NotFoundError: No such conversation or message (also when a retry follows
                a first attempt that did delete it).
        """
        path = _message_path(conversation_urn, message_urn)
        params = self._account_params(account_id)
        return await self._core.request(
            "DELETE",
            path,
            params=params,
            cast_to=DeleteMessageResult,
            scope=CallScope(account=params.get("accountId"), kind="DELETE_MESSAGE", write=True),
        )

    async def react(
        self,
        conversation_urn: str,
        message_urn: str,
        emoji: str,
        react: bool = True,
        *,
        account_id: str | None = None,
    ) -> ReactionResult:
        """Add (or, with ``react=False``, remove) an emoji reaction on a message.

        ``POST .../{conversationUrn}/messages/{messageUrn}/react`` with body
        ``{"emoji", "react"}``.

        Args:
            conversation_urn: The conversation holding the message.
            message_urn: The message to react to.
            emoji: The emoji, e.g. ``"👍"`` (a blank or overlong one is refused).
            react: True adds the reaction, False removes it.
            account_id: The account reacting.
        """
        path = _message_path(conversation_urn, message_urn) + "/react"
        text = check.emoji(emoji)
        check.flag(react, "react")
        params = self._account_params(account_id)
        return await self._core.request(
            "POST",
            path,
            params=params,
            json_body={"emoji": text, "react": react},
            cast_to=ReactionResult,
            scope=CallScope(account=params.get("accountId"), kind="REACT", write=True),
        )

    # -- read state and presence ----------------------------------------------------------

    async def mark_seen(
        self, conversation_urn: str, *, account_id: str | None = None
    ) -> MarkSeenResult:
        """Mark a conversation seen (``POST /linkedin/messaging/mark-seen``).

        The other party sees it as a read receipt. The URN travels in the body.

        Deprecated upstream: the API reference flags this endpoint "will move to
        /conversations" (no replacement exists yet, and no date is given). When this API
        moved endpoints before, the old path answered 307; so a 307 or 308 to a
        ``/linkedin/...`` path on the same server is followed once for this call (it is
        idempotent), never to another host.

        Raises:
            InternalServerError: The account has no such conversation (the API's
                documented 500 for it; not retried).

        Examples:
            >>> await client.conversations.mark_seen(urn)  # doctest: +SKIP
        """
        urn = check.urn(conversation_urn, "conversation_urn")
        return await self._messaging(
            "mark-seen", MarkSeenResult, account_id, follow_move=True, conversationUrn=urn
        )

    async def mark_all_read(self, *, account_id: str | None = None) -> MarkAllReadResult:
        """Mark every message of an account read (``POST /linkedin/messaging/mark-all-read``).

        Without an account id (and no client default) the workspace's default account.

        Deprecated upstream: the API reference flags this endpoint "will move to
        /conversations" (no replacement exists yet, and no date is given). When this API
        moved endpoints before, the old path answered 307; so a 307 or 308 to a
        ``/linkedin/...`` path on the same server is followed once for this call (it is
        idempotent), never to another host.

        Examples:
            >>> await client.conversations.mark_all_read()  # doctest: +SKIP
        """
        return await self._messaging(
            "mark-all-read", MarkAllReadResult, account_id, follow_move=True
        )

    async def send_typing(
        self, conversation_urn: str, *, account_id: str | None = None
    ) -> TypingIndicatorResult:
        """Show "typing…" in a conversation (``POST /linkedin/messaging/typing-indicator``).

        Only an existing conversation can show it; there is no recipient form.

        Deprecated upstream: the API reference flags this endpoint "will move to
        /conversations" (no replacement exists yet, and no date is given). When this API
        moved endpoints before, the old path answered 307; so a 307 or 308 to a
        ``/linkedin/...`` path on the same server is followed once for this call (it is
        idempotent), never to another host.

        Raises:
            InternalServerError: The account has no such conversation (the API's
                documented 500 for it; not retried).

        Examples:
            >>> await client.conversations.send_typing(urn)  # doctest: +SKIP
        """
        urn = check.urn(conversation_urn, "conversation_urn")
        return await self._messaging(
            "typing-indicator",
            TypingIndicatorResult,
            account_id,
            write=False,
            follow_move=True,
            conversationUrn=urn,
        )

    async def check_email_support(
        self,
        *,
        profile_id: str | None = None,
        profile_urn: str | None = None,
        account_id: str | None = None,
    ) -> EmailSupport:
        """Whether a profile accepts free messages from non-connections (an open profile).

        ``POST /linkedin/messaging/check-email-support``; ``.supports_free_email`` is the
        answer. Give the profile's URN (preferred) or its vanity slug; neither is a
        `ValueError`.

        Examples:
            >>> support = await client.conversations.check_email_support(  # doctest: +SKIP
            ...     profile_id="jane-doe"
            ... )
            >>> support.supports_free_email  # doctest: +SKIP
            True

        Args:
            profile_id: The profile's vanity slug, e.g. ``"john-doe-123"``.
            profile_urn: The profile's URN, ``"urn:li:fsd_profile:ACoAA..."``.
            account_id: The account asking.
        """
        fields: dict[str, Any] = {}
        if profile_id is not None:
            fields["profileId"] = check.required_text(profile_id, "profile_id")
        if profile_urn is not None:
            fields["profileUrn"] = check.urn(profile_urn, "profile_urn")
        if not fields:
            raise ValueError("Give profile_id or profile_urn (the profile to check).")
        return await self._messaging(
            "check-email-support", EmailSupport, account_id, write=False, **fields
        )

    # -- helpers ------------------------------------------------------------------------

    async def _messaging(
        self,
        endpoint: str,
        cast_to: type[T],
        account_id: str | None,
        *,
        write: bool = True,
        follow_move: bool = False,
        **fields: Any,
    ) -> T:
        """``POST /linkedin/messaging/{endpoint}``: ``fields`` and the account in the body;
        a ``write`` counts against the account's limits, the others only the key's.

        With ``follow_move`` (idempotent read-state calls only, never a send), a 307/308
        to an API path on the same server (`_retry.moved_within`) is sent there once,
        with the same body; a second redirect is raised."""
        body = self._body_with_account(account_id, **fields)
        scope = CallScope(account=body.get("accountId"), kind="CONVERSATION", write=True)
        core, path = self._core, f"{_MESSAGING}/{endpoint}"
        try:
            return await core.request(
                "POST", path, json_body=body, cast_to=cast_to, scope=scope if write else READ
            )
        except APIStatusError as error:
            moved = moved_within(error, str(core.config.base_url)) if follow_move else None
            if moved is None:
                raise
        return await core.request(
            "POST", moved, json_body=body, cast_to=cast_to, scope=scope if write else READ
        )

    async def _thread_action(self, conversation_urn: str, action: str) -> ConversationActionResult:
        segment = check.path_segment(conversation_urn, "conversation_urn")
        return await self._core.request(
            "PATCH",
            f"{_BASE}/{segment}/{action}",
            cast_to=ConversationActionResult,
            scope=_THREAD_ACTION,  # the server finds the account from the conversation
        )


_THREAD_ACTION = CallScope(kind="CONVERSATION", write=True)


def _message_path(conversation_urn: object, message_urn: object) -> str:
    conversation = check.path_segment(conversation_urn, "conversation_urn")
    message = check.path_segment(message_urn, "message_urn")
    return f"{_BASE}/{conversation}/messages/{message}"
