"""Fake profile, relationship and connect endpoints (state in `_network.Network`).

- ``POST /linkedin/connect``: ``profileId`` or ``profileUrn`` (the URN wins when both
  come), ``customMessage`` at most 300 characters -> 400 in the fake's error style;
  unknown account or profile -> 404; already connected or already invited -> 400 (the
  docs leave both open). The 91st request of a calendar week -> 429 with the documented
  hold body (text naming ``CONNECT``, ``holdUntil`` 24 h later), and the account's
  connection requests are held until then.
- ``GET``/``POST /linkedin/profile``: ``profileId`` required -> 400; an unknown profile
  is a 200 with an empty ``profile`` object (as documented, not a 404); experience,
  education and skills only on the POST form when asked for, at the top level. Counted
  as ``PROFILE_VIEW`` (120 a day, then 429), cached 6 h (``cached``/``cachedAt``/
  ``expiresAt``; cached answers are free), ``forceRefresh`` skips the cache.
- ``POST /linkedin/profile/visit``: ``profileId`` required, unknown -> 400; counts as
  ``PROFILE_VIEW``; ``profileUrn`` is the bare member id, as in the documented example.
- ``GET /linkedin/relationship/{profileId}`` and ``.../{accountId}/{profileId}``: no
  ``success`` field; unknown profile or account -> 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._clock import iso_utc
from ._network import (
    PROFILE_CACHE,
    PROFILE_VIEW_LIMIT,
    ConnectLimitError,
    ProfileViewLimitError,
)
from ._records import FakeProfile
from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import World

__all__ = ["ROUTES"]

MAX_NOTE = 300


def _text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise FakeHTTPError(
            400, f"{name} must be a non-empty string", code="validation_error", field=name
        )
    return value


def _known(world: World, value: str) -> FakeProfile:
    profile = world.network.find(value)
    if profile is None:
        raise FakeHTTPError(404, "Profile not found", code="profile_not_found")
    return profile


async def connect(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/connect``."""
    body = json_object(request)
    slug, urn = _text(body, "profileId"), _text(body, "profileUrn")
    note = body.get("customMessage")
    if slug is None and urn is None:
        raise FakeHTTPError(
            400, "Either profileId or profileUrn must be provided", code="validation_error"
        )
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise FakeHTTPError(
            400,
            f"customMessage must be a string of at most {MAX_NOTE} characters",
            code="validation_error",
            field="customMessage",
        )
    account = world.account_for(body.get("accountId"))
    profile = _known(world, urn if urn is not None else str(slug))
    try:
        world.network.connect(account, profile, note or None)
    except ConnectLimitError as refused:
        return FakeResponse(429, refused.body())
    payload = {
        "success": True,
        "message": "Connection request sent successfully",
        "profileUrn": profile.urn,
    }
    return FakeResponse(200, payload)


def _flag(source: Mapping[str, Any], name: str) -> bool:
    value = source.get(name)
    if isinstance(value, str):  # the GET form's query text
        return value.lower() == "true"
    return value is True


def _profile_object(
    profile: FakeProfile, account_id: str, world: World, *, geo: bool
) -> dict[str, Any]:
    network = world.network
    connected = network.connected(account_id, profile)
    degree = "DISTANCE_1" if connected else "DISTANCE_2"
    obj: dict[str, Any] = {
        "firstName": profile.first_name,
        "lastName": profile.last_name,
        "headline": profile.headline,
        "location": dict(profile.location),
        "entityUrn": profile.urn,
        "publicIdentifier": profile.profile_id,
        "profilePicture": f"https://media.licdn.com/dms/image/{profile.profile_id}",
        "isPremium": False,
        "isVerified": False,
        "supportsFreeEmail": False,
        "connectionCount": 500,
        "followerCount": 800,
        "isConnected": connected,
        "connectionDegree": degree,
        "invitationSent": network.pending(account_id, profile, "sent") is not None,
        "invitationReceived": network.pending(account_id, profile, "received") is not None,
        **profile.extra,
    }
    if geo:
        obj["geoLocation"] = {
            "city": "Remote",
            "state": None,
            "country": "United States",
            "fullLocation": "Remote, United States",
            "birthDate": None,
        }
    return obj


