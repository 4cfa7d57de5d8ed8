"""Turning paths, bytes and file objects into a re-playable raw request body.

Each source becomes a `RequestContent` the pipeline opens once per attempt:

- ``bytes``-like data is copied once at call time, so every attempt sends the same bytes
  even if the caller mutates a ``bytearray`` meanwhile.
- A path is stat-ed at call time (size -> ``Content-Length``) and re-opened for every
  attempt; chunks are read in a worker thread so the event loop never blocks on disk.
- A seekable file object (sync or async) remembers ``tell()`` at call time and is sought
  back there before every attempt.
- A non-seekable stream is read once: its first chunk is read up front (to reject empty or
  text streams before any request), the rest while sending, with chunked transfer
  encoding because its length is unknown. It is not retried once bytes were sent.

Every attempt reads exactly the length measured at call time; a source that shrank in
the meantime raises `OSError` instead of sending a body that disagrees with its
``Content-Length``, and so does a path whose size, modification time or inode changed
between attempts (the retry would not send the same bytes).
"""

from __future__ import annotations

import errno
import inspect
import io
import mimetypes
import os
import re
import stat
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeAlias, cast

import anyio.to_thread
import httpx

from ._http import RequestContent

__all__ = [
    "CHUNK_SIZE",
    "AsyncReadable",
    "Readable",
    "UploadContent",
    "UploadSource",
    "check_content_type",
    "check_filename",
    "guess_content_type",
    "prepare_upload",
]

CHUNK_SIZE = 256 * 1024
"""Bytes read from a file per step. Large enough that the per-chunk cost (a worker-thread
hop, a socket write) is small next to copying the bytes; small enough that memory stays
flat however big the file is."""

DEFAULT_FILENAME = "attachment"
"""The name the API uses when none is given."""

MAX_FILENAME_LENGTH = 255

# Deterministic answers for the common types, whatever the OS mime database says (e.g.
# Windows registries and minimal containers disagree on .webp, .csv, .docx, .mp4).
_COMMON_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".zip": "application/zip",
    ".mp4": "video/mp4",
}

# mimetypes reports "x.tar.gz" as application/x-tar with encoding "gzip"; the bytes on
# the wire are the compressed ones, so the compression decides the type.
_ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}

_TCHARS = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE = re.compile(
    rf"(?P<type>{_TCHARS}/{_TCHARS})"
    # A quoted parameter value is printable ASCII: it goes into the Content-Type header.
    rf"(?P<params>(?:[ \t]*;[ \t]*{_TCHARS}="
    rf"(?:{_TCHARS}|\"[^\"\\\x00-\x1f\x7f-\U0010ffff]*\"))*)[ \t]*"
)


class Readable(Protocol):
    """A binary file object: anything with ``read(size) -> bytes``."""

    def read(self, size: int, /) -> bytes:
        """Read up to ``size`` bytes; ``b""`` at the end."""
        ...


class AsyncReadable(Protocol):
    """An async binary file object, e.g. ``await anyio.open_file(path, "rb")``."""

    async def read(self, size: int, /) -> bytes:
        """Read up to ``size`` bytes; ``b""`` at the end."""
        ...


UploadSource: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | Readable | AsyncReadable"
)
"""What `client.attachments.upload` accepts."""

Reader = Callable[[int], Awaitable[object]]


# -- argument checks ------------------------------------------------------------------


def check_filename(value: object, *, derived_from: str | None = None) -> str:
    """A file name safe for the ``filename`` query parameter (a base name, no controls).

    ``derived_from`` describes where an implicit name came from, so the error can tell
    the caller to pass ``filename=`` instead.
    """
    hint = f" (taken from {derived_from}; pass filename= to choose one)" if derived_from else ""
    if not isinstance(value, str):
        raise TypeError(f"filename must be a str, not {type(value).__name__}.")
    if not value.strip():
        raise ValueError(f"filename must not be empty or blank{hint}.")
    if len(value) > MAX_FILENAME_LENGTH:
        raise ValueError(f"filename must be at most {MAX_FILENAME_LENGTH} characters{hint}.")
    if any(not ch.isprintable() for ch in value):
        raise ValueError(f"filename must not contain control characters{hint}: {value!r}.")
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError(f"filename must be a base name without path separators{hint}: {value!r}.")
    return value


