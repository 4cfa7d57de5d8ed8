"""Request-side types users pass in (the response models live in `_models`)."""

from __future__ import annotations

import enum

__all__ = ["MessagingChannel"]


class MessagingChannel(str, enum.Enum):
    """Which LinkedIn channel a message goes through.

    A `str` enum: ``MessagingChannel.SALES_NAVIGATOR == "sales_navigator"``, so plain
    strings work wherever a channel is accepted.
    """

    AUTO = "auto"
    """Let the server choose: Sales Navigator for accounts that have it, else the inbox."""

    SALES_NAVIGATOR = "sales_navigator"
    """Force Sales Navigator; the API answers 400 if the account has no subscription."""

    LINKEDIN_INBOX = "linkedin_inbox"
    """Force the ordinary LinkedIn inbox, even on a Sales Navigator account."""

    def __str__(self) -> str:
        return self.value
