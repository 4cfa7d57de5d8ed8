"""``client.conversations``, media: `download_media` and `save_media`.

The streamed download, its URL allow-list and the file writing are in `_media`.
"""

from __future__ import annotations

import os

from .._http import ResponseStream
from .._media import MediaDownload, SavedMedia, check_media_url, check_save_path
from ._base import Resource
from ._conversations_reading import _BASE

__all__: list[str] = []


class _Media(Resource):
    """The media methods of `Conversations`."""

    __slots__ = ()

    def download_media(self, url: str, *, account_id: str | None = None) -> MediaDownload:
        """Download a message attachment, streamed: use the result as ``async with``.

        ``POST /linkedin/conversations/download-media`` with ``{"accountId", "url"}``:
        ConnectSafely fetches the file from LinkedIn with the account's session and
        streams it back. Only LinkedIn's documented media locations are accepted,
        ``https://www.linkedin.com/dms/prv/...`` and ``https://media.licdn.com/...``.
        The request is sent when the block is entered (retried like any call until the
        response headers arrive), and the body is read as you consume it.

        Examples:
            >>> async with client.conversations.download_media(  # doctest: +SKIP
            ...     url, account_id=account_id
            ... ) as media:
            ...     async for chunk in media.aiter_bytes():
            ...         sink.write(chunk)

        Args:
            url: The media URL from a message attachment.
            account_id: The account whose LinkedIn session may see the file (the API
                requires one: the client's default, else a `ValueError`).

        Returns:
            A `MediaDownload` (an async context manager yielding itself). Entering it
            raises `NotFoundError` for a file the account cannot see.
        """
        return MediaDownload(self._media_stream(url, account_id), url)

    async def save_media(
        self, url: str, path: str | os.PathLike[str], *, account_id: str | None = None
    ) -> SavedMedia:
        """Download a message attachment straight into a file, chunk by chunk.

        The same request as `download_media`; the file is written to ``<path>.part``
        and renamed to ``path`` once complete (removed if the download fails), so a
        half-written file never appears under the final name.

        Args:
            url: The media URL from a message attachment.
            path: The file to write (overwritten if it exists).
            account_id: The account whose session may see the file.

        Returns:
            `SavedMedia` with the path, content type and number of bytes written.

        Raises:
            FileNotFoundError: The directory of ``path`` does not exist (before any
                request).
            IsADirectoryError: ``path`` is a directory (before any request).
        """
        stream = self._media_stream(url, account_id)
        target = check_save_path(path)
        async with MediaDownload(stream, url) as media:
            return await media._save(target)

    def _media_stream(self, url: str, account_id: str | None) -> ResponseStream:
        checked = check_media_url(url)
        account = self._account(account_id)
        if account is None:
            raise ValueError(
                "download_media needs an account_id (the API requires it): pass "
                "account_id= or create the client with account_id=."
            )
        return self._core.stream(
            "POST", f"{_BASE}/download-media", json_body={"accountId": account, "url": checked}
        )
