"""Sent and received invitations (design §14): offset paging, where each listing ends, the
loop guards, and answering or withdrawing what they list."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient, Invitation
from connectsafely.testing import FakeConnectSafely

from .conftest import ACCOUNT_B

pytestmark = pytest.mark.anyio

SENT = "/linkedin/invitations/sent"
RECEIVED = "/linkedin/invitations/received"
RESPOND = "/linkedin/invitations/received/respond"
WITHDRAW = "/linkedin/invitations/withdraw"


async def invite(client: AsyncClient, fake: FakeConnectSafely, count: int, **kw: Any) -> None:
    for index in range(count):
        fake.add_profile(f"lead-{index}")
        await client.invitations.send(f"lead-{index}", **kw)
    fake.requests.clear()


def entry(number: int, **fields: Any) -> dict[str, Any]:
    """A listing entry as the API documents it."""
    return {
        "id": str(number),
        "invitationId": str(number),
        "invitationUrn": f"urn:li:invitation:{number}",
        "memberId": f"ACoAA{number}",
        "memberUrn": f"urn:li:fsd_profile:ACoAA{number}",
        "invitationType": "SENT",
        "sentAt": "2 days ago",
        "profile": {"firstName": "P", "lastName": str(number), "publicIdentifier": f"p-{number}"},
        **fields,
    }


def page(numbers: range | list[int], **fields: Any) -> dict[str, Any]:
    return {"success": True, "invitations": [entry(n) for n in numbers], **fields}


# -- sent -----------------------------------------------------------------------------------


async def test_sent_walks_by_start_index_and_stops_on_a_short_page(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await invite(client, fake, 23)
    invitations = [i async for i in client.invitations.sent()]
    assert [i.profile.public_identifier for i in invitations if i.profile] == [
        f"lead-{n}" for n in range(22, -1, -1)
    ]
    assert [(r.method, r.path, r.query) for r in fake.requests] == [
        ("GET", SENT, {"startIndex": "0"}),
        ("GET", SENT, {"startIndex": "10"}),
        ("GET", SENT, {"startIndex": "20"}),
    ]


async def test_sent_stops_on_an_empty_page(client: AsyncClient, fake: FakeConnectSafely) -> None:
    await invite(client, fake, 20)
    assert len([i async for i in client.invitations.sent(account_id=fake.default_account_id)]) == 20
    assert [r.query for r in fake.requests] == [
        {"accountId": fake.default_account_id, "startIndex": str(start)} for start in (0, 10, 20)
    ]


async def test_sent_with_nothing_pending_is_one_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    assert [i async for i in client.invitations.sent()] == []
    assert len(fake.requests) == 1


async def test_sent_decodes_every_documented_field(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe")
    fake.clock.advance(2 * 86_400)
    [invitation] = [i async for i in client.invitations.sent()]
    jane = fake.profiles["jane-doe"]
    record = fake.invitations[0]
    assert invitation.invitation_id == record.invitation_id
    assert invitation.invitation_urn == f"urn:li:invitation:{record.invitation_id}"
    assert (invitation.member_id, invitation.member_urn) == (jane.member_id, jane.urn)
    assert (invitation.invitation_type, invitation.sent_at) == ("SENT", "2 days ago")
    assert invitation.profile == connectsafely.InvitationProfile(
        first_name="Jane",
        last_name="Doe",
        headline="CTO at Example",
        profile_url="https://www.linkedin.com/in/jane-doe",
        public_identifier="jane-doe",
    )
    assert invitation.account_id == fake.default_account_id
    assert invitation.validation_token is None and invitation.received_at is None
    assert invitation.raw["sentAt"] == "2 days ago"


async def test_a_page_of_a_larger_size_sets_what_short_means(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # A server paging by 15: a page of 12 after one of 15 is the last.
    fake.fail_next(200, body=page(range(15)), path=SENT)
    fake.fail_next(200, body=page(range(15, 27)), path=SENT)
    invitations = [i async for i in client.invitations.sent()]
    assert len(invitations) == 27
    assert [r.query["startIndex"] for r in fake.requests] == ["0", "15"]


async def test_sent_raises_on_a_page_that_repeats_the_one_before(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # A server that ignores startIndex would hand out the first page for ever.
    fake.fail_next(200, body=page(range(10)), path=SENT, count=3)
    pager = client.invitations.sent()
    seen = [(await pager.__anext__()).invitation_id for _ in range(10)]
    assert seen == [str(n) for n in range(10)]
    with pytest.raises(connectsafely.PaginationError, match="startIndex=10"):
        await pager.__anext__()
    assert len(fake.requests) == 2


async def test_an_item_repeated_across_a_page_boundary_is_yielded_once(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body=page(range(10)), path=SENT)
    fake.fail_next(200, body=page([9, 10, 11]), path=SENT)
    ids = [i.invitation_id async for i in client.invitations.sent()]
    assert ids == [str(n) for n in range(12)]


async def test_pages_iterates_invitation_pages(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await invite(client, fake, 12)
    pages = [p async for p in client.invitations.sent().pages()]
    assert [(p.start_index, len(p.invitations), p.count) for p in pages] == [
        (0, 10, 10),
        (10, 2, 2),
    ]
    assert pages[0].account_id == fake.default_account_id and pages[0].end_of_list is None


async def test_listing_entries_decode_unknown_and_missing_fields(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    sparse = {"invitations": [{"id": "77", "brandNew": {"a": 1}}], "unknownTop": 1}
    fake.fail_next(200, body=sparse, path=SENT)
    [invitation] = [i async for i in client.invitations.sent()]
    assert invitation.invitation_id == "77"  # `id` when `invitationId` is missing
    assert invitation.profile is None and invitation.sent_at is None
    assert invitation.raw == {"id": "77", "brandNew": {"a": 1}}


async def test_a_listing_entry_of_the_wrong_type_names_its_path(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    body = page(range(2))
    body["invitations"][1]["sentAt"] = {"when": "soon"}
    fake.fail_next(200, body=body, path=SENT)
    async with make_client() as client:
        with pytest.raises(connectsafely.APIResponseValidationError, match=r"invitations\[1\]"):
            [i async for i in client.invitations.sent()]


# -- received -------------------------------------------------------------------------------


async def test_received_ends_only_on_end_of_list(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    for index in range(12):
        fake.add_received_invitation(f"fan-{index}")
    invitations = [i async for i in client.invitations.received()]
    assert len(invitations) == 12
    # 10, then 2 (short, but not the end), then an empty page with endOfList: true.
    assert [r.query["startIndex"] for r in fake.requests] == ["0", "10", "12"]


async def test_an_empty_received_page_without_end_of_list_is_not_the_end(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # LinkedIn filtered out the first page's cards: the walk moves on a whole page.
    fake.add_received_invitation("oldest-fan")
    for index in range(10):
        fake.add_received_invitation(f"fan-{index}")
    fake.fail_next(200, body=page([], endOfList=False), path=RECEIVED)
    invitations = [i async for i in client.invitations.received()]
    assert [i.profile.public_identifier for i in invitations if i.profile] == ["oldest-fan"]
    assert [r.query["startIndex"] for r in fake.requests] == ["0", "10", "11"]


async def test_many_empty_received_pages_without_the_marker_raise(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body=page([], endOfList=False), path=RECEIVED, count=10)
    with pytest.raises(connectsafely.PaginationError, match="endOfList"):
        [i async for i in client.invitations.received()]
    assert len(fake.requests) == 5


async def test_received_raises_on_a_page_that_repeats_the_one_before(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body=page(range(10), endOfList=False), path=RECEIVED, count=3)
    with pytest.raises(connectsafely.PaginationError, match="same invitations"):
        [i async for i in client.invitations.received()]


async def test_invitations_unavailable_502_is_retried(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.add_received_invitation("fan-1")
    unavailable = {
        "success": False,
        "code": "INVITATIONS_UNAVAILABLE",
        "message": "LinkedIn returned no invitations; retry shortly",
    }
    fake.fail_next(502, body=unavailable, path=RECEIVED)
    invitations = [i async for i in client.invitations.received()]
    assert len(invitations) == 1 and len(sleeps) == 1
    assert [r.query["startIndex"] for r in fake.requests] == ["0", "0", "1"]


async def test_received_decodes_the_received_only_fields(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.add_received_invitation("fan-1", note="Loved your post!", account_id=ACCOUNT_B)
    fake.add_received_invitation("acme-corp", category="ORGANIZATION", account_id=ACCOUNT_B)
    company, person = [i async for i in client.invitations.received(account_id=ACCOUNT_B)]
    assert fake.requests[0].query["accountId"] == ACCOUNT_B
    record = fake.invitations[0]
    assert person.invitation_type == "RECEIVED" and person.invitation_category == "CONNECTION"
    assert person.linkedin_invitation_type == "GenericInvitationType_CONNECTION"
    assert person.validation_token == record.validation_token
    assert person.custom_message == "Loved your post!" and person.received_at == "just now"
    assert person.member_id == fake.profiles["fan-1"].member_id
    assert person.account_id == ACCOUNT_B
    # Organization invitations carry empty member ids: None, not "".
    assert (company.member_id, company.member_urn) == (None, None)
    assert company.company_name == "Corp Inc." and company.raw["memberId"] == ""


# -- respond --------------------------------------------------------------------------------


async def test_accepting_sends_the_listing_fields_and_connects(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fan = fake.add_profile("deepika-k", first_name="Deepika", last_name="Khare")
    fake.add_received_invitation(fan)
    [invitation] = [i async for i in client.invitations.received()]
    result = await client.invitations.respond(invitation, accept=True)
    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", RESPOND)
    assert request.json() == {
        "accountId": fake.default_account_id,
        "action": "ACCEPT",
        "invitationId": invitation.invitation_id,
        "validationToken": invitation.validation_token,
        "linkedInInvitationType": "GenericInvitationType_CONNECTION",
        "firstName": "Deepika",
        "lastName": "Khare",
        "profileId": fan.member_id,
    }
    assert result.message == "Invitation from Deepika Khare accepted"
    relationship = await client.profiles.relationship("deepika-k")
    assert relationship.connected and not relationship.invitation_received


async def test_ignoring_leaves_them_unconnected(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.add_received_invitation("fan-1", account_id=ACCOUNT_B)
    [invitation] = [i async for i in client.invitations.received(account_id=ACCOUNT_B)]
    await client.invitations.respond(invitation, accept=False)  # the listing's account
    request = fake.requests[-1]
    assert request.json()["action"] == "IGNORE" and request.json()["accountId"] == ACCOUNT_B
    relationship = await client.profiles.relationship("fan-1", account_id=ACCOUNT_B)
    assert not relationship.connected and not relationship.invitation_received
    assert fake.invitations[0].state == "declined"


async def test_an_organization_invitation_is_answered_without_a_member_id(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.add_received_invitation("acme-corp", category="ORGANIZATION")
    [invitation] = [i async for i in client.invitations.received()]
    await client.invitations.respond(invitation, accept=True)
    assert "profileId" not in fake.requests[-1].json()


async def test_a_stale_validation_token_is_the_documented_500(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    fake.add_received_invitation("fan-1")
    async with make_client(max_retries=0) as client:
        [invitation] = [i async for i in client.invitations.received()]
        fake.invitations[0].validation_token = "rotated"
        with pytest.raises(connectsafely.InternalServerError):
            await client.invitations.respond(invitation, accept=True)


@pytest.mark.parametrize(
    ("invitation", "accept", "error", "named"),
    [
        ("not-an-invitation", True, TypeError, "Invitation"),
        (Invitation(invitation_id="1", validation_token="t"), True, ValueError, "linkedIn"),
        (Invitation(invitation_id="1", linkedin_invitation_type="x"), True, ValueError, "valid"),
        (Invitation(invitation_id="1", validation_token="t"), "yes", TypeError, "accept"),
    ],
)
async def test_respond_checks_its_arguments_before_any_request(
    client: AsyncClient,
    fake: FakeConnectSafely,
    invitation: Any,
    accept: Any,
    error: type,
    named: str,
) -> None:
    with pytest.raises(error, match=named):
        await client.invitations.respond(invitation, accept=accept)
    assert fake.requests == []


# -- withdraw -------------------------------------------------------------------------------


async def test_withdraw_a_listed_invitation_sends_what_is_known(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe")
    [invitation] = [i async for i in client.invitations.sent()]
    result = await client.invitations.withdraw(invitation)
    request = fake.requests[-1]
    jane = fake.profiles["jane-doe"]
    assert (request.method, request.path) == ("POST", WITHDRAW)
    assert request.json() == {
        "accountId": fake.default_account_id,
        "profileId": "jane-doe",
        "memberId": jane.member_id,
        "firstName": "Jane",
        "lastName": "Doe",
        "profileUrn": jane.urn,
        "invitationId": invitation.invitation_id,
    }
    assert result.message == "Successfully withdrew invitation to Jane Doe"
    relationship = await client.profiles.relationship("jane-doe")
    assert not relationship.invitation_sent and fake.invitations[0].state == "withdrawn"


async def test_withdraw_by_slug_sends_the_slug_alone(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.invitations.send("jane-doe", account_id=ACCOUNT_B)
    await client.invitations.withdraw("jane-doe", account_id=ACCOUNT_B)
    assert fake.requests[-1].json() == {"accountId": ACCOUNT_B, "profileId": "jane-doe"}


async def test_withdrawing_with_nothing_pending_is_not_found(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client() as client:
        with pytest.raises(connectsafely.NotFoundError):
            await client.invitations.withdraw("jane-doe")


async def test_withdraw_checks_its_argument_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(TypeError, match="invitation"):
        await client.invitations.withdraw(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="public_identifier"):
        await client.invitations.withdraw(Invitation(invitation_id="1"))
    with pytest.raises(ValueError, match="profile_id"):
        await client.invitations.withdraw("")
    assert fake.requests == []


async def test_an_invitation_pickles_with_its_raw_entry(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.add_received_invitation("fan-1", note="Hi")
    [invitation] = [i async for i in client.invitations.received()]
    copy = pickle.loads(pickle.dumps(invitation))
    assert copy == invitation and dict(copy.raw) == dict(invitation.raw)
    assert copy.validation_token == invitation.validation_token
