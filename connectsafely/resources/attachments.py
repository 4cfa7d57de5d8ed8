"""``client.attachments``: upload files to attach to messages."""

from __future__ import annotations

import attrs

from .. import _validate as check
from .._models.messages import Attachment
from .._uploads import UploadSource, prepare_upload
from ._base import Resource

__all__ = ["Attachments"]


@attrs.frozen
class _UploadEnvelope:
    """The upload response: ``{"success": true, "attachment": {...}}``."""

    attachment: Attachment
    success: bool = True


class Attachments(Resource):
    """Upload files for `Conversations.send` (``client.attachments``)."""

    __slots__ = ()

    async def upload(
        self,
        file: UploadSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        account_id: str | None = None,
    ) -> Attachment:
        """Upload a file (``POST /linkedin/conversations/upload-attachment``).

        The body is the raw file bytes with the file's MIME type as ``Content-Type``.
        Files are streamed from disk in chunks with a known ``Content-Length``, never read
        whole into memory. Pass the result to ``client.conversations.send(...,
        attachments=[attachment])``; ``image/png``, ``image/jpeg``, ``image/gif`` and
        ``image/webp`` show inline, anything else arrives as a downloadable file.

        Examples:
            >>> attachment = await client.attachments.upload("q3-report.pdf")  # doctest: +SKIP
            >>> await client.conversations.send(  # doctest: +SKIP
            ...     "Report attached.", conversation_urn=urn, attachments=[attachment]
            ... )

        Args:
            file: A path (``str`` or ``pathlib.Path``); ``bytes``, ``bytearray`` or
                ``memoryview`` data; or a file object opened in binary mode, sync
                (``open(path, "rb")``, ``io.BytesIO``) or async (anything with an async
                ``read``, e.g. ``await anyio.open_file(path, "rb")``). A file object is
                read from its current position to its end and is not closed.
            filename: The name the recipient sees; defaults to the base name of the path
                or of the file object's ``name``, else ``"attachment"``.
            content_type: The MIME type; guessed from the file name when omitted
                (``application/octet-stream`` when unknown).
            account_id: The LinkedIn account to upload for (use the one that will send
                the message); defaults to the client's.

        Returns:
            The `Attachment` (asset URN, size, media type, name).

        Raises:
            FileNotFoundError: The path does not exist. Nothing is sent.
            IsADirectoryError: The path is a directory. Nothing is sent.
            ValueError: Empty data or file, a closed file, a ``filename`` with control
                characters or path separators, or an invalid ``content_type``. Nothing
                is sent.
            TypeError: A text-mode file object or an unsupported ``file`` type. Nothing
                is sent.
            OSError: The file shrank while it was being uploaded.
            APIStatusError: The API refused the upload (e.g. `NotFoundError` for an
                unknown account).

        Retries (5xx, 429, timeouts, dropped connections) send the complete, identical
        body again: a path is re-opened, a seekable file object is sought back to where
        it was when ``upload`` was called. A non-seekable stream (a pipe, a socket, an
        async stream without ``seek``) is sent once with chunked transfer encoding and is
        not retried after any of its bytes were sent; wrap it in ``io.BytesIO`` (or write
        it to a file) if you need retries.
        """
        name = None if filename is None else check.filename(filename)
        media_type = None if content_type is None else check.content_type(content_type)
        account = self._account(account_id)
        # Last, because preparing a non-seekable stream reads its first chunk.
        content = await prepare_upload(file, filename=name, content_type=media_type)
        params = {"filename": content.filename}
        if account is not None:
            params = {"accountId": account, **params}
        envelope = await self._core.request(
            "POST",
            "/linkedin/conversations/upload-attachment",
            params=params,
            content=content,
            cast_to=_UploadEnvelope,
        )
        return envelope.attachment
