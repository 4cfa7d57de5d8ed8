"""The media half of ``client.conversations``: streamed downloads of message attachments."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._base import Resource

if TYPE_CHECKING:
    # `.._media` is imported by the methods themselves, so `import connectsafely`
    # skips it.
    from .._http import ResponseStream
    from .._media import MediaDownload, SavedMedia

__all__ = ["MediaMethods"]

_PATH = "/linkedin/conversations/download-media"


class MediaMethods(Resource):
    """``download_media`` and ``save_media``."""

    __slots__ = ()

    def download_media(self, url: str, *, account_id: str | None = None) -> MediaDownload:
        """Download a message attachment, streamed: use the result as ``async with``.

        ``POST /linkedin/conversations/download-media`` with ``{"accountId", "url"}``:
        ConnectSafely fetches the file from LinkedIn with the account's session and
        streams it back. Only LinkedIn's documented media locations are accepted,
        ``https://www.linkedin.com/dms/prv/...`` and ``https://media.licdn.com/...``;
        anything else is refused here, before any request.

        This is a plain method: the request is sent when the ``async with`` block is
        entered (retried like any call until the response headers arrive), and the
        body is read as you consume it.

        Example:
            >>> async with client.conversations.download_media(  # doctest: +SKIP
            ...     url, account_id=account_id
            ... ) as media:
            ...     async for chunk in media.aiter_bytes():
            ...         sink.write(chunk)

        Args:
            url: The media URL from a message attachment.
            account_id: The account whose LinkedIn session may see the file. The API
                requires one: the client's default is used when omitted.

        Returns:
            A `MediaDownload` (an async context manager yielding itself).

        Raises:
            ValueError: ``url`` is not an allowed LinkedIn media URL, or there is no
                account id at all (before any request).
            TypeError: ``url`` is not a str.

        On entering: `NotFoundError` for a file the account cannot see, and the usual
        API errors after retries.
        """
        from .._media import MediaDownload

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
            account_id: The account whose session may see the file; defaults to the
                client's.

        Returns:
            `SavedMedia` with the path, content type and number of bytes written.

        Raises:
            ValueError: A refused ``url`` or no account id (before any request).
            FileNotFoundError: The directory of ``path`` does not exist (before any
                request).
            IsADirectoryError: ``path`` is a directory (before any request).
        """
        from .._media import MediaDownload, check_save_path

        stream = self._media_stream(url, account_id)
        target = check_save_path(path)
        async with MediaDownload(stream, url) as media:
            return await media._save(target)

    def _media_stream(self, url: str, account_id: str | None) -> ResponseStream:
        from .._media import check_media_url

        checked = check_media_url(url)
        account = self._account(account_id)
        if account is None:
            raise ValueError(
                "download_media needs an account_id (the API requires it): pass "
                "account_id= or create the client with account_id=."
            )
        return self._core.stream("POST", _PATH, json_body={"accountId": account, "url": checked})
