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

from ._prepare import prepare_upload
from ._types import CHUNK_SIZE, AsyncReadable, Readable, UploadSource, guess_content_type

__all__ = [
    "CHUNK_SIZE",
    "AsyncReadable",
    "Readable",
    "UploadSource",
    "guess_content_type",
    "prepare_upload",
]
