"""The fake's network (design §14): documented errors for bad input, relationships that
follow the invitations, and the daily PROFILE_VIEW window with its 6-hour cache.

Bad input the SDK refuses itself is sent raw (httpx on the fake's transport), to see
what the fake answers other clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON

from .conftest import ACCOUNT_B

pytestmark = pytest.mark.anyio


@pytest.fixture
async def raw(fake: FakeConnectSafely) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url="https://api.connectsafely.ai", headers=headers
    ) as client:
        yield client


# -- documented errors for bad input --------------------------------------------------------


@pytest.mark.parametrize("style", ["error", "code_message", "zod"])
async def test_a_note_over_300_characters_is_a_400_in_the_fake_error_style(
    raw: httpx.AsyncClient, fake: FakeConnectSafely, style: Any
) -> None:
    fake.error_style = style
    response = await raw.post(
        "/linkedin/connect", json={"profileId": "jane-doe", "customMessage": "x" * 301}
    )
    assert response.status_code == 400
    text = "customMessage must be a string of at most 300 characters"
    if style == "error":
        assert response.json() == {"error": text}
    elif style == "code_message":
        assert response.json() == {"success": False, "code": "validation_error", "message": text}
    else:
        assert response.json()["error"]["issues"][0]["path"] == ["customMessage"]
    assert fake.invitations == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/linkedin/connect", {}, 400),
        ("/linkedin/connect", {"profileId": ""}, 400),
        ("/linkedin/connect", {"profileId": "jane-doe", "accountId": "0" * 24}, 404),
        ("/linkedin/profile", {}, 400),
        ("/linkedin/profile/visit", {"profileId": " "}, 400),
        ("/linkedin/invitations/withdraw", {}, 400),
        ("/linkedin/invitations/received/respond", {"action": "ACCEPT"}, 400),
        (
            "/linkedin/invitations/received/respond",
            {
                "action": "MAYBE",
                "invitationId": "1",
                "validationToken": "t",
                "linkedInInvitationType": "GenericInvitationType_CONNECTION",
                "firstName": "A",
                "lastName": "B",
            },
            400,
        ),
    ],
)
async def test_bad_bodies_get_the_documented_statuses(
    raw: httpx.AsyncClient, path: str, body: dict[str, Any], status: int
) -> None:
    response = await raw.post(path, json=body)
    assert response.status_code == status
    assert "error" in response.json()


async def test_a_bad_start_index_is_a_400(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/linkedin/invitations/sent", params={"startIndex": "-1"})
    assert response.status_code == 400


async def test_the_profile_urn_wins_when_both_forms_come(
    raw: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    sam = fake.add_profile("sam-lee")
    response = await raw.post(
        "/linkedin/connect", json={"profileId": "jane-doe", "profileUrn": sam.urn}
    )
    assert response.json()["profileUrn"] == sam.urn
    assert [i.profile.profile_id for i in fake.invitations] == ["sam-lee"]


async def test_an_unknown_profile_on_the_profile_route_is_an_empty_object(
    raw: httpx.AsyncClient,
) -> None:
    response = await raw.post("/linkedin/profile", json={"profileId": "nobody-here"})
    assert response.status_code == 200
    assert response.json()["profile"] == {} and response.json()["success"] is True


async def test_the_relationship_body_has_no_success_field(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/linkedin/relationship/jane-doe")
    assert "success" not in response.json()
    unknown = await raw.get(f"/linkedin/relationship/{ACCOUNT_B}/nobody-here")
    assert unknown.status_code == 404


# -- relationships follow the invitations ---------------------------------------------------


async def test_an_accepted_invitation_connects_them(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe", note="Hi")
    pending = await client.profiles.relationship("jane-doe")
    assert (pending.invitation_sent, pending.connected, pending.status) == (
        True,
        False,
        "INVITATION_SENT",
    )
    accepted = fake.accept_invitation("jane-doe")
    assert accepted.state == "accepted"
    connected = await client.profiles.relationship("jane-doe")
    assert (connected.connected, connected.invitation_sent, connected.status) == (
        True,
        False,
        "CONNECTED",
    )
    profile = await client.profiles.get("jane-doe", force_refresh=True)
    assert profile.is_connected and profile.connection_degree == "DISTANCE_1"
    assert [i async for i in client.invitations.sent()] == []
    with pytest.raises(connectsafely.BadRequestError, match="Already connected"):
        await client.invitations.send("jane-doe")


async def test_a_declined_invitation_leaves_them_unconnected(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe", account_id=ACCOUNT_B)
    fake.decline_invitation(fake.profiles["jane-doe"], account_id=ACCOUNT_B)
    relationship = await client.profiles.relationship("jane-doe", account_id=ACCOUNT_B)
    assert not (relationship.connected or relationship.invitation_sent)
    assert relationship.status == "NOT_CONNECTED"
    await client.invitations.send("jane-doe", account_id=ACCOUNT_B)  # may invite again
    assert [i.state for i in fake.invitations] == ["declined", "pending"]


async def test_relationships_are_per_account(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.add_profile("sam-lee", connected_to=[ACCOUNT_B])
    fake.add_received_invitation("sam-lee")
    mine = await client.profiles.relationship("sam-lee")
    theirs = await client.profiles.relationship("sam-lee", account_id=ACCOUNT_B)
    assert (mine.connected, mine.invitation_received, mine.status) == (
        False,
        True,
        "INVITATION_RECEIVED",
    )
    assert (theirs.connected, theirs.invitation_received) == (True, False)


def test_seeding_refuses_what_cannot_be(fake: FakeConnectSafely) -> None:
    with pytest.raises(ValueError, match="No pending invitation"):
        fake.accept_invitation("jane-doe")
    with pytest.raises(ValueError, match="No profile"):
        fake.decline_invitation("nobody-here")
    with pytest.raises(ValueError, match="already added"):
        fake.add_profile("jane-doe")
    fake.add_profile("sam-lee", connected_to=[fake.default_account_id])
    with pytest.raises(ValueError, match="already connected"):
        fake.add_received_invitation("sam-lee")


def test_a_received_invitation_from_a_new_slug_adds_the_profile(fake: FakeConnectSafely) -> None:
    invitation = fake.add_received_invitation("new-fan", note="Hello!")
    assert fake.profiles["new-fan"] is invitation.profile
    assert (invitation.direction, invitation.note, invitation.account_id) == (
        "received",
        "Hello!",
        fake.default_account_id,
    )


# -- the daily PROFILE_VIEW window ----------------------------------------------------------


async def views(client: AsyncClient, fake: FakeConnectSafely, count: int) -> None:
    for index in range(count):
        fake.add_profile(f"viewed-{index}")
        await client.profiles.get(f"viewed-{index}")


async def test_120_views_a_day_then_429_naming_profile_view(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(max_retries=0) as client:
        await views(client, fake, 120)
        await client.profiles.get("viewed-0")  # cached: free, even now
        with pytest.raises(connectsafely.RateLimitError, match="PROFILE_VIEW: 120/120"):
            await client.profiles.get("jane-doe")
        quota = (await client.accounts.quota(fake.default_account_id)).get("PROFILE_VIEW")
        assert quota is not None and (quota.used, quota.remaining, quota.window) == (
            120,
            0,
            "daily",
        )
        assert quota.reset_at == NOON.replace(hour=0) + timedelta(days=1)

        fake.clock.set(NOON.replace(hour=0) + timedelta(days=1))  # 00:00 UTC: a new day
        await client.profiles.get("jane-doe")
        quota = (await client.accounts.quota(fake.default_account_id)).get("PROFILE_VIEW")
        assert quota is not None and quota.used == 1


async def test_cached_fetches_are_free_until_six_hours_pass(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.profiles.get("jane-doe")
    fake.clock.advance(6 * 3600 - 1)
    assert (await client.profiles.get("jane-doe")).cached is True
    await client.profiles.get("jane-doe", account_id=ACCOUNT_B)  # another account's cache
    fake.clock.advance(1)
    assert (await client.profiles.get("jane-doe")).cached is False
    assert (await client.profiles.get("jane-doe", force_refresh=True)).cached is False
    mine = (await client.accounts.quota(fake.default_account_id)).get("PROFILE_VIEW")
    theirs = (await client.accounts.quota(ACCOUNT_B)).get("PROFILE_VIEW")
    assert mine is not None and mine.used == 3
    assert theirs is not None and theirs.used == 1


async def test_a_visit_counts_as_a_profile_view(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.profiles.visit("jane-doe")
    await client.profiles.visit("jane-doe")
    quota = (await client.accounts.quota(fake.default_account_id)).get("PROFILE_VIEW")
    assert quota is not None and quota.used == 2


async def test_seeded_usage_adds_to_the_counted_use(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.default_account.usage["CONNECT"] = 10
    await client.invitations.send("jane-doe")
    quota = (await client.accounts.quota(fake.default_account_id)).get("CONNECT")
    assert quota is not None and (quota.used, quota.remaining) == (11, 79)
