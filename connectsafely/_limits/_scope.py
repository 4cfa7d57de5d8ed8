"""What a call is, as far as limits go: whose account, which kind of action, a write?"""

from __future__ import annotations

import re

import attrs

__all__ = [
    "DEFAULT_ACCOUNT",
    "MESSAGE",
    "READ",
    "CallScope",
    "action_from_text",
]

DEFAULT_ACCOUNT = "~default"
"""The key under which calls that name no account are counted: the API then acts as
the workspace's default account, whose id the client does not know."""

MESSAGE = "MESSAGE"
"""The action category of message sends (the API's ``X-RateLimit-Action`` value)."""

_ACTION_IN_TEXT = re.compile(r"\bfor ([A-Z][A-Z0-9_]{1,40})\b")


@attrs.frozen(slots=True)
class CallScope:
    """How one call counts against the limits.

    Attributes:
        account: The LinkedIn account the call acts as (``None``: the default account).
        kind: The call's action category, e.g. ``"MESSAGE"`` for sends. A category the
            server names in ``X-RateLimit-Action`` for calls of this kind replaces it.
        write: Paced by ``Limits.account_writes`` (sends, reactions, deletes, thread
            actions).
        new_conversation: A send without ``conversation_urn``: it may start a new
            conversation, which the daily quota counts.
    """

    account: str | None = None
    kind: str | None = None
    write: bool = False
    new_conversation: bool = False

    @property
    def account_key(self) -> str:
        """The account's key in the limits' state."""
        return DEFAULT_ACCOUNT if self.account is None else self.account


READ = CallScope()
"""Reads and everything else only the key-wide limit applies to."""


def action_from_text(text: object) -> str | None:
    """The ``<ACTION>`` of an error text like "Rate limit exceeded for CONNECT: 90/90 used"."""
    if not isinstance(text, str):
        return None
    match = _ACTION_IN_TEXT.search(text[:500])
    return None if match is None else match.group(1)
