"""`prepare_upload`: inspect the caller's source once, at call time."""

from __future__ import annotations

import errno
import inspect
import io
import os
import stat
from typing import cast

import anyio.to_thread

from .. import _validate as check
from ._sources import (
    BytesContent,
    OneShotContent,
    PathContent,
    SeekableContent,
    UploadContent,
    as_bytes,
    check_binary,
    describe,
    file_object_name,
    inline_reader,
    maybe_await,
    thread_reader,
)
from ._types import (
    CHUNK_SIZE,
    AsyncReadable,
    Readable,
    Reader,
    UploadSource,
    guess_content_type,
)

__all__ = ["prepare_upload"]


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
            check_binary(await probe)
            content = await _async_file_content(file)  # type: ignore[arg-type]
        else:
            check_binary(probe)
            content = await _sync_file_content(file)  # type: ignore[arg-type]
        derived = file_object_name(file)
        source = "the file object's name"
    else:
        raise TypeError(
            "file must be a path (str or os.PathLike), bytes, bytearray, memoryview or a "
            f"binary file object, not {type(file).__name__}."
        )
    if filename is not None:
        content.filename = filename
    elif derived:
        content.filename = check.filename(derived, derived_from=source)
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


async def _sync_file_content(file: Readable) -> UploadContent:
    reader = inline_reader(file) if isinstance(file, io.BytesIO) else thread_reader(file)
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
        first = as_bytes(await reader(CHUNK_SIZE), describe(file))
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
        if callable(seekable) and not await maybe_await(seekable()):
            return None
        start = await maybe_await(tell())
        await maybe_await(seek(0, io.SEEK_END))
        end = await maybe_await(tell())
        await maybe_await(seek(start))
    except (OSError, ValueError):
        return None
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    return start, end
