"""``client.profiles``: fetch a profile, visit it, read the account's relationship to it.

Profile fetches and visits count as ``PROFILE_VIEW`` for the limits (120 unique profiles
per account per day, cached fetches free); the relationship read is a plain read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import attrs

from .. import _validate as check
from .._errors import NotFoundError
from .._limits import CallScope
from .._models.profiles import Education, Experience, Profile, ProfileVisit, Relationship, Skill
from ._base import Resource, decode_part

__all__ = ["Profiles"]

PROFILE_VIEW = "PROFILE_VIEW"
"""The action category of profile fetches and visits (the quota's ``feature``)."""

_TOP_LEVEL = frozenset(
    [
        *("profileId", "accountId", "experience", "education", "skills"),
        *("cached", "cachedAt", "expiresAt", "message", "raw"),
    ]
)
"""Response fields that are not in the ``profile`` object (left out of its decoding)."""


@attrs.frozen
class _ProfileEnvelope:
    profile: dict[str, Any] | None = None
    profile_id: str | None = None
    account_id: str | None = None
    experience: tuple[Experience, ...] | None = None
    education: tuple[Education, ...] | None = None
    skills: tuple[Skill, ...] | None = None
    cached: bool | None = None
    cached_at: datetime | None = None
    expires_at: datetime | None = None
    message: str | None = None


class Profiles(Resource):
    """LinkedIn profiles (``client.profiles``)."""

    __slots__ = ()

    async def get(
        self,
        profile_id: str,
        *,
        include_contact: bool = False,
        include_geo_location: bool = False,
        include_experience: bool = False,
        include_education: bool = False,
        include_skills: bool = False,
        force_refresh: bool = False,
        account_id: str | None = None,
    ) -> Profile:
        """Fetch a profile (``POST /linkedin/profile``).

        Counts as a ``PROFILE_VIEW`` of the account (120 unique profiles a day); an
        answer from ConnectSafely's 6-hour cache (``Profile.cached``) is free, and
        ``force_refresh=True`` skips the cache, so it always counts.

        Examples:
            >>> jane = await client.profiles.get("jane-doe", include_skills=True)  # doctest: +SKIP
            >>> jane.first_name, [skill.name for skill in jane.skills]  # doctest: +SKIP
            ('Jane', ['Python'])

        Args:
            profile_id: The vanity slug after ``linkedin.com/in/`` (the API takes no URN).
            include_contact: Add contact details (shape undocumented: see ``raw``).
            include_geo_location: Add `Profile.geo_location`.
            include_experience: Add `Profile.experience`.
            include_education: Add `Profile.education`.
            include_skills: Add `Profile.skills`.
            force_refresh: Skip the cache (counts against the daily quota).
            account_id: The account fetching it; defaults to the client's.

        Returns:
            The `Profile`.

        Raises:
            ValueError: A blank ``profile_id`` (before any request).
            TypeError: A flag that is not a bool.
            NotFoundError: No such profile. The API answers 200 with an empty
                ``profile`` object; the SDK raises this instead of returning a profile
                of ``None`` fields (``status_code`` is then the response's, 200).
            RateLimitError: The account's daily profile views are used up.
        """
        slug = check.profile_slug(profile_id)
        flags = {
            "includeContact": check.flag(include_contact, "include_contact"),
            "includeGeoLocation": check.flag(include_geo_location, "include_geo_location"),
            "includeExperience": check.flag(include_experience, "include_experience"),
            "includeEducation": check.flag(include_education, "include_education"),
            "includeSkills": check.flag(include_skills, "include_skills"),
            "forceRefresh": check.flag(force_refresh, "force_refresh"),
        }
        body = self._body_with_account(account_id, profileId=slug)
        body.update({name: True for name, value in flags.items() if value})
        envelope = await self._core.request(
            "POST",
            "/linkedin/profile",
            json_body=body,
            cast_to=_ProfileEnvelope,
            scope=CallScope(account=body.get("accountId"), kind=PROFILE_VIEW),
        )
        return _profile_from(envelope, slug)

    async def visit(self, profile_id: str, *, account_id: str | None = None) -> ProfileVisit:
        """Visit a profile, so they see the account in "who viewed your profile".

        ``POST /linkedin/profile/visit``. The SDK counts it as a ``PROFILE_VIEW`` (the
        API does not say whether it does).

        Args:
            profile_id: The vanity slug.
            account_id: The account visiting; defaults to the client's.

        Returns:
            A `ProfileVisit` (its ``profile_urn`` is a bare ``ACoAA...`` member id).

        Raises:
            ValueError: A blank ``profile_id`` (before any request).
        """
        body = self._body_with_account(account_id, profileId=check.profile_slug(profile_id))
        return await self._core.request(
            "POST",
            "/linkedin/profile/visit",
            json_body=body,
            cast_to=ProfileVisit,
            scope=CallScope(account=body.get("accountId"), kind=PROFILE_VIEW),
        )

    async def relationship(self, profile_id: str, *, account_id: str | None = None) -> Relationship:
        """How the account stands with a profile: connected, invited, invited by them.

        ``GET /linkedin/relationship/{profileId}``, or
        ``GET /linkedin/relationship/{accountId}/{profileId}`` when an account is given
        (or the client has one): the API takes the account in the path only.

        Examples:
            >>> rel = await client.profiles.relationship("jane-doe")  # doctest: +SKIP
            >>> rel.connected, rel.invitation_sent  # doctest: +SKIP
            (False, True)

        Args:
            profile_id: The vanity slug.
            account_id: The account asking; defaults to the client's.

        Returns:
            The `Relationship`.

        Raises:
            ValueError: A blank ``profile_id`` (before any request).
            NotFoundError: No such profile (or account).
        """
        slug = quote(check.profile_slug(profile_id), safe="")
        account = self._account(account_id)
        if account is None:
            path = f"/linkedin/relationship/{slug}"
        else:
            path = f"/linkedin/relationship/{check.path_segment_text(account, 'account_id')}/{slug}"
        return await self._core.request("GET", path, cast_to=Relationship)


def _profile_from(envelope: _ProfileEnvelope, asked: str) -> Profile:
    raw: Mapping[str, Any] = envelope.profile or {}
    if not raw:
        raise NotFoundError(
            f"No LinkedIn profile {asked!r} (the API answered with an empty profile).",
            response=None,
            status_code=200,
        )
    fields = {name: value for name, value in raw.items() if name not in _TOP_LEVEL}
    decoded = decode_part(fields, Profile, "$.profile")
    return attrs.evolve(
        decoded,
        profile_id=envelope.profile_id or asked,
        account_id=envelope.account_id,
        experience=envelope.experience or (),
        education=envelope.education or (),
        skills=envelope.skills or (),
        cached=envelope.cached,
        cached_at=envelope.cached_at,
        expires_at=envelope.expires_at,
        message=envelope.message,
        raw=raw,
    )
