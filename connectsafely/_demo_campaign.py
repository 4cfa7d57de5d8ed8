"""The demo's outreach loop (design §14): from a stranger to a follow-up not sent.

One prospect, Sam Okafor, goes through the steps a campaign takes, every keyed step
through the send ledger under a key derived from campaign, lead and step:

1. ``profiles.relationship``: not connected, no invitation pending;
2. ``invitations.send`` with a note; the fake then accepts it (``fake.accept_invitation``)
   and the relationship reads connected;
3. the first message, by profile slug;
4. (`_demo` then lets Sam answer: a signed webhook reaches the receiver;)
5. the follow-up, guarded by ``unless_replied_since`` (when step 3 went out): Sam replied
   after it, so nothing is sent and `ProspectRepliedError` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._client import AsyncClient
from ._errors import ProspectRepliedError

if TYPE_CHECKING:
    from .testing import FakeConnectSafely

__all__ = ["PROSPECT", "first_steps", "follow_up"]

PROSPECT = "sam-okafor"
CAMPAIGN = "demo-q3"
NOTE = "Hi Sam, I work on outreach tooling for ops teams and would love to connect."
FIRST = "Thanks for connecting, Sam! Would a 15-minute call next week be useful?"
FOLLOW_UP = "Just bumping this up, Sam: does next week still work?"

Show = Callable[[dict[str, Any], str], None]


def key(step: str) -> str:
    """The idempotency key of one step: campaign, lead and step, so a re-run of the
    campaign (after a crash, on another worker) replays instead of sending twice."""
    return f"{CAMPAIGN}:{PROSPECT}:{step}"


async def first_steps(
    client: AsyncClient, fake: FakeConnectSafely, show: Show
) -> tuple[str, datetime]:
    """Steps 1-3; returns the conversation with Sam and when the first message went out."""
    fake.add_profile(PROSPECT, first_name="Sam", last_name="Okafor", headline="COO at Brightline")
    before = await client.profiles.relationship(PROSPECT)
    show(
        {"event": "relationship", "profile_id": PROSPECT, "connected": before.connected},
        f"\n  campaign {CAMPAIGN}: {PROSPECT}\n"
        f"  relationship  connected={before.connected} invitation_sent={before.invitation_sent}",
    )
    invited = await client.invitations.send(PROSPECT, note=NOTE, idempotency_key=key("connect"))
    show(
        {"event": "invitation", "profile_urn": invited.profile_urn, "replayed": invited.replayed},
        f"  invite        with a {len(NOTE)}-character note (key {key('connect')})",
    )
    fake.accept_invitation(PROSPECT)
    after = await client.profiles.relationship(PROSPECT)
    show(
        {"event": "accepted", "profile_id": PROSPECT, "connected": after.connected},
        f"  accepted      relationship connected={after.connected}",
    )
    sent = await client.conversations.send(
        FIRST, recipient_profile_id=PROSPECT, idempotency_key=key("message-1")
    )
    assert sent.sent_message is not None
    assert sent.sent_message.sent_at is not None
    at = sent.sent_message.sent_at
    show(
        {"event": "first_message", "profile_id": PROSPECT, "at": at.isoformat()},
        f"  message       {FIRST!r} (key {key('message-1')})",
    )
    thread = await client.conversations.exists(PROSPECT)
    assert thread.conversation_urn is not None
    return thread.conversation_urn, at


async def follow_up(client: AsyncClient, since: datetime, show: Show) -> None:
    """Step 5: the follow-up, guarded since the first message; Sam replied meanwhile."""
    try:
        await client.conversations.send(
            FOLLOW_UP,
            recipient_profile_id=PROSPECT,
            idempotency_key=key("message-2"),
            unless_replied_since=since,
        )
    except ProspectRepliedError as replied:
        at = replied.sent_at.isoformat() if replied.sent_at else None
        show(
            {"event": "follow_up_skipped", "reply_urn": replied.message_urn, "replied_at": at},
            "  follow-up     not sent: Sam replied after the first message "
            "(ProspectRepliedError; the key is released)",
        )
        return
    show({"event": "follow_up_sent"}, "  follow-up     sent (no reply yet)")
