"""`AioSender`: the SDK's usual call over `AioHttpClient`, straight to aiohttp.

Per call, httpx's client costs about as much CPU as aiohttp's whole request: a
`httpx.Request` (URL, header normalisation), the send stack (auth flow, redirects, event
hooks, cookies, logging) and a `httpx.Response` read through its decoders. For the
SDK's usual call none of it changes what goes on the wire or what the pipeline reads, so
`AioSender` sends it with the aiohttp session directly:

- the headers are exactly those `build_request` makes (in the same order), from
  `SdkHttpClient`'s cached merge; the URL is the one httpx would send;
- the answer is a `BodyReply` (aiohttp's status, headers and body). The `httpx.Response`
  (with the `httpx.Request`, as ``AsyncClient.send`` returns it) is made only when
  something needs it: a typed error, a ``Set-Cookie``, httpx's INFO log, a
  ``Content-Encoding`` to decode;
- timeouts and errors map as in `Transport` (`translate`), then to the SDK's typed
  errors, as the base `Sender` does.

Everything else goes through httpx's client and `Transport` (the base `Sender`): a
streamed upload or download, and any client setting httpx would act on per request
(auth, event hooks, redirects, cookies, params or a base URL on the client, mounts or
proxies, a default encoding). Both routes share one aiohttp session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NoReturn

import aiohttp
import httpx
import yarl

from .._errors import from_httpx_error
from .._http._bodies import build_request
from .._http._client import SdkHttpClient
from .._http._query import with_params
from .._http._sender import BodyReply, Reply, Sender
from ._aio import ResponseStream, Transport, as_httpx, check_asyncio, extensions, translate

__all__ = ["AioSender"]

_httpx_logger = logging.getLogger("httpx")


class AioSender(Sender):
    """Sends the SDK's usual call with `AioHttpClient`'s aiohttp session directly.

    Falls back to the base `Sender` (httpx's client, then `Transport`) for whatever
    httpx would treat differently; see the module docstring.
    """

    __slots__ = ("_http", "_timeout", "_transport")

    def __init__(self, client: SdkHttpClient, transport: Transport) -> None:
        super().__init__(client)
        self._http = client
        self._transport = transport
        self._timeout: tuple[httpx.Timeout, Any] | None = None

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
        """Send one attempt and read the whole body (see the module docstring)."""
        direct = None
        if body is None or body.__class__ is bytes:
            direct = self._http._direct_request(method, url, headers, body)
        if direct is None:
            return await super().send(
                method, url, params=params, body=body, headers=headers, timeout=timeout
            )
        check_asyncio()
        parsed, items = direct
        transport = self._transport
        target = transport.target(parsed) if params is None else _with_params(parsed, params)
        call = (method, url, params, body, headers, timeout)
        started = time.perf_counter()
        opening = transport.session().request(
            method,
            target,
            headers=items,
            data=body or None,
            allow_redirects=False,
            auto_decompress=False,
            compress=False,
            timeout=self._client_timeout(timeout),
        )
        try:
            response = await opening.__aenter__()
        except Exception as exc:
            _fail(exc, self._request(call))
        return await self._read(response, started, call)

    async def _read(
        self, response: aiohttp.ClientResponse, started: float, call: tuple[Any, ...]
    ) -> Reply:
        """Read the body whole and release the connection, however the read ends."""
        if "content-encoding" in response.headers:
            return await self._decoded(response, started, call)
        try:
            content = await response.read()
            await response.__aexit__(None, None, None)
        except Exception as exc:
            response.close()
            _fail(exc, self._request(call))
        except BaseException:  # cancelled: the connection cannot be reused
            response.close()
            raise
        make = _FullResponse(
            self, call, time.perf_counter() - started, response.raw_headers, response.reason
        )
        reply = BodyReply(response.status, response.headers, content, make)
        headers = reply.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            self._http.cookies.extract_cookies(reply.full())
        if _httpx_logger.isEnabledFor(logging.INFO):
            _log(reply.full())
        return reply

    async def _decoded(
        self, response: aiohttp.ClientResponse, started: float, call: tuple[Any, ...]
    ) -> httpx.Response:
        """A compressed body: httpx's `Response` reads and decodes it, as httpx would."""
        request = self._request(call)
        full = as_httpx(response, request, ResponseStream(response, request))
        try:
            await full.aread()
        except httpx.TransportError as exc:
            raise from_httpx_error(exc, request) from exc
        finally:
            await full.aclose()
        full.elapsed = timedelta(seconds=time.perf_counter() - started)
        self._http.cookies.extract_cookies(full)
        if _httpx_logger.isEnabledFor(logging.INFO):
            _log(full)
        return full

    def _request(self, call: tuple[Any, ...]) -> httpx.Request:
        """The `httpx.Request` httpx's route would have sent for this call."""
        method, url, params, body, headers, timeout = call
        return build_request(
            self._http, method, url, params=params, body=body, headers=headers, timeout=timeout
        )

    def _client_timeout(self, timeout: httpx.Timeout) -> Any:
        cached = self._timeout
        if cached is not None and cached[0] is timeout:
            return cached[1]
        made = self._transport.client_timeout(timeout.connect, timeout.read, timeout.pool)
        self._timeout = (timeout, made)
        return made


class _FullResponse:
    """Makes a `BodyReply`'s `httpx.Response`, with the `httpx.Request` of its call, only
    when something needs one (see the module docstring).

    A slotted object rather than a closure: it lives as long as the reply, so at a few
    hundred calls in flight its cells would be scanned by every garbage collection.
    """

    __slots__ = ("call", "elapsed", "raw_headers", "reason", "sender")

    def __init__(
        self,
        sender: AioSender,
        call: tuple[Any, ...],
        elapsed: float,
        raw_headers: Any,
        reason: str | None,
    ) -> None:
        self.sender = sender
        self.call = call
        self.elapsed = elapsed
        self.raw_headers = raw_headers
        self.reason = reason

    def __call__(self, reply: BodyReply) -> httpx.Response:
        full = httpx.Response(
            status_code=reply.status_code,
            headers=self.raw_headers,
            stream=httpx.ByteStream(reply.content),
            request=self.sender._request(self.call),
            extensions=extensions(self.reason),
        )
        full.read()
        full.elapsed = timedelta(seconds=self.elapsed)
        return full


def _with_params(url: httpx.URL, params: Mapping[str, str]) -> yarl.URL:
    """The URL with the query httpx would give it (`httpx.Request` merges ``params``)."""
    return yarl.URL(str(with_params(url, params)), encoded=True)


def _log(response: httpx.Response) -> None:
    """httpx's own INFO line for a response (``AsyncClient.send`` logs every one)."""
    request = response.request
    _httpx_logger.info(
        'HTTP Request: %s %s "%s %d %s"',
        request.method,
        request.url,
        response.http_version,
        response.status_code,
        response.reason_phrase,
    )


def _fail(exc: Exception, request: httpx.Request) -> NoReturn:
    """Raise what the base `Sender` raises for this failure of httpx's route."""
    translated = translate(exc, request)
    if translated is exc:
        raise exc
    translated.__cause__ = exc
    if isinstance(translated, httpx.TransportError):
        raise from_httpx_error(translated, request) from translated
    raise translated
