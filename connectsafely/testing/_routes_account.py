"""Fake account endpoints: the accounts, the status and the usage quota of one account.

- ``GET /linkedin/accounts``: a bare JSON array of every account (no envelope), filtered
  by ``q`` (a part of the first or last name or public id, case-insensitive; an exact
  account id; or a profile URL, whose slug is matched).
- ``GET /linkedin/account/status`` (``accountId`` query, else the default account) and
  ``GET /linkedin/account/{accountId}/status`` (not 24 hex -> 400): unknown -> 404;
  no ``success`` field; ``linkedinPlan`` only for ``AVAILABLE``/``WARMUP`` accounts.

- ``GET /linkedin/account/{accountId}/quota``: the account is required in the path (no
  default); unknown -> 404. The body has no ``success`` field, only ``accountId`` and
  ``quotas`` (as documented), and ``resetAt`` is written with a space between date and
  time, like the documented example (``2026-08-28 00:00:00+00:00``).
- The features are the four the reference names: ``PROFILE_VIEW`` (daily, limit 120,
  LinkedIn's 150) and ``CONNECT`` (weekly, resetting Monday 00:00 UTC, limit 90,
  LinkedIn's 100) with the documented numbers, ``COMMENT`` and ``SEARCH_PEOPLE`` (daily)
  with numbers of the fake's own (the reference gives none; the cookbook's 100 comments a
  day is used for ``COMMENT``): read features by name, never by position or count.
  Their ``used`` counts are the account's connection requests this calendar week and
  its counted profile views today (`_network.Network`), plus `FakeAccount.usage`
  (seed extra use in tests); a count at LinkedIn's limit reports ``limitReached`` with
  the moment the fake saw it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ._clock import iso_utc
from ._records import FakeAccount
from ._routing import Route
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest
from ._world import World

__all__ = ["FEATURES", "ROUTES"]

FEATURES: dict[str, tuple[str, int, int]] = {
    "PROFILE_VIEW": ("daily", 120, 150),
    "COMMENT": ("daily", 100, 150),
    "CONNECT": ("weekly", 90, 100),
    "SEARCH_PEOPLE": ("daily", 100, 150),
}
"""Feature -> (window, ConnectSafely's limit, LinkedIn's limit): the documented features;
the numbers of ``PROFILE_VIEW`` and ``CONNECT`` are the reference's, the others the fake's."""


async def quota(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``GET /linkedin/account/{accountId}/quota``."""
    account = world.accounts.get(params["account_id"])
    if account is None:
        raise FakeHTTPError(404, "Account not found", code="account_not_found")
    now = world.clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    monday = midnight + timedelta(days=(7 - midnight.weekday()) % 7)
    quotas: list[dict[str, Any]] = []
    for feature, (window, limit, linkedin_limit) in FEATURES.items():
        used = account.usage.get(feature, 0) + _counted(world, account, feature)
        reached = used >= linkedin_limit
        quotas.append(
            {
                "feature": feature,
                "window": window,
                "used": used,
                "limit": limit,
                "linkedinLimit": linkedin_limit,
                "remaining": max(0, limit - used),
                "limitReached": reached,
                "limitReachedAt": _spaced(now) if reached else None,
                "resetAt": _spaced(midnight if window == "daily" else monday),
            }
        )
    return FakeResponse(200, {"accountId": account.account_id, "quotas": quotas})


def _counted(world: World, account: FakeAccount, feature: str) -> int:
    if feature == "CONNECT":
        return world.network.connects_used(account.account_id)
    if feature == "PROFILE_VIEW":
        return world.network.views_used(account.account_id)
    return 0  # COMMENT, SEARCH_PEOPLE: nothing in the fake does them


def _spaced(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


_HEX_ID = re.compile(r"[0-9a-f]{24}")


def _names(account: FakeAccount) -> tuple[str, str, str]:
    first, _, last = account.name.partition(" ")
    return first, last, account.name.lower().replace(" ", "-")


def _matches(account: FakeAccount, query: str) -> bool:
    wanted = query.strip().lower()
    if "linkedin.com/in/" in wanted:
        wanted = wanted.split("linkedin.com/in/", 1)[1].strip("/").split("/", 1)[0]
        return _names(account)[2] == wanted
    if _HEX_ID.fullmatch(wanted):
        return account.account_id == wanted
    return any(wanted in part.lower() for part in _names(account))


async def accounts(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/accounts``: a bare array."""
    query = request.query.get("q")
    rows = []
    for account in world.accounts.values():
        if query and not _matches(account, query):
            continue
        first, last, public_id = _names(account)
        rows.append(
            {
                "id": account.account_id,
                "firstName": first,
                "lastName": last,
                "publicId": public_id,
                "picture": None,
                "status": account.status,
                "enabled": account.enabled,
                "apiSeatAllocated": True,
            }
        )
    return FakeResponse(200, rows)


async def status(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``GET /linkedin/account/status`` and ``GET /linkedin/account/{accountId}/status``."""
    if "account_id" in params:
        wanted: str | None = params["account_id"]
        if not _HEX_ID.fullmatch(wanted or ""):
            raise FakeHTTPError(
                400, "Invalid account id", code="validation_error", field="accountId"
            )
    else:
        wanted = request.query.get("accountId")
    account = world.account_for(wanted)
    first, last, public_id = _names(account)
    body: dict[str, Any] = {
        "id": account.account_id,
        "firstName": first,
        "lastName": last,
        "publicId": public_id,
        "platform": "ConnectSafely",
        "status": account.status,
        "enabled": account.enabled,
        "lastUsed": iso_utc(world.clock.now()),
        "hasTokens": account.status != "ERROR",
    }
    if account.status in ("AVAILABLE", "WARMUP"):
        premium = account.sales_navigator
        body["linkedinPlan"] = {
            "premiumType": "SALES_NAVIGATOR" if premium else "FREE",
            "isPremium": premium,
            "hasSalesNavigator": premium,
            "hasRecruiter": False,
            "hasAwayMessages": premium,
            "hasAdvertiseBadge": False,
            "hasHiringManager": False,
        }
    return FakeResponse(200, body)


ROUTES = [
    Route("GET", "/linkedin/account/{account_id}/quota", quota),
    Route("GET", "/linkedin/accounts", accounts),
    Route("GET", "/linkedin/account/status", status),
    Route("GET", "/linkedin/account/{account_id}/status", status),
]
