"""Fake account endpoints: the usage quota of one account.

- ``GET /linkedin/account/{accountId}/quota``: the account is required in the path (no
  default); unknown -> 404. The body has no ``success`` field, only ``accountId`` and
  ``quotas`` (as documented), and ``resetAt`` is written with a space between date and
  time, like the documented example (``2026-08-28 00:00:00+00:00``).
- The features are the four the reference names: ``PROFILE_VIEW`` (daily, limit 120,
  LinkedIn's 150) and ``CONNECT`` (weekly, resetting Monday 00:00 UTC, limit 90,
  LinkedIn's 100) with the documented numbers, ``COMMENT`` and ``SEARCH_PEOPLE`` (daily)
  with numbers of the fake's own (the reference gives none; the cookbook's 100 comments a
  day is used for ``COMMENT``): read features by name, never by position or count.
  Their ``used`` counts come from `FakeAccount.usage` (seed them in tests); a count at
  LinkedIn's limit reports ``limitReached`` with the moment the fake saw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

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
        used = account.usage.get(feature, 0)
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


def _spaced(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


ROUTES = [Route("GET", "/linkedin/account/{account_id}/quota", quota)]
