"""Fake ``POST /linkedin/conversations/upload-attachment``: raw-body uploads.

Faithful to the documented behaviour:

- The body is the raw file bytes (not multipart, not JSON/base64); the request's
  ``Content-Type`` is the file's media type (``application/octet-stream`` if absent).
- Query ``filename`` (default ``attachment``) and ``accountId`` (default account;
  unknown -> 404).
- An empty body, a multipart body, or a ``Content-Length`` that disagrees with the
  bytes that arrived -> 400.
- Each accepted upload is stored in ``uploads`` under a new
  ``urn:li:digitalmediaAsset:D4E10AQ...`` asset URN, which the send route accepts.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping

from ._records import StoredUpload
from ._routing import Route
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest
from ._world import World

__all__ = ["ROUTES"]

_ASSET_ALPHABET = string.ascii_letters + string.digits


async def upload_attachment(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/conversations/upload-attachment``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip() != str(len(request.body)):
        raise FakeHTTPError(
            400,
            f"Content-Length is {declared} but {len(request.body)} bytes arrived",
            code="length_mismatch",
        )
    if not request.body:
        raise FakeHTTPError(
            400, "Empty file: send the raw file bytes as the body", code="empty_file"
        )
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type.startswith("multipart/"):
        raise FakeHTTPError(
            400,
            "Send the raw file bytes as the body with the file's MIME type as "
            "Content-Type, not multipart/form-data",
            code="invalid_body",
        )
    account = world.account_for(request.query.get("accountId"))
    name = request.query.get("filename") or "attachment"
    asset_urn = "urn:li:digitalmediaAsset:D4E10AQ" + "".join(
        secrets.choice(_ASSET_ALPHABET) for _ in range(12)
    )
    upload = StoredUpload(
        asset_urn=asset_urn,
        account_id=account.account_id,
        name=name,
        media_type=media_type or "application/octet-stream",
        data=request.body,
    )
    world.uploads[asset_urn] = upload
    return FakeResponse(
        200,
        {
            "success": True,
            "attachment": {
                "assetUrn": upload.asset_urn,
                "byteSize": upload.byte_size,
                "mediaType": upload.media_type,
                "name": upload.name,
            },
        },
    )


ROUTES = [Route("POST", "/linkedin/conversations/upload-attachment", upload_attachment)]
