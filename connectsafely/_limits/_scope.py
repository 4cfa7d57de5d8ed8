"""What a call is, as far as limits go: whose account, which kind of action, a write?"""

from __future__ import annotations

import re

import attrs

__all__ = [
    "CONNECT",
    "DEFAULT_ACCOUNT",
    "MESSAGE",
    "PROFILE_VIEW",
    "READ",
    "CallScope",
    "action_from_text",
]

DEFAULT_ACCOUNT = "~default"
"""The key under which calls that name no account are counted: the API then acts as
the workspace's default account, whose id the client does not know."""

MESSAGE = "MESSAGE"
"""The action category of message sends (the API's ``X-RateLimit-Action`` value)."""

CONNECT = "CONNECT"
"""The action category of connection requests (``X-RateLimit-Action``, the quota's
``feature``): counted per account and calendar week by ``Limits.account_connects``."""

PROFILE_VIEW = "PROFILE_VIEW"
"""The action category of profile views (the quota's ``feature``): counted per account
and UTC day by ``Limits.account_profile_views``."""

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
        by_recipient: A send naming its recipient (not a thread): the API counts it
            as a new conversation only when no thread with them exists yet, which only
            its answer tells (``Limits.daily_new_conversations`` gives the count back
            when the answer shows a reply, see `CallGate.observe`).
    """

    account: str | None = None
    kind: str | None = None
    write: bool = False
    new_conversation: bool = False
    by_recipient: bool = False

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
