"""Did a send whose outcome is unknown reach LinkedIn? Read the conversation and see.

A 5xx, a timeout or a connection that died after the request went out leaves a send's
outcome unknown: LinkedIn may have the message. Sending again could deliver it twice;
not sending could lose it. `ReadBack` settles it the one way the API allows: by reading
the conversation's newest messages for the same text from the account owner.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, Callable

from ._models.bulk import SendRequest
from ._models.messages import Message, SendResult
from ._serde import unstructure

__all__ = ["DEDUPE_CLOCK_SKEW_MS", "DEDUPE_SCAN_LIMIT", "ReadBack", "RecentMessages"]

logger = logging.getLogger("connectsafely")

DEDUPE_CLOCK_SKEW_MS = 30_000
"""The duplicate check looks this far before the first attempt, because the server's
clock (which stamps ``sentAt``) may run behind ours."""

DEDUPE_SCAN_LIMIT = 200
"""At most this many of the conversation's newest messages are scanned per check."""

RecentMessages = Callable[[SendRequest, int], AsyncIterable[Message]]
"""A `send_many` request's conversation, newest first, from epoch ms ``since`` on."""


class ReadBack:
    """Was this message already delivered into this conversation?

    `find` reads the conversation's newest messages (from ``since`` on, less
    `DEDUPE_CLOCK_SKEW_MS`) for the same text sent by the account owner. `recover` is the
    form the pipeline takes (see `_retry.Recover`): awaited after a failure with an
    unknown outcome, before the next attempt and after the last; ``found`` tells the
    caller afterwards that the result came from the conversation, not from a send.

    Args:
        text: The message text.
        conversation_urn: The conversation (for logs).
        recent: Reads the conversation, newest first, from epoch ms ``since`` on.
        since: Epoch seconds when the first attempt began (now when omitted).
    """

    __slots__ = ("_conversation", "_recent", "_since", "_text", "found")

    def __init__(
        self,
        text: str,
        conversation_urn: str,
        recent: Callable[[int], AsyncIterable[Message]],
        since: float | None = None,
    ) -> None:
        self._text = text
        self._conversation = conversation_urn
        self._recent = recent
        started = time.time() if since is None else since
        self._since = int(started * 1000) - DEDUPE_CLOCK_SKEW_MS
        self.found = False

    async def find(self) -> SendResult | None:
        """The owner's message with this text, if it is in the conversation (read
        errors propagate)."""
        scanned = 0
        async for message in self._recent(self._since):
            if message.is_sent_by_owner and message.text == self._text:
                logger.info(
                    "A send to %s had an unknown outcome, but the message is in the "
                    "conversation: not sending it again",
                    self._conversation,
                )
                self.found = True
                return SendResult(
                    success=True, message=self._text, sent_message=unstructure(message)
                )
            scanned += 1
            if scanned >= DEDUPE_SCAN_LIMIT:
                break
        return None

    async def recover(self, send_error: BaseException) -> SendResult | None:
        """`find`, for the pipeline: when the conversation cannot be read, the send's own
        error is raised instead, since sending again without knowing could deliver the
        message twice."""
        try:
            return await self.find()
        except Exception as exc:
            logger.warning(
                "Could not check %s for an earlier delivery (%s); not sending again",
                self._conversation,
                exc,
            )
            raise send_error from None
