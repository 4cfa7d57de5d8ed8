"""``client.profiles`` (design §14): each call's wire form, decoded fields, checks, errors."""

from __future__ import annotations

import pickle
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


# -- get ----------------------------------------------------------------------------------


async def test_get_posts_the_slug_and_only_the_flags_asked_for(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.profiles.get("jane-doe")
    await client.profiles.get(
        "jane-doe",
        include_contact=True,
        include_geo_location=True,
        include_experience=True,
        include_education=True,
        include_skills=True,
        force_refresh=True,
        account_id=ACCOUNT_B,
    )
    first, second = fake.requests
    assert (first.method, first.path) == ("POST", "/linkedin/profile")
    assert first.json() == {"profileId": "jane-doe"}
    assert second.json() == {
        "accountId": ACCOUNT_B,
        "profileId": "jane-doe",
        "includeContact": True,
        "includeGeoLocation": True,
        "includeExperience": True,
        "includeEducation": True,
        "includeSkills": True,
        "forceRefresh": True,
    }


async def test_get_decodes_the_profile_and_the_top_level_sections(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    person = fake.add_profile("sam-lee", first_name="Sam", last_name="Lee", isPremium=True)
    person.experience.append({"title": "CTO", "companyName": "Acme", "newField": 1})
    person.skills.append({"skillId": "1", "name": "Python", "endorsementCount": 12})
    person.education.append({"schoolName": "MIT", "startYear": 2010, "endYear": 2014})
    profile = await client.profiles.get(
        "sam-lee",
        include_experience=True,
        include_skills=True,
        include_education=True,
        include_geo_location=True,
    )
    assert (profile.profile_id, profile.first_name, profile.last_name) == ("sam-lee", "Sam", "Lee")
    assert profile.entity_urn == person.urn and profile.public_identifier == "sam-lee"
    assert profile.is_premium is True and profile.connection_degree == "DISTANCE_2"
    assert profile.account_id == fake.default_account_id
    assert profile.location is not None and profile.location.country_code == "us"
    assert profile.geo_location is not None and profile.geo_location.country == "United States"
    assert [(e.title, e.company_name) for e in profile.experience] == [("CTO", "Acme")]
    assert [(s.name, s.endorsement_count) for s in profile.skills] == [("Python", 12)]
    assert [(e.school_name, e.end_year) for e in profile.education] == [("MIT", 2014)]
    assert profile.cached is False and profile.expires_at == NOON + timedelta(hours=6)
    assert profile.raw["firstName"] == "Sam" and "experience" not in profile.raw
    with pytest.raises(TypeError):
        profile.raw["firstName"] = "Other"  # type: ignore[index]


async def test_get_without_sections_leaves_them_empty(client: AsyncClient) -> None:
    profile = await client.profiles.get("jane-doe")
    assert (profile.experience, profile.education, profile.skills) == ((), (), ())
    assert profile.geo_location is None


async def test_a_second_fetch_within_six_hours_is_the_cached_one(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.profiles.get("jane-doe")
    fake.clock.advance(3600)
    again = await client.profiles.get("jane-doe")
    assert again.cached is True and again.cached_at == NOON


async def test_an_empty_profile_object_is_not_found(client: AsyncClient) -> None:
    with pytest.raises(connectsafely.NotFoundError) as info:
        await client.profiles.get("nobody-here")
    assert info.value.status_code == 200  # the API's answer: 200 with "profile": {}
    assert "nobody-here" in str(info.value)


async def test_unknown_fields_are_ignored_and_missing_ones_are_none(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    body = {
        "success": True,
        "profileId": "jane-doe",
        "profile": {"firstName": "Jane", "somethingNew": {"x": 1}, "location": None},
        "experience": None,
        "brandNew": [1, 2],
    }
    fake.fail_next(200, body=body)
    profile = await client.profiles.get("jane-doe")
    assert profile.first_name == "Jane" and profile.last_name is None
    assert profile.location is None and profile.experience == ()
    assert profile.account_id is None and profile.cached is None
    assert profile.raw == {"firstName": "Jane", "somethingNew": {"x": 1}, "location": None}


async def test_a_profile_field_of_the_wrong_type_names_its_path(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True, "profile": {"firstName": "J", "isPremium": "yes"}})
    async with make_client() as client:
        with pytest.raises(connectsafely.APIResponseValidationError) as info:
            await client.profiles.get("jane-doe")
    assert "$.profile.isPremium" in str(info.value)


async def test_a_profile_pickles_with_its_raw_object(client: AsyncClient) -> None:
    profile = await client.profiles.get("jane-doe")
    copy = pickle.loads(pickle.dumps(profile))
    assert copy == profile and dict(copy.raw) == dict(profile.raw)


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"profile_id": ""}, ValueError, "profile_id"),
        ({"profile_id": "  "}, ValueError, "profile_id"),
        ({"profile_id": " jane"}, ValueError, "profile_id"),
        ({"profile_id": 42}, TypeError, "profile_id"),
        ({"profile_id": "jane\n"}, ValueError, "profile_id"),
        ({"profile_id": "jane", "include_skills": "yes"}, TypeError, "include_skills"),
        ({"profile_id": "jane", "force_refresh": 1}, TypeError, "force_refresh"),
        ({"profile_id": "jane", "account_id": ""}, ValueError, "account_id"),
    ],
)
async def test_get_checks_its_arguments_before_any_request(
    client: AsyncClient, fake: FakeConnectSafely, kwargs: dict[str, Any], error: type, named: str
) -> None:
    with pytest.raises(error, match=named):
        await client.profiles.get(**kwargs)
    assert fake.requests == []


