"""What an upload accepts and how its content type is named."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeAlias

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_FILENAME",
    "AsyncReadable",
    "Readable",
    "Reader",
    "UploadSource",
    "guess_content_type",
]

CHUNK_SIZE = 256 * 1024
"""Bytes read from a file per step. Large enough that the per-chunk cost (a worker-thread
hop, a socket write) is small next to copying the bytes; small enough that memory stays
flat however big the file is."""

DEFAULT_FILENAME = "attachment"
"""The name the API uses when none is given."""


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
