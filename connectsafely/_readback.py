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
"""A request's conversation, newest first, from epoch ms ``since`` on."""


class ReadBack:
    """The duplicate check for one reply: was this message already delivered?

    Its `recover` is handed to the pipeline, which awaits it after a failure with an
    unknown outcome, before the next attempt and after the last. ``found`` tells the
    runner afterwards that the result came from the conversation, not from a send.
    """

    __slots__ = ("_item", "_recent", "_since", "found")

    def __init__(self, item: SendRequest, recent: RecentMessages) -> None:
        self._item = item
        self._recent = recent
        self._since = int(time.time() * 1000) - DEDUPE_CLOCK_SKEW_MS
        self.found = False

    async def recover(self, send_error: BaseException) -> SendResult | None:
        """The owner's message with this text in the conversation, if it is there.

        When the conversation cannot be read, the send's own error is raised instead:
        sending again without knowing could deliver the message twice.
        """
        item = self._item
        scanned = 0
        try:
            async for message in self._recent(item, self._since):
                if message.is_sent_by_owner and message.text == item.message:
                    logger.info(
                        "Send to %s had an unknown outcome, but the message is in the "
                        "conversation: not sending it again",
                        item.conversation_urn,
                    )
                    self.found = True
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
            raise send_error from None
        return None
