"""Models of the profile endpoints: a profile, a visit, the relationship to a profile.

`Profile` is decoded from the response's ``profile`` object (documented fields in
snake_case, the object itself as ``raw``); the sections asked for with ``include_*``
(experience, education, skills) sit at the top level of the response and are decoded
into small models of their own. Unknown fields are ignored, missing ones are ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

__all__ = [
    "BirthDate",
    "Education",
    "Experience",
    "GeoLocation",
    "Profile",
    "ProfileLocation",
    "ProfileVisit",
    "Relationship",
    "Skill",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of ``value`` (what ``raw`` attributes hold)."""
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen
class ProfileLocation:
    """Where a profile says it is (``Profile.location``).

    Attributes:
        country_code: ISO country code, e.g. ``"us"``.
        postal_code: Postal code, when given.
        geo_location_name: A place name, e.g. ``"San Francisco Bay Area"``.
    """

    country_code: str | None = None
    postal_code: str | None = None
    geo_location_name: str | None = None


@attrs.frozen
class BirthDate:
    """A birth date as LinkedIn shares it (any part may be missing)."""

    month: int | None = None
    day: int | None = None
    year: int | None = None


@attrs.frozen
class GeoLocation:
    """The detailed location of ``include_geo_location=True`` (``Profile.geo_location``).

    Attributes:
        city: City.
        state: State or region.
        country: Country.
        full_location: The location as one line of text.
        birth_date: The birth date, when shared.
    """

    city: str | None = None
    state: str | None = None
    country: str | None = None
    full_location: str | None = None
    birth_date: BirthDate | None = None


@attrs.frozen
class Experience:
    """One position of ``include_experience=True`` (``Profile.experience``).

    Attributes:
        title: The job title.
        company_name: The employer.
        employment_type: E.g. ``"Full-time"``.
        duration: The period as LinkedIn writes it, e.g. ``"Jan 2022 - Present"``.
        location: Where.
        description: The position's description.
        company_url: The company's LinkedIn page.
        company_logo_url: The company's logo.
    """

    title: str | None = None
    company_name: str | None = None
    employment_type: str | None = None
    duration: str | None = None
    location: str | None = None
    description: str | None = None
    company_url: str | None = None
    company_logo_url: str | None = None


@attrs.frozen
class Education:
    """One school of ``include_education=True`` (``Profile.education``).

    Attributes:
        school_name: The school.
        degree: The degree.
        field_of_study: The field.
        date_range: The period as LinkedIn writes it.
        start_year: First year.
        end_year: Last year.
        grade: The grade.
        activities: Activities and societies.
        description: The entry's description.
    """

    school_name: str | None = None
    degree: str | None = None
    field_of_study: str | None = None
    date_range: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    grade: str | None = None
    activities: str | None = None
    description: str | None = None


@attrs.frozen
class Skill:
    """One skill of ``include_skills=True`` (``Profile.skills``).

    Attributes:
        skill_id: LinkedIn's id of the skill.
        name: The skill.
        endorsement_count: How many endorsed it.
        is_endorsed: Whether the account endorsed it.
    """

    skill_id: str | None = None
    name: str | None = None
    endorsement_count: int | None = None
    is_endorsed: bool | None = None


@attrs.frozen
class Profile:
    """A LinkedIn profile (``client.profiles.get``).

    The profile fields come from the response's ``profile`` object; ``experience``,
    ``education`` and ``skills`` (top-level in the response) are empty unless asked for
    with ``include_*``. Contact details (``include_contact=True``) have no documented
    shape: read them from ``raw``.

    Attributes:
        profile_id: The vanity slug asked for (the response's ``profileId``).
        account_id: The account that fetched it.
        first_name: First name.
        last_name: Last name.
        headline: The headline under the name.
        location: `ProfileLocation`.
        entity_urn: ``urn:li:fsd_profile:ACoAA...`` (what ``invitations.send`` takes as
            ``profile_urn``).
        public_identifier: The vanity slug.
        profile_picture: A 100x100 picture URL, or ``None``.
        is_premium: Premium member.
        is_verified: Verified member.
        supports_free_email: An open profile (free messages from non-connections).
        connection_count: Connections.
        follower_count: Followers.
        is_connected: A 1st-degree connection of the account.
        connection_degree: ``"DISTANCE_1"``, ``"DISTANCE_2"``, ``"DISTANCE_3"`` or ``None``.
        invitation_sent: The account has a pending invitation to them.
        invitation_received: They have a pending invitation to the account.
        geo_location: `GeoLocation` (``include_geo_location=True`` only).
        experience: `Experience` entries (``include_experience=True`` only).
        education: `Education` entries (``include_education=True`` only).
        skills: `Skill` entries (``include_skills=True`` only).
        cached: Served from ConnectSafely's 6-hour cache (cached fetches are free).
        cached_at: When it was cached (``cached`` answers only).
        expires_at: When the cached copy expires.
        message: The server's status sentence, if any.
        raw: The response's ``profile`` object exactly as received (read-only).
    """

    profile_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    headline: str | None = None
    location: ProfileLocation | None = None
    entity_urn: str | None = None
    public_identifier: str | None = None
    profile_picture: str | None = None
    is_premium: bool | None = None
    is_verified: bool | None = None
    supports_free_email: bool | None = None
    connection_count: int | None = None
    follower_count: int | None = None
    is_connected: bool | None = None
    connection_degree: str | None = None
    invitation_sent: bool | None = None
    invitation_received: bool | None = None
    geo_location: GeoLocation | None = None
    experience: tuple[Experience, ...] = ()
    education: tuple[Education, ...] = ()
    skills: tuple[Skill, ...] = ()
    cached: bool | None = None
    cached_at: datetime | None = None
    expires_at: datetime | None = None
    message: str | None = None
    raw: Mapping[str, Any] = attrs.field(
        default=_EMPTY, converter=frozen_mapping, eq=False, repr=False
    )

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType does not pickle: rebuild from a plain dict.
        values = attrs.astuple(self, recurse=False)
        return (_rebuild_profile, ((*values[:-1], dict(self.raw)),))


def _rebuild_profile(values: tuple[Any, ...]) -> Profile:
    return Profile(*values)


@attrs.frozen
class ProfileVisit:
    """``POST /linkedin/profile/visit``: a profile visited (they see "who viewed").

    Attributes:
        success: Always True (a failure raises instead).
        profile_id: The vanity slug visited.
        profile_urn: The visited member's id as the API sends it: a bare ``ACoAA...``
            member id, not a full URN.
        numeric_member_id: LinkedIn's numeric member id.
        message: The server's status sentence.
        account_id: The account that visited.
    """

    success: bool = True
    profile_id: str | None = None
    profile_urn: str | None = None
    numeric_member_id: int | None = None
    message: str | None = None
    account_id: str | None = None


@attrs.frozen
class Relationship:
    """How an account stands with a profile (``client.profiles.relationship``).

    Attributes:
        connected: A 1st-degree connection.
        invitation_sent: The account has a pending invitation to them.
        invitation_received: They have a pending invitation to the account.
        status: The API's summary, e.g. ``"NOT_CONNECTED"`` (an open set of strings:
            compare the booleans rather than this).
        profile_urn: The profile's URN.
        account_id: The account the check ran as.
    """

    connected: bool | None = None
    invitation_sent: bool | None = None
    invitation_received: bool | None = None
    status: str | None = None
    profile_urn: str | None = None
    account_id: str | None = None