async def test_the_get_form_of_the_fake_serves_the_same_profile(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # The SDK uses the POST form; the fake answers the GET form too, as documented.
    profile = await client.profiles.get("jane-doe")
    [request] = fake.requests
    transport = fake.transport()
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as raw:
        response = await raw.get(
            "/linkedin/profile",
            params={"profileId": "jane-doe"},
            headers={"Authorization": f"Bearer {fake.api_key}"},
        )
    assert response.json()["profile"]["entityUrn"] == profile.entity_urn
    assert response.json()["cached"] is True  # the same account's cache
    assert request.path == "/linkedin/profile"


# -- visit --------------------------------------------------------------------------------


async def test_visit_posts_the_slug_and_decodes_the_bare_member_id(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    visit = await client.profiles.visit("jane-doe", account_id=ACCOUNT_B)
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/linkedin/profile/visit")
    assert request.json() == {"accountId": ACCOUNT_B, "profileId": "jane-doe"}
    jane = fake.profiles["jane-doe"]
    assert visit.profile_urn == jane.member_id and not visit.profile_urn.startswith("urn:")
    assert visit.numeric_member_id == jane.numeric_member_id
    assert (visit.success, visit.profile_id, visit.account_id) == (True, "jane-doe", ACCOUNT_B)


async def test_visit_of_an_unknown_profile_is_a_bad_request(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client() as client:
        with pytest.raises(connectsafely.BadRequestError):
            await client.profiles.visit("nobody-here")
    assert len(fake.requests) == 1  # a 400 is not retried


async def test_visit_checks_the_slug_first(client: AsyncClient, fake: FakeConnectSafely) -> None:
    with pytest.raises(ValueError, match="profile_id"):
        await client.profiles.visit("")
    assert fake.requests == []


# -- relationship -------------------------------------------------------------------------


async def test_relationship_of_the_default_account_has_one_path_segment(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    relationship = await client.profiles.relationship("jane-doe")
    [request] = fake.requests
    assert (request.method, request.raw_path) == ("GET", "/linkedin/relationship/jane-doe")
    assert request.query == {}
    assert relationship == connectsafely.Relationship(
        connected=False,
        invitation_sent=False,
        invitation_received=False,
        status="NOT_CONNECTED",
        profile_urn=fake.profiles["jane-doe"].urn,
        account_id=fake.default_account_id,
    )


async def test_relationship_of_an_account_puts_it_in_the_path(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client(account_id=ACCOUNT_B) as client:
        await client.profiles.relationship("jane-doe")
        await client.profiles.relationship("jane-doe", account_id=fake.default_account_id)
    first, second = fake.requests
    assert first.raw_path == f"/linkedin/relationship/{ACCOUNT_B}/jane-doe"
    assert second.raw_path == f"/linkedin/relationship/{fake.default_account_id}/jane-doe"


async def test_relationship_percent_encodes_the_segments(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.add_profile("odd/slug?x=1")
    relationship = await client.profiles.relationship("odd/slug?x=1")
    [request] = fake.requests
    assert request.raw_path == "/linkedin/relationship/odd%2Fslug%3Fx%3D1"
    assert relationship.profile_urn == fake.profiles["odd/slug?x=1"].urn


async def test_relationship_of_an_unknown_profile_is_not_found(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client() as client:
        with pytest.raises(connectsafely.NotFoundError):
            await client.profiles.relationship("nobody-here")
    assert len(fake.requests) == 1


async def test_relationship_checks_its_arguments_first(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(ValueError, match="profile_id"):
        await client.profiles.relationship("..")
    with pytest.raises(TypeError, match="account_id"):
        await client.profiles.relationship("jane-doe", account_id=5)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_a_relationship_decodes_unknown_and_missing_fields(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"connected": True, "degree": "1st", "followStatus": "x"})
    relationship = await client.profiles.relationship("jane-doe")
    assert relationship == connectsafely.Relationship(connected=True)
