"""At most once for connection requests (design §14): the send ledger with the
relationship read as its check, and ``invitations.send_many`` on the shared runner."""

from __future__ import annotations

from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, InvitationRequest, InvitationResult
from connectsafely.testing import FakeConnectSafely

pytestmark = pytest.mark.anyio

CONNECT = "/linkedin/connect"
RELATIONSHIP = "/linkedin/relationship/jane-doe"
MANY = 50


async def test_a_delivered_key_is_replayed_without_a_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    first = await client.invitations.send("jane-doe", note="Hi Jane!", idempotency_key="c1-jane")
    again = await client.invitations.send("jane-doe", note="Hi Jane!", idempotency_key="c1-jane")
    assert (first.replayed, again.replayed) == (False, True)
    assert again == InvitationResult(
        success=first.success, message=first.message, profile_urn=first.profile_urn, replayed=True
    )
    assert len(fake.requests) == 1 and len(fake.invitations) == 1


async def test_a_key_reused_for_another_request_or_endpoint_is_refused(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe", idempotency_key="k")
    with pytest.raises(ValueError, match="idempotency_key 'k' was already used"):
        await client.invitations.send("jane-doe", note="other", idempotency_key="k")
    with pytest.raises(ValueError, match="idempotency_key 'k' was already used"):
        await client.conversations.send("Hi", recipient_profile_id="jane-doe", idempotency_key="k")
    assert len(fake.requests) == 1


async def test_a_lost_answer_is_settled_by_the_relationship_read(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503, path=CONNECT, after_processing=True)  # sent, the answer lost
    result = await client.invitations.send("jane-doe", idempotency_key="k")
    assert result.replayed and result.profile_urn == fake.profiles["jane-doe"].urn
    assert len(fake.requests_to(CONNECT)) == 1 and len(fake.invitations) == 1
    assert len(fake.requests_to(RELATIONSHIP)) == 1
    # Recorded: a later call replays without reading anything.
    assert (await client.invitations.send("jane-doe", idempotency_key="k")).replayed
    assert len(fake.requests) == 2


async def test_a_lost_answer_of_a_request_never_made_is_sent(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503, path=CONNECT)  # refused before processing: the relationship says so
    result = await client.invitations.send("jane-doe", idempotency_key="k")
    assert not result.replayed
    assert len(fake.requests_to(CONNECT)) == 2 and len(fake.invitations) == 1


async def test_connected_counts_as_delivered(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.fail_next(503, path=CONNECT, after_processing=True)
    fake.fail_next(200, path=RELATIONSHIP, body={"success": True, "connected": True})
    result = await client.invitations.send("jane-doe", idempotency_key="k")
    assert result.replayed and len(fake.requests_to(CONNECT)) == 1


@pytest.mark.parametrize(
    ("status", "cause"),
    [(404, connectsafely.NotFoundError), (503, connectsafely.InternalServerError)],
)
async def test_a_failed_relationship_read_is_in_doubt_and_sends_nothing_more(
    make_client: Any, fake: FakeConnectSafely, status: int, cause: type[Exception]
) -> None:
    fake.fail_next(503, path=CONNECT, after_processing=True)
    fake.fail_next(status, count=MANY, path=RELATIONSHIP)
    async with make_client() as client:
        with pytest.raises(connectsafely.SendInDoubtError) as info:
            await client.invitations.send("jane-doe", idempotency_key="k")
        assert info.value.idempotency_key == "k"
        assert isinstance(info.value.__cause__, cause)
        assert "relationship" in str(info.value)
        # The key stays in doubt: a later call checks again, and still sends nothing.
        with pytest.raises(connectsafely.SendInDoubtError):
            await client.invitations.send("jane-doe", idempotency_key="k")
    assert len(fake.requests_to(CONNECT)) == 1 and len(fake.invitations) == 1


async def test_a_request_by_urn_alone_cannot_be_checked(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.profiles["jane-doe"].urn
    fake.fail_next(503, path=CONNECT, after_processing=True)
    with pytest.raises(connectsafely.SendInDoubtError, match="profile_urn") as info:
        await client.invitations.send(profile_urn=urn, idempotency_key="k")
    assert info.value.idempotency_key == "k"
    assert len(fake.requests_to(CONNECT)) == 1 and len(fake.invitations) == 1


async def test_send_many_invitations_outcomes(client: AsyncClient, fake: FakeConnectSafely) -> None:
    for slug in ("ann", "bob"):
        fake.add_profile(slug)
    await client.invitations.send("ann", idempotency_key="c1-ann")  # an earlier run
    requests: list[Any] = [
        InvitationRequest("ann", idempotency_key="c1-ann"),
        InvitationRequest("bob", note="Hi Bob", idempotency_key="c1-bob"),
        InvitationRequest("nobody-here", idempotency_key="c1-nobody"),
        "not a request",
    ]
    outcomes = await connectsafely.collect_in_order(
        client.invitations.send_many(requests, concurrency=2)
    )
    ann, bob, nobody, junk = outcomes
    assert ann.ok and ann.replayed and isinstance(ann.result, InvitationResult)
    assert bob.ok and not bob.replayed and isinstance(bob.result, InvitationResult)
    assert bob.result.profile_urn == fake.profiles["bob"].urn
    assert isinstance(nobody.error, connectsafely.NotFoundError)
    assert isinstance(junk.error, TypeError) and "InvitationRequest" in str(junk.error)
    assert len(fake.requests_to(CONNECT)) == 3  # ann once (earlier), bob, nobody


async def test_send_many_refuses_a_single_request_as_items(client: AsyncClient) -> None:
    with pytest.raises(TypeError, match="InvitationRequest"):
        client.invitations.send_many(InvitationRequest("jane-doe"))  # type: ignore[arg-type]
