"""The bodies an upload sends: one `RequestContent` per kind of source."""

from __future__ import annotations

import inspect
import io
import os
from collections.abc import Callable

import anyio.to_thread
import httpx

from .._http import RequestContent
from ._types import CHUNK_SIZE, DEFAULT_FILENAME, Readable, Reader

__all__ = [
    "BytesContent",
    "ChunkStream",
    "OneShotContent",
    "PathContent",
    "SeekableContent",
    "UploadContent",
    "as_bytes",
    "check_binary",
    "describe",
    "file_object_name",
    "inline_reader",
    "maybe_await",
    "thread_reader",
]


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
        chunk = as_bytes(await self._read(want), self._source)
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
            thread_reader(handle),
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
        await maybe_await(self._file.seek(self._start))  # type: ignore[attr-defined]
        return ChunkStream(self._reader, length=self.length, source=describe(self._file))


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
                f"{describe(self._file)} is not seekable and was already (partly) sent; "
                "it cannot be sent again."
            )
        self._stream = ChunkStream(
            self._reader, length=None, source=describe(self._file), first=self._first
        )
        return self._stream


def check_binary(probe: object) -> None:
    if isinstance(probe, str):
        raise TypeError("file is open in text mode; open it in binary mode ('rb') to upload it.")
    if not isinstance(probe, (bytes, bytearray, memoryview)):
        raise TypeError(f"file.read() must return bytes, not {type(probe).__name__}.")


def as_bytes(chunk: object, source: str) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"{source}.read() returned {type(chunk).__name__}, expected bytes.")


def thread_reader(file: Readable) -> Reader:
    async def read(size: int) -> bytes:
        return await anyio.to_thread.run_sync(file.read, size)

    return read


def inline_reader(file: Readable) -> Reader:
    async def read(size: int) -> bytes:
        return file.read(size)  # in memory: a thread hop would cost more than the copy

    return read


async def maybe_await(value: object) -> object:
    if inspect.isawaitable(value):
        return await value
    return value


def file_object_name(file: object) -> str | None:
    """The base name of a file object's ``name``; None for fds and ``<stdin>``-style names."""
    name = getattr(file, "name", None)
    if isinstance(name, (bytes, os.PathLike)):
        name = os.fsdecode(name)
    if not isinstance(name, str) or (name.startswith("<") and name.endswith(">")):
        return None
    return os.path.basename(name) or None


def describe(file: object) -> str:
    name = file_object_name(file)
    return f"file {name!r}" if name else f"the {type(file).__name__} object"


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    """What must not change between attempts for them to send the same bytes."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns
