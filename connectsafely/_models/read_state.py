"""Models of the read-state and presence calls: mark seen, mark all read, typing, open
profiles (``/linkedin/messaging/*``)."""

from __future__ import annotations

import attrs

__all__ = ["EmailSupport", "MarkAllReadResult", "MarkSeenResult", "TypingIndicatorResult"]


@attrs.frozen
class MarkSeenResult:
    """``POST /linkedin/messaging/mark-seen``: a conversation marked seen.

    LinkedIn shows the other party that you read it (a read receipt).

    Attributes:
        success: Always True (a failure raises instead).
        account_id: The account that read it.
        conversation_urn: The conversation.
        message: The server's status sentence.
    """

    success: bool = True
    account_id: str | None = None
    conversation_urn: str | None = None
    message: str | None = None


@attrs.frozen
class MarkAllReadResult:
    """``POST /linkedin/messaging/mark-all-read``: every message of an account read.

    Attributes:
        success: Always True (a failure raises instead).
        account_id: The account.
        message: The server's status sentence.
    """

    success: bool = True
    account_id: str | None = None
    message: str | None = None


@attrs.frozen
class TypingIndicatorResult:
    """``POST /linkedin/messaging/typing-indicator``: "typing…" shown in a conversation.

    Attributes:
        success: Always True (a failure raises instead).
        account_id: The account typing.
        conversation_urn: The conversation.
        message: The server's status sentence.
    """

    success: bool = True
    account_id: str | None = None
    conversation_urn: str | None = None
    message: str | None = None


@attrs.frozen
class EmailSupport:
    """``POST /linkedin/messaging/check-email-support``: can this profile be messaged free?

    Attributes:
        supports_free_email: True for an "open profile": messages need no InMail credit.
        success: Always True (a failure raises instead).
        account_id: The account that asked.
        profile_id: The profile's vanity slug (``None`` when asked by URN).
        profile_urn: The profile's URN.
        message: The server's explanation.
    """

    supports_free_email: bool | None = None
    success: bool = True
    account_id: str | None = None
    profile_id: str | None = None
    profile_urn: str | None = None
    message: str | None = None