def check_content_type(value: object) -> str:
    """A ``type/subtype`` media type (parameters allowed), with the type lower-cased."""
    if not isinstance(value, str):
        raise TypeError(f"content_type must be a str, not {type(value).__name__}.")
    match = _MEDIA_TYPE.fullmatch(value.strip(" \t"))
    if match is None:
        raise ValueError(f"content_type must be a MIME type like 'application/pdf', got {value!r}.")
    return match["type"].lower() + match["params"]


def guess_content_type(filename: str) -> str:
    """The MIME type for a file name; ``application/octet-stream`` when unknown."""
    _, extension = os.path.splitext(filename)
    common = _COMMON_TYPES.get(extension.lower())
    if common is not None:
        return common
    guessed, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding is not None:
        return _ENCODING_TYPES.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


# -- the per-attempt stream -------------------------------------------------------------


class ChunkStream(httpx.AsyncByteStream):
    """One attempt's body: chunks from ``read``, exactly ``length`` bytes when known.

    A plain async iterator (not an async generator), so a transport that stops reading
    half-way leaves nothing for the garbage collector to finalise; ``aclose`` closes the
    file the attempt opened, if any.
    """

    __slots__ = ("_close", "_first", "_read", "_remaining", "_source", "sent")

    def __init__(
        self,
        read: Reader,
        *,
        length: int | None,
        source: str,
        first: bytes = b"",
        close: Callable[[], None] | None = None,
    ) -> None:
        self._read = read
        self._remaining = length
        self._source = source
        self._first = first
        self._close = close
        self.sent = 0

    def __aiter__(self) -> ChunkStream:
        return self

    async def __anext__(self) -> bytes:
        if self._first:
            chunk, self._first = self._first, b""
            self.sent += len(chunk)
            return chunk
        remaining = self._remaining
        if remaining == 0:
            raise StopAsyncIteration
        want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
        chunk = _as_bytes(await self._read(want), self._source)
        if not chunk:
            if remaining is None:
                raise StopAsyncIteration
            raise OSError(
                f"{self._source} ended after {self.sent} of {self.sent + remaining} bytes: "
                "it changed while being uploaded."
            )
        if remaining is not None:
            if len(chunk) > remaining:
                chunk = chunk[:remaining]
            self._remaining = remaining - len(chunk)
        self.sent += len(chunk)
        return chunk

    async def aclose(self) -> None:
        """Close the file this attempt opened (synchronously: safe while cancelled)."""
        close, self._close = self._close, None
        if close is not None:
            close()


# -- the sources ----------------------------------------------------------------------


class UploadContent(RequestContent):
    """An upload body plus the name and type it is uploaded under."""

    filename: str = DEFAULT_FILENAME


