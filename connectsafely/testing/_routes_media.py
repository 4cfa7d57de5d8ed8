"""Fake ``POST /linkedin/conversations/download-media``: serves bytes for seeded media URLs."""

from __future__ import annotations

import secrets

import attrs

from ._app import FakeApp, route
from ._routes_send import _json_object
from ._state import FakeHTTPError
from ._wire import FakeResponse, RecordedRequest

__all__ = ["MediaRoutes", "StoredMedia"]

_MEDIA_PREFIXES = ("https://www.linkedin.com/dms/prv/", "https://media.licdn.com/")


@attrs.define
class StoredMedia:
    """A media file the fake serves through download-media.

    Attributes:
        url: Its LinkedIn media URL.
        data: The bytes.
        content_type: The ``Content-Type`` it is served with.
        account_id: The only account allowed to fetch it, or ``None`` for any account.
    """

    url: str
    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    content_type: str
    account_id: str | None = None


class MediaRoutes(FakeApp):
    """The download-media endpoint.

    - Body ``{"accountId", "url"}``: both required (400 when missing), ``accountId``
      must be a connected account (404), ``url`` must start with
      ``https://www.linkedin.com/dms/prv/`` or ``https://media.licdn.com/`` (400).
    - A URL seeded with `add_media` is answered with its bytes and content type; any
      other URL (or one seeded for another account) -> 404 ``Media not found``.
    """

    @property
    def media(self) -> dict[str, StoredMedia]:
        """Seeded media by URL."""
        stored: dict[str, StoredMedia] = vars(self).setdefault("_media", {})
        return stored

    def add_media(
        self,
        data: bytes,
        *,
        url: str | None = None,
        content_type: str = "image/png",
        account_id: str | None = None,
    ) -> str:
        """Make ``data`` downloadable through download-media and return its URL.

        Args:
            data: The file's bytes.
            url: The URL to serve it under (a ``/dms/prv/`` one is made up if omitted).
            content_type: The ``Content-Type`` to answer with.
            account_id: Restrict it to this account (any account when omitted).
        """
        if url is None:
            url = f"https://www.linkedin.com/dms/prv/image/v2/D4E06AQ{secrets.token_hex(8)}/fake"
        if not url.startswith(_MEDIA_PREFIXES):
            raise ValueError(f"url must start with one of {', '.join(_MEDIA_PREFIXES)}")
        self.media[url] = StoredMedia(
            url=url, data=bytes(data), content_type=content_type, account_id=account_id
        )
        return url

    @route("POST", "/linkedin/conversations/download-media")
    async def _download_media(self, request: RecordedRequest) -> FakeResponse:
        body = _json_object(request)
        account_id, url = body.get("accountId"), body.get("url")
        if not isinstance(account_id, str) or not account_id:
            raise FakeHTTPError(
                400, "accountId is required", code="validation_error", field="accountId"
            )
        if not isinstance(url, str) or not url:
            raise FakeHTTPError(400, "url is required", code="validation_error", field="url")
        account = self.account_for(account_id)
        if not url.startswith(_MEDIA_PREFIXES):
            raise FakeHTTPError(
                400,
                "url must be a LinkedIn media URL (www.linkedin.com/dms/prv/ or media.licdn.com)",
                code="invalid_media_url",
                field="url",
            )
        stored = self.media.get(url)
        if stored is None or stored.account_id not in (None, account.account_id):
            raise FakeHTTPError(404, "Media not found", code="not_found")
        return FakeResponse(200, stored.data, {"Content-Type": stored.content_type})
