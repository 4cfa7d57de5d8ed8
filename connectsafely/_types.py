"""Request-side types users pass in (the response models live in `_models`), and the
"not given" sentinel of optional keyword arguments."""

from __future__ import annotations

import enum

__all__ = ["NOT_GIVEN", "MessagingChannel", "NotGiven"]


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


class NotGiven(enum.Enum):
    """The type of `NOT_GIVEN`: "this argument was not passed" where ``None`` means
    something (``account_id=None`` resets a copy's account; ``NOT_GIVEN`` keeps it)."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven.NOT_GIVEN
"""Default of keyword arguments whose absence differs from ``None``."""