class BytesContent(UploadContent):
    """In-memory data, copied once so every attempt sends the same bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.length = len(data)

    async def open(self) -> bytes:
        """The bytes themselves."""
        return self._data


class PathContent(UploadContent):
    """A file on disk, re-opened for every attempt and read in worker threads."""

    def __init__(self, path: str, info: os.stat_result) -> None:
        self._path = path
        self._identity = _identity(info)
        self.length = info.st_size

    async def open(self) -> ChunkStream:
        """Open the file (in a thread) and return a stream that closes it.

        Raises:
            OSError: The file was replaced or modified since ``upload`` was called, so
                this attempt could not send the same bytes as the others.
        """
        holder: list[io.BufferedReader] = []

        def open_file() -> None:
            # Stored from inside the thread: if this task is cancelled while the thread
            # runs, the handle is still reachable and closed below.
            holder.append(open(self._path, "rb"))  # noqa: SIM115 - closed by the stream
            if _identity(os.fstat(holder[0].fileno())) != self._identity:
                raise OSError(
                    f"{self._path!r} changed since upload() was called (size, modification "
                    "time or inode differ); not sending a different body."
                )

        try:
            await anyio.to_thread.run_sync(open_file)
        except BaseException:
            for handle in holder:
                handle.close()
            raise
        handle = holder[0]
        return ChunkStream(
            _thread_reader(handle),
            length=self.length,
            source=repr(self._path),
            close=handle.close,
        )


class SeekableContent(UploadContent):
    """A seekable file object (sync or async), sought back to its start per attempt."""

    def __init__(self, file: object, reader: Reader, start: int, length: int) -> None:
        self._file = file
        self._reader = reader
        self._start = start
        self.length = length

    async def open(self) -> ChunkStream:
        """Seek back to where the file was at call time; stream ``length`` bytes."""
        await _maybe_await(self._file.seek(self._start))  # type: ignore[attr-defined]
        return ChunkStream(self._reader, length=self.length, source=_describe(self._file))


class OneShotContent(UploadContent):
    """A non-seekable stream: sent once, never replayed after bytes left."""

    replayable = False

    def __init__(self, file: object, reader: Reader, first: bytes) -> None:
        self._file = file
        self._reader = reader
        self._first = first
        self._stream: ChunkStream | None = None

    async def open(self) -> ChunkStream:
        """The stream, which may be opened again only if nothing was read from it."""
        if self._stream is not None and self._stream.sent:
            raise RuntimeError(
                f"{_describe(self._file)} is not seekable and was already (partly) sent; "
                "it cannot be sent again."
            )
        self._stream = ChunkStream(
            self._reader, length=None, source=_describe(self._file), first=self._first
        )
        return self._stream


async def prepare_upload(
    file: UploadSource, *, filename: str | None, content_type: str | None
) -> UploadContent:
    """Check ``file`` and build its body, before any request is made.

    ``filename`` and ``content_type`` must already be checked (or ``None``).

    Raises:
        FileNotFoundError: The path does not exist.
        IsADirectoryError: The path is a directory.
        ValueError: Empty data, an empty file, a closed file or a non-regular file.
        TypeError: A text-mode file object or an unsupported ``file`` type.
    """
    content: UploadContent
    derived: str | None = None
    source = ""
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = file.tobytes() if isinstance(file, memoryview) else bytes(file)
        if not data:
            raise ValueError("file is empty: there is nothing to upload.")
        content = BytesContent(data)
    elif isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        if not isinstance(path, str):
            raise TypeError("file paths must be str or os.PathLike[str]; pass bytes as data.")
        content = PathContent(path, await _regular_file_info(path))
        derived = os.path.basename(path)
        source = f"the path {path!r}"
    elif callable(getattr(file, "read", None)):
        if isinstance(cast(object, file), io.TextIOBase):
            raise TypeError(
                "file is open in text mode; open it in binary mode ('rb') to upload it."
            )
        if getattr(file, "closed", False) is True:
            raise ValueError("file is closed.")
        # read(0) consumes nothing; it tells text from binary and sync from async.
        probe = file.read(0)
        if inspect.isawaitable(probe):
            _check_binary(await probe)
            content = await _async_file_content(file)  # type: ignore[arg-type]
        else:
            _check_binary(probe)
            content = await _sync_file_content(file)  # type: ignore[arg-type]
        derived = _file_object_name(file)
        source = "the file object's name"
    else:
        raise TypeError(
            "file must be a path (str or os.PathLike), bytes, bytearray, memoryview or a "
            f"binary file object, not {type(file).__name__}."
        )
    if filename is not None:
        content.filename = filename
    elif derived:
        content.filename = check_filename(derived, derived_from=source)
    content.content_type = content_type or guess_content_type(content.filename)
    return content


async def _regular_file_info(path: str) -> os.stat_result:
    info = await anyio.to_thread.run_sync(os.stat, path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory; upload a file inside it", path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(
            f"{path!r} is not a regular file; open it and pass the binary file object."
        )
    if info.st_size == 0:
        raise ValueError(f"{path!r} is empty: there is nothing to upload.")
    return info


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    """What must not change between attempts for them to send the same bytes."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


