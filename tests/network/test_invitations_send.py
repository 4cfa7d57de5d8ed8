"""``client.invitations.send`` (design §14): the wire form, the checks, the weekly window.

Connection requests are the ``CONNECT`` action: 90 per account per calendar week
(Monday 00:00 UTC). The fake refuses the 91st with the documented 429 and a 24-hour
``holdUntil``; the SDK then holds that account's connection requests only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, InvitationRequest
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON, SEND

from .conftest import ACCOUNT_B

pytestmark = pytest.mark.anyio

CONNECT = "/linkedin/connect"


async def connect_many(client: AsyncClient, fake: FakeConnectSafely, count: int, **kw: Any) -> None:
    for index in range(count):
        slug = f"lead-{kw.get('account_id', 'a')}-{len(fake.profiles)}-{index}"
        fake.add_profile(slug)
        await client.invitations.send(slug, **kw)


# -- the wire -------------------------------------------------------------------------------


async def test_send_posts_the_slug_and_the_note_as_custom_message(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    result = await client.invitations.send("jane-doe", note="Hi Jane, we met at PyCon.")
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", CONNECT)
    assert request.json() == {"profileId": "jane-doe", "customMessage": "Hi Jane, we met at PyCon."}
    assert result == connectsafely.InvitationResult(
        success=True,
        message="Connection request sent successfully",
        profile_urn=fake.profiles["jane-doe"].urn,
        replayed=False,
    )
    [invitation] = fake.invitations
    assert (invitation.direction, invitation.state, invitation.note) == (
        "sent",
        "pending",
        "Hi Jane, we met at PyCon.",
    )


async def test_send_by_urn_with_an_account_and_no_note(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.profiles["jane-doe"].urn
    await client.invitations.send(profile_urn=urn, account_id=ACCOUNT_B)
    [request] = fake.requests
    assert request.json() == {"accountId": ACCOUNT_B, "profileUrn": urn}
    assert fake.invitations[0].account_id == ACCOUNT_B


async def test_send_carries_the_idempotency_key_as_the_header(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe", idempotency_key="campaign-7:jane:connect")
    [request] = fake.requests
    assert request.idempotency_key == "campaign-7:jane:connect"


async def test_a_note_of_exactly_300_characters_goes(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe", note="n" * 300)
    assert fake.requests[0].json()["customMessage"] == "n" * 300


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "named"),
    [
        ((), {}, ValueError, "profile_id"),
        (("jane-doe",), {"profile_urn": "urn:li:fsd_profile:ACoAAx"}, ValueError, "profile_urn"),
        (("jane-doe",), {"note": "n" * 301}, ValueError, "note"),
        (("jane-doe",), {"note": "   "}, ValueError, "note"),
        (("jane-doe",), {"note": 5}, TypeError, "note"),
        ((), {"profile_urn": "ACoAAx"}, ValueError, "profile_urn"),
        ((7,), {}, TypeError, "profile_id"),
        (("",), {}, ValueError, "profile_id"),
        (("jane-doe",), {"account_id": "  "}, ValueError, "account_id"),
        (("jane-doe",), {"idempotency_key": "a\nb"}, ValueError, "idempotency_key"),
        (("jane-doe",), {"idempotency_key": ""}, ValueError, "idempotency_key"),
    ],
)
async def test_send_checks_its_arguments_before_any_request(
    client: AsyncClient,
    fake: FakeConnectSafely,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type,
    named: str,
) -> None:
    with pytest.raises(error, match=named):
        await client.invitations.send(*args, **kwargs)
    assert fake.requests == []


async def test_an_unknown_profile_is_not_found_and_not_retried(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client() as client:
        with pytest.raises(connectsafely.NotFoundError):
            await client.invitations.send("nobody-here")
    assert len(fake.requests) == 1 and fake.invitations == []


async def test_a_second_request_to_someone_already_invited_is_refused(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client() as client:
        await client.invitations.send("jane-doe")
        with pytest.raises(connectsafely.BadRequestError, match="already pending"):
            await client.invitations.send("jane-doe")
    assert len(fake.invitations) == 1


# -- the invitation request model ------------------------------------------------------------


def test_an_invitation_request_is_checked_when_built() -> None:
    request = InvitationRequest("jane-doe", note="Hi", account_id=ACCOUNT_B, idempotency_key="k")
    assert request.send_kwargs() == {
        "profile_id": "jane-doe",
        "profile_urn": None,
        "note": "Hi",
        "account_id": ACCOUNT_B,
        "idempotency_key": "k",
    }
    with pytest.raises(ValueError, match="note"):
        InvitationRequest("jane-doe", note="x" * 301)
    with pytest.raises(ValueError, match="profile_urn"):
        InvitationRequest("jane-doe", profile_urn="urn:li:fsd_profile:ACoAAx")
    with pytest.raises(ValueError, match="profile_id"):
        InvitationRequest()
    with pytest.raises(TypeError, match="account_id"):
        InvitationRequest("jane-doe", account_id=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="profile_urn"):
        InvitationRequest(profile_urn="not-a-urn")


async def test_an_invitation_request_sends_as_its_arguments(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    request = InvitationRequest("jane-doe", note="Hello")
    await client.invitations.send(**request.send_kwargs())
    assert fake.requests[0].json() == {"profileId": "jane-doe", "customMessage": "Hello"}


# -- the weekly window and the hold ---------------------------------------------------------


async def test_the_91st_request_of_a_week_is_held_for_24_hours(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await connect_many(client, fake, 90)
    fake.add_profile("one-too-many")
    with pytest.raises(connectsafely.RateLimitError) as info:
        await client.invitations.send("one-too-many")
    error = info.value
    assert error.status_code == 429 and error.response is not None
    assert error.hold_until == NOON + timedelta(hours=24)
    assert error.action == "CONNECT"
    assert "Rate limit exceeded for CONNECT: 90/90 used" in str(error)
    assert len(fake.requests_to(CONNECT)) == 91  # a hold is never retried
    assert len(fake.invitations) == 90


async def test_a_held_account_sends_no_connect_but_its_messages_go(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await connect_many(client, fake, 90)
    fake.add_profile("one-too-many")
    with pytest.raises(connectsafely.RateLimitError):
        await client.invitations.send("one-too-many")
    sent = len(fake.requests)

    with pytest.raises(connectsafely.RateLimitError) as local:
        await client.invitations.send("jane-doe")
    assert len(fake.requests) == sent  # refused by the SDK: no request
    assert local.value.response is None and local.value.action == "CONNECT"
    assert local.value.hold_until == NOON + timedelta(hours=24)

    await client.conversations.send("Hello", recipient_profile_id="jane-doe")  # MESSAGE goes
    await client.profiles.relationship("jane-doe")  # and reads
    assert [r.path for r in fake.requests[sent:]] == [SEND, "/linkedin/relationship/jane-doe"]


async def test_a_hold_of_one_account_spares_the_other(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await connect_many(client, fake, 90)
    fake.add_profile("one-too-many")
    with pytest.raises(connectsafely.RateLimitError):
        await client.invitations.send("one-too-many")
    await client.invitations.send("one-too-many", account_id=ACCOUNT_B)
    assert fake.invitations[-1].account_id == ACCOUNT_B


async def test_after_the_hold_the_full_week_still_refuses_and_holds_again(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await connect_many(client, fake, 90)
    fake.add_profile("one-too-many")
    with pytest.raises(connectsafely.RateLimitError):
        await client.invitations.send("one-too-many")
    fake.clock.advance(24 * 3600)  # Tuesday noon: the hold is over, the week is not
    with pytest.raises(connectsafely.RateLimitError) as again:
        await client.invitations.send("one-too-many")
    assert again.value.response is not None  # asked the server this time
    assert again.value.hold_until == NOON + timedelta(hours=48)


async def test_the_week_resets_on_monday_at_midnight_utc(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await connect_many(client, fake, 90)
    monday = NOON.replace(hour=0) + timedelta(days=7)
    fake.clock.set(monday - timedelta(seconds=1))  # Sunday 23:59:59: the same week
    quota = (await client.accounts.quota(fake.default_account_id)).get("CONNECT")
    assert quota is not None and (quota.used, quota.remaining) == (90, 0)
    assert quota.window == "weekly" and quota.reset_at == monday

    fake.clock.advance(1)  # Monday 00:00:00 UTC: a new week
    fake.add_profile("next-week")
    await client.invitations.send("next-week")
    quota = (await client.accounts.quota(fake.default_account_id)).get("CONNECT")
    assert quota is not None and (quota.used, quota.remaining) == (1, 89)
    assert quota.reset_at == monday + timedelta(days=7)


async def test_a_fake_hold_on_connect_holds_connects_only(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    until = NOON + timedelta(hours=3)
    fake.hold(until=until, action="CONNECT")
    with pytest.raises(connectsafely.RateLimitError) as info:
        await client.invitations.send("jane-doe")
    assert info.value.hold_until == until and info.value.action == "CONNECT"
    await client.conversations.send("Hello", recipient_profile_id="jane-doe")
    assert fake.invitations == [] and len(fake.sends) == 1
