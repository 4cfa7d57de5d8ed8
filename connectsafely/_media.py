"""Downloading message media: the host allow-list and the streamed download object.

``POST /linkedin/conversations/download-media`` makes ConnectSafely fetch a URL with the
account's LinkedIn session, so the SDK only ever passes it the two documented LinkedIn
media locations. Anything else is refused before a request is built: the server would
refuse it anyway, and an attacker-supplied URL must never be fetched with a user's
LinkedIn cookies.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
import attrs
import httpx

from ._errors import from_httpx_error
from ._http import ResponseStream
from ._status import operation_failed
from ._telemetry import Operation, OperationSpec

__all__ = ["MediaDownload", "SavedMedia", "check_media_url", "check_save_path"]

_LINKEDIN_HOST = "www.linkedin.com"
_LINKEDIN_MEDIA_PATH = "/dms/prv/"
_LICDN_HOST = "media.licdn.com"
_ALLOWED = "https://www.linkedin.com/dms/prv/... or https://media.licdn.com/..."
_MAX_DRAIN_STEPS = 1024


def check_media_url(value: object, argument: str = "url") -> str:
    """Return ``value`` in canonical form if it is a documented LinkedIn media URL.

    Accepted: ``https://www.linkedin.com/dms/prv/...`` and ``https://media.licdn.com/...``
    exactly (scheme and host compare case-insensitively and come back lower-case; an
    explicit port 443 is dropped; path and query are kept byte for byte).
    Refused: other schemes, user info (``https://media.licdn.com@evil.example``), other
    hosts including look-alikes (``media.licdn.com.evil.example``, a trailing dot),
    backslashes, whitespace or control characters, and dot segments that would climb
    out of ``/dms/prv/``.

    Raises:
        TypeError: ``value`` is not a str.
        ValueError: It is not an allowed media URL.
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}.")

    def refuse(reason: str) -> ValueError:
        shown = value if len(value) <= 80 else value[:80] + "…"
        return ValueError(f"{argument} {reason}: {shown!r}. Allowed: {_ALLOWED}")

    if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise refuse("must be a URL without whitespace or control characters")
    if "\\" in value:
        raise refuse("must not contain backslashes")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise refuse("is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise refuse("must be an https:// URL")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise refuse("must not carry user info")
    if port not in (None, 443):
        raise refuse("must use the default https port")
    host = (parts.hostname or "").lower()
    problem = _host_and_path_problem(host, parts.path)
    if problem:
        raise refuse(problem)
    # Scheme and host are case-insensitive and :443 is the default: send the canonical
    # form, keeping the (case-sensitive, often signed) path and query exactly.
    return f"https://{host}{value[len(parts.scheme) + 3 + len(parts.netloc) :]}"


def _host_and_path_problem(host: str, path: str) -> str | None:
    if any(segment in (".", "..") for segment in unquote(path).split("/")):
        return "must not contain '.' or '..' path segments"
    if host == _LINKEDIN_HOST:
        if not path.startswith(_LINKEDIN_MEDIA_PATH) or path == _LINKEDIN_MEDIA_PATH:
            return "on www.linkedin.com must be a /dms/prv/ media URL"
        return None
    if host == _LICDN_HOST:
        return "must name a file on media.licdn.com" if len(path) <= 1 else None
    return "is not on a LinkedIn media host"


def check_save_path(value: object, argument: str = "path") -> Path:
    """A file path to save into: its directory must exist and it must not be a directory."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{argument} must be a str or os.PathLike, not {type(value).__name__}.")
    path = Path(os.fspath(value))
    if not str(path).strip():
        raise ValueError(f"{argument} must not be empty.")
    if path.is_dir():
        raise IsADirectoryError(f"{argument} is a directory: {str(path)!r}.")
    parent = path.parent
    if not parent.is_dir():
        raise FileNotFoundError(f"{argument}'s directory does not exist: {str(parent)!r}.")
    return path


@attrs.frozen
class SavedMedia:
    """What `client.conversations.save_media` (or `MediaDownload.save_to`) wrote.

    Attributes:
        path: The file written.
        content_type: The media type the server gave, e.g. ``"image/png"``.
        byte_size: Number of bytes written.
    """

    path: Path
    content_type: str | None
    byte_size: int


class MediaDownload:
    """A media file being downloaded: use it as ``async with`` and stream the bytes.

    Returned by `client.conversations.download_media`. Entering the block sends the
    request (retried like any call until the response headers arrive); the body is then
    read only as you consume it, so a file of any size needs one chunk of memory.
    Leaving the block, also early or by an exception or cancellation, closes the
    response and returns its connection to the pool.

    Examples:
        >>> async with client.conversations.download_media(  # doctest: +SKIP
        ...     url, account_id=account_id
        ... ) as media:
        ...     print(media.content_type)
        ...     async for chunk in media.aiter_bytes():
        ...         sink.write(chunk)
    """

    __slots__ = ("_chunks", "_entered", "_operation", "_response", "_spec", "_stream", "url")

    def __init__(self, stream: ResponseStream, url: str) -> None:
        """Wrap a response stream (SDK internal: use ``download_media``)."""
        self._stream = stream
        self._response: httpx.Response | None = None
        self._chunks: list[_Chunks] = []
        self._entered = False
        self._spec: OperationSpec | None = None
        self._operation: Operation | None = None
        self.url = url
        """The media URL being downloaded."""

    async def __aenter__(self) -> MediaDownload:
        if self._entered:
            raise RuntimeError("A MediaDownload can be entered once; call download_media again.")
        self._entered = True
        operation = None
        if self._spec is not None:  # telemetry: the block is one operation
            operation = self._operation = self._spec.start()
            operation.enter()
        try:
            response = await self._stream.__aenter__()
            try:
                await _raise_if_failure_body(response)
            except BaseException:
                await self._stream.__aexit__(None, None, None)
                raise
        except BaseException as error:
            if operation is not None:
                operation.leave()
                self._operation = None
                operation.end(error)
            raise
        if operation is not None:
            operation.leave()
        self._response = response
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        chunks, self._chunks = self._chunks, []
        self._response = None
        operation, self._operation = self._operation, None
        try:
            await self._stream.__aexit__(exc_type, exc, tb)  # closes the connection first
            with anyio.CancelScope(shield=True):
                for iterator in chunks:
                    await iterator.finish()
        finally:
            if operation is not None:
                operation.end(exc)

    def _trace_as(self, spec: OperationSpec) -> None:
        """Telemetry (`_telemetry`): the ``async with`` block is one operation."""
        self._spec = spec

    @property
    def response(self) -> httpx.Response:
        """The underlying `httpx.Response` (status, headers); only inside the block."""
        if self._response is None:
            raise RuntimeError("Use the MediaDownload inside `async with` to read it.")
        return self._response

    @property
    def content_type(self) -> str | None:
        """The media type the server sent (``Content-Type``), e.g. ``"image/png"``."""
        value: str | None = self.response.headers.get("content-type")
        return value

    @property
    def content_length(self) -> int | None:
        """The size in bytes when the server announced it, else ``None``."""
        raw = self.response.headers.get("content-length")
        return int(raw) if raw is not None and raw.isdigit() else None

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Iterate over the body in chunks, as it arrives.

        Args:
            chunk_size: Bytes per chunk; ``None`` yields chunks as they are received.

        Raises:
            RuntimeError: The body is already being read (it can be read once).
            APIConnectionError: The connection broke while reading (not retried: part
                of the body was already handed to you).
            APITimeoutError: The server stalled while sending the body.
        """
        if chunk_size is not None and (
            not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1
        ):
            raise ValueError(f"chunk_size must be a positive int or None, got {chunk_size!r}.")
        response = self.response
        if self._chunks:
            raise RuntimeError(
                "The body of a MediaDownload can be read once; call download_media again."
            )
        iterator = _Chunks(response, response.aiter_bytes(chunk_size))
        self._chunks.append(iterator)
        return iterator

    async def save_to(self, path: str | os.PathLike[str]) -> SavedMedia:
        """Write the body to ``path``, chunk by chunk, and return what was written.

        The file appears under its name only once complete: bytes go to
        ``<path>.part`` first, which is renamed over ``path`` at the end and deleted
        if the download fails.

        Raises:
            FileNotFoundError: The directory of ``path`` does not exist.
            IsADirectoryError: ``path`` is a directory.
        """
        target = check_save_path(path)
        return await self._save(target)

    async def _save(self, target: Path) -> SavedMedia:
        chunks = self.aiter_bytes()  # before creating any file: it may refuse
        partial = target.with_name(target.name + ".part")
        written = 0
        try:
            async with await anyio.open_file(partial, "wb") as file:
                async for chunk in chunks:
                    await file.write(chunk)
                    written += len(chunk)
            await anyio.Path(partial).replace(target)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.Path(partial).unlink(missing_ok=True)
            raise
        return SavedMedia(path=target, content_type=self.content_type, byte_size=written)

    def __repr__(self) -> str:
        state = "open" if self._response is not None else "not open"
        return f"<MediaDownload {self.url[:60]!r} ({state})>"


class _Chunks:
    """The body iterator: httpx's, with its errors mapped to the SDK's."""

    __slots__ = ("_inner", "_response")

    def __init__(self, response: httpx.Response, inner: AsyncIterator[bytes]) -> None:
        self._response = response
        self._inner = inner

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._inner.__anext__()
        except httpx.HTTPError as exc:
            raise from_httpx_error(exc, self._response.request, reading=True) from exc

    async def finish(self) -> None:
        """Run httpx's generators to their end once the response is closed.

        httpx reads a body through a chain of nested async generators. ``aclose()`` on
        the outermost one leaves the inner ones suspended, for the garbage collector
        to finalise later (Trio warns about each). Resuming it instead, after the
        connection was closed, makes the innermost read fail, and that error unwinds
        every level of the chain at once. A body already in memory (in-process
        transports) just runs out; the bound stops a pathological chunking, after
        which plain ``aclose()`` is the fallback.
        """
        for _ in range(_MAX_DRAIN_STEPS):
            try:
                await self._inner.__anext__()
            except Exception:  # StopAsyncIteration or the closed connection's error
                return
        closer: Any = getattr(self._inner, "aclose", None)
        if closer is not None:
            await closer()


async def _raise_if_failure_body(response: httpx.Response) -> None:
    """A 2xx JSON body with ``"success": false`` is a failure, not a file.

    The endpoint's success format is not documented; the API reports failures as JSON,
    so a JSON answer is read (such bodies are small) and checked before it is handed
    out as media.
    """
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return
    try:
        await response.aread()
    except httpx.HTTPError as exc:
        raise from_httpx_error(exc, response.request, reading=True) from exc
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return
    if isinstance(data, dict) and data.get("success") is False:
        raise operation_failed(response, data)
