"""Constants and tiny helpers shared by test modules in more than one folder.

Fixtures live in ``conftest.py``; these are imported by name, e.g.
``from tests._support import SEND, send``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import connectsafely

# -- endpoint paths, as the fake records them (``fake.requests_to(...)``, ``path=``) ---------

SEND = "/linkedin/conversations/send"
UPLOAD = "/linkedin/conversations/upload-attachment"


def messages_path(conversation_urn: str) -> str:
    """The messages endpoint of one conversation (the URN decoded, as the fake records it)."""
    return f"/linkedin/conversations/{conversation_urn}/messages"


# -- people, conversations, moments ----------------------------------------------------------

PROFILE_ID = "jane-doe"
"""The recipient of the plain `send` below."""

ODD_URN = "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAB/x+y=,2-YWJj/ZGVm+Z2hp==)"
"""Every character class a LinkedIn URN carries: ``:``, ``(``, ``)``, ``,``, ``/``, ``+``, ``=``."""

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
"""A fixed moment for the fake's clock, 12 h before the 00:00 UTC quota reset.

Quota tests set the fake's clock to it, so they pass whatever time of day the suite runs.
"""

SEED = 20_240_611
"""The seed of a ``FakeConnectSafely(seed=SEED)`` whose random faults fall the same every run."""


# -- calls whose details are not the subject of the test ------------------------------------


async def send(client: connectsafely.AsyncClient, **kwargs: Any) -> connectsafely.SendResult:
    """Send ``"Hello"`` to `PROFILE_ID`."""
    return await client.conversations.send("Hello", recipient_profile_id=PROFILE_ID, **kwargs)


async def reply(client: connectsafely.AsyncClient, urn: str, text: str = "Hi") -> None:
    """Reply in an existing conversation."""
    await client.conversations.send(text, conversation_urn=urn)