async def _sync_file_content(file: Readable) -> UploadContent:
    reader = _inline_reader(file) if isinstance(file, io.BytesIO) else _thread_reader(file)
    return await _file_content(file, reader, _sync_span(file))


async def _file_content(
    file: object, reader: Reader, span: tuple[int, int] | None
) -> UploadContent:
    """The upload body of an open file, sync or async alike.

    ``span`` is the file's (current position, end) when it can seek, so every attempt
    can rewind and send the same bytes; without one the file is read once, as it comes.
    Either way an empty upload is refused before any request.
    """
    if span is None:
        first = _as_bytes(await reader(CHUNK_SIZE), _describe(file))
        if not first:
            raise ValueError("file has no data left to read: there is nothing to upload.")
        return OneShotContent(file, reader, first)
    start, end = span
    if end <= start:
        raise ValueError(
            "file has no data left to read (empty, or positioned at its end): "
            "there is nothing to upload."
        )
    return SeekableContent(file, reader, start, end - start)


def _sync_span(file: object) -> tuple[int, int] | None:
    """(current position, end) of a seekable file, or None when it cannot seek."""
    seekable = getattr(file, "seekable", None)
    try:
        if callable(seekable) and not seekable():
            return None
        start = file.tell()  # type: ignore[attr-defined]
        end = file.seek(0, io.SEEK_END)  # type: ignore[attr-defined]
        file.seek(start)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return start, end


async def _async_file_content(file: AsyncReadable) -> UploadContent:
    async def reader(size: int) -> bytes:
        return await file.read(size)

    return await _file_content(file, reader, await _async_span(file))


async def _async_span(file: object) -> tuple[int, int] | None:
    """Like `_sync_span` for async files, whose seek/tell may or may not be async."""
    seekable = getattr(file, "seekable", None)
    tell = getattr(file, "tell", None)
    seek = getattr(file, "seek", None)
    if not callable(tell) or not callable(seek):
        return None
    try:
        if callable(seekable) and not await _maybe_await(seekable()):
            return None
        start = await _maybe_await(tell())
        await _maybe_await(seek(0, io.SEEK_END))
        end = await _maybe_await(tell())
        await _maybe_await(seek(start))
    except (OSError, ValueError):
        return None
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return start, end


def _check_binary(probe: object) -> None:
    if isinstance(probe, str):
        raise TypeError("file is open in text mode; open it in binary mode ('rb') to upload it.")
    if not isinstance(probe, (bytes, bytearray, memoryview)):
        raise TypeError(f"file.read() must return bytes, not {type(probe).__name__}.")


def _as_bytes(chunk: object, source: str) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"{source}.read() returned {type(chunk).__name__}, expected bytes.")


def _thread_reader(file: Readable) -> Reader:
    async def read(size: int) -> bytes:
        return await anyio.to_thread.run_sync(file.read, size)

    return read


def _inline_reader(file: Readable) -> Reader:
    async def read(size: int) -> bytes:
        return file.read(size)  # in memory: a thread hop would cost more than the copy

    return read


async def _maybe_await(value: object) -> object:
    if inspect.isawaitable(value):
        return await value
    return value


def _file_object_name(file: object) -> str | None:
    """The base name of a file object's ``name``; None for fds and ``<stdin>``-style names."""
    name = getattr(file, "name", None)
    if isinstance(name, (bytes, os.PathLike)):
        name = os.fsdecode(name)
    if not isinstance(name, str) or (name.startswith("<") and name.endswith(">")):
        return None
    return os.path.basename(name) or None


def _describe(file: object) -> str:
    name = _file_object_name(file)
    return f"file {name!r}" if name else f"the {type(file).__name__} object"