async def profile(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/profile`` (query) and ``POST /linkedin/profile`` (body)."""
    post = request.method == "POST"
    source: Mapping[str, Any] = json_object(request) if post else request.query
    slug = _text(source, "profileId")
    if slug is None:
        raise FakeHTTPError(
            400, "profileId is required", code="validation_error", field="profileId"
        )
    account = world.account_for(source.get("accountId"))
    found = world.network.profiles.get(slug)
    payload: dict[str, Any] = {"success": True, "profileId": slug, "accountId": account.account_id}
    if found is None:
        return FakeResponse(200, {**payload, "profile": {}, "message": "Profile not found"})
    try:
        cached_at = world.network.view(
            account.account_id, found, cacheable=True, refresh=_flag(source, "forceRefresh")
        )
    except ProfileViewLimitError as refused:
        text = (
            f"Rate limit exceeded for PROFILE_VIEW: {PROFILE_VIEW_LIMIT}/{PROFILE_VIEW_LIMIT} "
            f"used. Resets at {iso_utc(refused.reset)}"
        )
        raise FakeHTTPError(429, text, code="rate_limited") from None
    fetched = world.clock.now() if cached_at is None else cached_at
    payload["profile"] = _profile_object(
        found, account.account_id, world, geo=_flag(source, "includeGeoLocation")
    )
    for flag, section in (
        ("includeExperience", found.experience),
        ("includeEducation", found.education),
        ("includeSkills", found.skills),
    ):
        if post and _flag(source, flag):
            payload[flag[len("include") :].lower()] = [dict(entry) for entry in section]
    payload["cached"] = cached_at is not None
    if cached_at is not None:
        payload["cachedAt"] = iso_utc(cached_at)
    payload["expiresAt"] = iso_utc(fetched + PROFILE_CACHE)
    return FakeResponse(200, payload)


async def visit(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``POST /linkedin/profile/visit``."""
    body = json_object(request)
    slug = _text(body, "profileId")
    if slug is None:
        raise FakeHTTPError(
            400, "profileId is required", code="validation_error", field="profileId"
        )
    account = world.account_for(body.get("accountId"))
    found = world.network.profiles.get(slug)
    if found is None:
        raise FakeHTTPError(400, "Profile not found", code="profile_not_found")
    try:
        world.network.view(account.account_id, found, cacheable=False, refresh=True)
    except ProfileViewLimitError as refused:
        text = f"Rate limit exceeded for PROFILE_VIEW. Resets at {iso_utc(refused.reset)}"
        raise FakeHTTPError(429, text, code="rate_limited") from None
    payload = {
        "success": True,
        "profileId": slug,
        "profileUrn": found.member_id,
        "numericMemberId": found.numeric_member_id,
        "message": "Profile visited successfully",
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


async def relationship(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/relationship/{profileId}`` and ``.../{accountId}/{profileId}``."""
    account = world.account_for(params.get("account_id"))
    found = world.network.profiles.get(params["profile_id"])
    if found is None:
        raise FakeHTTPError(404, "Profile not found", code="profile_not_found")
    return FakeResponse(200, world.network.relationship(account.account_id, found))


_PROFILE_FLAGS = ("includeGeoLocation", "includeContact", "forceRefresh")
_CONNECT = Shape(
    body={
        "accountId": optional("string"),
        "profileId": optional("string"),
        "profileUrn": optional("string"),
        "customMessage": optional("string"),
    },
    one_of=((("profileId", "profileUrn"), "Either profileId or profileUrn must be provided"),),
)
_PROFILE_GET = Shape(
    query={
        "profileId": required("string"),
        **{flag: optional("boolean") for flag in _PROFILE_FLAGS},
    }
)
_PROFILE_POST = Shape(
    body={
        "profileId": required("string"),
        "accountId": optional("string"),
        **{
            flag: optional("boolean")
            for flag in (*_PROFILE_FLAGS, "includeExperience", "includeEducation", "includeSkills")
        },
    }
)
_VISIT = Shape(body={"profileId": required("string"), "accountId": optional("string")})

ROUTES = [
    Route("POST", "/linkedin/connect", connect, _CONNECT),
    Route("GET", "/linkedin/profile", profile, _PROFILE_GET),
    Route("POST", "/linkedin/profile", profile, _PROFILE_POST),
    Route("POST", "/linkedin/profile/visit", visit, _VISIT),
    Route("GET", "/linkedin/relationship/{profile_id}", relationship),
    Route("GET", "/linkedin/relationship/{account_id}/{profile_id}", relationship),
]
