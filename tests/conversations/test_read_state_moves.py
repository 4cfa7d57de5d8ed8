"""The deprecated read-state endpoints (M3) and the list's ``unreadOnly`` (M1).

``mark_seen``, ``mark_all_read`` and ``send_typing`` call endpoints the reference flags
"will move to /conversations"; when this API moved endpoints before, the old paths
answered 307. A 307/308 to an API path of the same server is followed once for these
idempotent calls, never for a send and never to another host. The fake answers the
move (``fail_next(307, headers={"Location": ...})``) over both wires.
"""

from __future__ import annotations

from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.resources.conversations import Conversations
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND

pytestmark = pytest.mark.anyio

MARK_SEEN = "/linkedin/messaging/mark-seen"
READ_STATE_CALLS: dict[str, tuple[str, Any]] = {
    "mark_seen": (MARK_SEEN, lambda client, urn: client.conversations.mark_seen(urn)),
    "mark_all_read": (
        "/linkedin/messaging/mark-all-read",
        lambda client, urn: client.conversations.mark_all_read(),
    ),
    "send_typing": (
        "/linkedin/messaging/typing-indicator",
        lambda client, urn: client.conversations.send_typing(urn),
    ),
}


@pytest.mark.parametrize("call", list(READ_STATE_CALLS))
@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
async def test_a_read_state_call_follows_a_same_server_move_once(
    client: AsyncClient, fake: FakeConnectSafely, call: str, absolute: bool
) -> None:
    path, run = READ_STATE_CALLS[call]
    urn = fake.add_conversation().urn
    target = f"{path}?moved=1"
    if absolute:
        target = str(client.base_url).rstrip("/") + target
    fake.fail_next(307, path=path, headers={"Location": target}, body={"success": False})
    result = await run(client, urn)
    assert result.success is True
    first, second = fake.requests
    assert (second.method, second.path, second.query) == ("POST", path, {"moved": "1"})
    assert second.body == first.body  # the same call, once more, at the new place


@pytest.mark.parametrize(
    "location",
    [
        "https://elsewhere.example/linkedin/messaging/mark-seen",  # another host: the key
        "/not-the-api/mark-seen",  # not an API path
        "/linkedin/../admin",  # resolves outside /linkedin/
    ],
)
async def test_a_move_elsewhere_is_not_followed(
    client: AsyncClient, fake: FakeConnectSafely, location: str
) -> None:
    urn = fake.add_conversation().urn
    fake.fail_next(308, path=MARK_SEEN, headers={"Location": location})
    with pytest.raises(connectsafely.APIStatusError, match="does not follow") as info:
        await client.conversations.mark_seen(urn)
    assert info.value.status_code == 308
    assert len(fake.requests) == 1


async def test_a_second_move_is_raised(client: AsyncClient, fake: FakeConnectSafely) -> None:
    urn = fake.add_conversation().urn
    fake.fail_next(307, path=MARK_SEEN, headers={"Location": MARK_SEEN}, count=2)
    with pytest.raises(connectsafely.APIStatusError) as info:
        await client.conversations.mark_seen(urn)
    assert info.value.status_code == 307
    assert len(fake.requests) == 2


async def test_a_send_never_follows_a_move(client: AsyncClient, fake: FakeConnectSafely) -> None:
    urn = fake.add_conversation().urn
    fake.fail_next(307, path=SEND, headers={"Location": SEND})
    with pytest.raises(connectsafely.APIStatusError) as info:
        await client.conversations.send("Hi", conversation_urn=urn)
    assert info.value.status_code == 307
    assert len(fake.requests) == 1 and fake.sends == []


async def test_an_open_profile_check_does_not_follow_a_move(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    path = "/linkedin/messaging/check-email-support"
    fake.fail_next(307, path=path, headers={"Location": path})
    with pytest.raises(connectsafely.APIStatusError):
        await client.conversations.check_email_support(profile_id="jane-doe")
    assert len(fake.requests) == 1


def test_the_read_state_calls_document_the_deprecation() -> None:
    for name in READ_STATE_CALLS:
        doc = getattr(Conversations, name).__doc__ or ""
        assert "will move to" in doc and "307" in doc


# -- M1: unreadOnly is kept (the official list page documents it) ------------------------------


async def test_unread_only_is_sent_as_unread_only(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    unread = fake.add_conversation(recipient_profile_id="a-lead")
    unread.unread_count = 1
    fake.add_conversation(recipient_profile_id="b-lead")
    listed = [c async for c in client.conversations.list(unread_only=True)]
    assert fake.requests[-1].query == {"unreadOnly": "true"}
    assert [c.conversation_urn for c in listed] == [unread.urn]
    [c async for c in client.conversations.list(unread_only=False)]
    assert fake.requests[-1].query == {"unreadOnly": "false"}
