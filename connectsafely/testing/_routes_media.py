"""Fake ``POST /linkedin/conversations/download-media``: serves bytes for seeded media URLs.

- Body ``{"accountId", "url"}``: both required (400 when missing), ``accountId``
  must be a connected account (404), ``url`` must start with
  ``https://www.linkedin.com/dms/prv/`` or ``https://media.licdn.com/`` (400).
- A URL seeded with ``add_media`` is answered with its bytes and content type; any
  other URL (or one seeded for another account) -> 404 ``Media not found``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._routing import Route
from ._shapes import Shape, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import MEDIA_PREFIXES, World

__all__ = ["ROUTES"]


async def download_media(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/conversations/download-media``."""
    body = json_object(request)
    account_id, url = body["accountId"], body["url"]  # both required: the route's shape
    account = world.account_for(account_id)
    if not url.startswith(MEDIA_PREFIXES):
        raise FakeHTTPError(
            400,
            "url must be a LinkedIn media URL (www.linkedin.com/dms/prv/ or media.licdn.com)",
            code="invalid_media_url",
            field="url",
        )
    stored = world.media.get(url)
    if stored is None or stored.account_id not in (None, account.account_id):
        raise FakeHTTPError(404, "Media not found", code="not_found")
    return FakeResponse(200, stored.data, {"Content-Type": stored.content_type})


ROUTES = [
    Route(
        "POST",
        "/linkedin/conversations/download-media",
        download_media,
        Shape(body={"accountId": required("string"), "url": required("string")}),
    )
]
