"""`Sender`: how one attempt leaves the process; `BodyReply`: a response read whole.

The pipeline (`_core`) decides what to send (method, URL, query, headers, body, timeout)
and reads back the status, the headers and the body. A `Sender` stands between the two:

- the base `Sender` builds an `httpx.Request` and sends it with the `httpx.AsyncClient`
  (the default transport, and any client the caller passes in);
- a client that can move bytes more cheaply brings its own `Sender` (see
  `SdkHttpClient._sdk_sender`): `AioHttpClient`'s hands the SDK's usual call straight to
  aiohttp and answers with a `BodyReply` rather than an `httpx.Response`.

Every sender raises the SDK's typed errors for transport failures (`from_httpx_error`,
with the `httpx.Request` of the attempt), and every error path gets a real
`httpx.Response` (`full_response`), so a typed error carries the same objects whichever
sender ran.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TypeAlias

import httpx

from .._errors import from_httpx_error
from ._bodies import build_request

__all__ = ["BodyReply", "Reply", "Sender", "full_response", "log_sent"]

logger = logging.getLogger("connectsafely")


class BodyReply:
    """A response whose body was read whole, without httpx's `Response` machinery.

    Has what the pipeline reads on the way to a decoded model (``status_code``,
    case-insensitive ``headers``, ``content``, ``is_success``); `full` builds the
    equivalent `httpx.Response` (with its request) for the paths that hand a response to
    the caller: typed errors.
    """

    __slots__ = ("_make", "_response", "content", "headers", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        content: bytes,
        make: Callable[[BodyReply], httpx.Response],
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self._make = make
        self._response: httpx.Response | None = None

    @property
    def is_success(self) -> bool:
        """A 2xx status, as `httpx.Response.is_success`."""
        return 200 <= self.status_code <= 299

    def full(self) -> httpx.Response:
        """The `httpx.Response` httpx would have returned (made once, on first use)."""
        if self._response is None:
            self._response = self._make(self)
        return self._response


Reply: TypeAlias = httpx.Response | BodyReply
"""What `Sender.send` returns: status, headers and the whole body."""


def full_response(reply: Reply) -> httpx.Response:
    """``reply`` as an `httpx.Response` (itself when it already is one)."""
    return reply if isinstance(reply, httpx.Response) else reply.full()


class Sender:
    """Sends attempts with an `httpx.AsyncClient`: build the request, ``client.send`` it.

    Transport failures become the SDK's typed errors (`from_httpx_error`), with the
    httpx error as their cause (the retry rules read it).
    """

    __slots__ = ("client",)

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: bytes | httpx.AsyncByteStream | None,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
    ) -> Reply:
        """Send one attempt and read the whole response body."""
        client = self.client
        request = build_request(
            client, method, url, params=params, body=body, headers=headers, timeout=timeout
        )
        try:
            return await client.send(request)
        except httpx.TransportError as exc:
            raise from_httpx_error(exc, request) from exc

    async def open(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """Send one attempt up to the response headers; the caller reads and closes it."""
        client = self.client
        request = build_request(
            client, method, url, params=params, body=body, headers=headers, timeout=timeout
        )
        try:
            return await client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise from_httpx_error(exc, request) from exc


def log_sent(method: str, url: str, status: int, started: float) -> None:
    """The DEBUG line of one attempt: method, path, status and time since ``started``
    (a `time.perf_counter` reading); callers check that DEBUG is on first."""
    logger.debug(
        "%s %s -> %d in %.1f ms",
        method,
        httpx.URL(url).path,
        status,
        (time.perf_counter() - started) * 1000,
    )
