"""Request bodies: what one attempt sends, produced afresh for every attempt."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

__all__ = ["BytesBody", "RequestContent", "build_request"]


class RequestContent:
    """A raw request body that can be produced afresh for each attempt.

    Subclasses (see `_uploads`) stream files; ``replayable`` says whether a second
    attempt can send the identical bytes again. The pipeline awaits `open` once per
    attempt and, when it returned a stream, awaits that stream's ``aclose()`` after the
    attempt whatever happened, so a file opened for one attempt is always closed.
    """

    replayable: bool = True
    content_type: str = "application/octet-stream"
    length: int | None = None

    async def open(self) -> bytes | httpx.AsyncByteStream:
        """Return the body for one attempt (cleaning up after itself if it fails)."""
        raise NotImplementedError


class BytesBody(httpx.AsyncByteStream):
    """An in-memory body whose iterator is a plain object, so it needs no finalising."""

    __slots__ = ("_data", "_done")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._done = False

    def __aiter__(self) -> BytesBody:
        self._done = False
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        self._done = True
        return self._data


def build_request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None,
    body: bytes | httpx.AsyncByteStream | None,
    headers: Mapping[str, str],
    timeout: httpx.Timeout,
) -> httpx.Request:
    """``http.build_request`` for one attempt, sending our own body stream.

    httpx would wrap the body (a stream we were given, or bytes) in an async generator,
    and a call cancelled mid-send (a stopped send_many) would leave that generator for
    the GC to finalise; a stream is sent as itself, bytes through `BytesBody`.
    """
    request = http.build_request(
        method, url, params=params, content=body, headers=headers, timeout=timeout
    )
    request.stream = body if isinstance(body, httpx.AsyncByteStream) else BytesBody(body or b"")
    return request
