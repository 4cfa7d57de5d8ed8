"""The aiohttp half of `AioHttpClient`: its session, its httpx transport, its errors.

Imported only when an `AioHttpClient` is created (it imports aiohttp). Two routes use
the one aiohttp session (one connection pool):

- `Transport`, httpx's transport API: what ``AioHttpClient.send`` (httpx's client) goes
  through, for streams, streamed uploads and whatever else `AioSender` hands back;
- `AioSender` (``_aio_sender``): the SDK's usual call, straight to the session.

Both read timeouts, map errors and treat URLs the same way, with the helpers here.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import aiohttp
import httpx
import sniffio
import yarl
from httpx_aiohttp import AiohttpTransport

from .._errors import ConnectSafelyError

__all__ = [
    "ResponseStream",
    "Transport",
    "as_httpx",
    "check_asyncio",
    "extensions",
    "reraise",
    "translate",
]

_SMALL_BODY = 1024 * 1024
_MAX_CACHED = 512

_ASYNCIO_ONLY = (
    "AioHttpClient runs only under asyncio: aiohttp is built on asyncio's event loop and "
    "cannot run under {library}. Use the default transport there (do not pass http_client)."
)

_Key = tuple[float | None, float | None, float | None]


def check_asyncio() -> None:
    """Raise `ConnectSafelyError` unless running under asyncio (aiohttp needs it)."""
    library = sniffio.current_async_library()
    if library != "asyncio":
        raise ConnectSafelyError(_ASYNCIO_ONLY.format(library=library))


class Transport(AiohttpTransport):
    """httpx-aiohttp's transport with the SDK's backend check, URL and error handling.

    The request half is written out here rather than inherited because the parent
    hands aiohttp the URL as a string, which yarl re-normalises: percent-encoded
    ``(``, ``)``, ``,`` in a conversation URN path segment would be decoded.
    """

    READ_WHOLE = "connectsafely.read_whole"
    """Set by `AioHttpClient.send` on a request whose response body it reads whole."""

    def __init__(self, *, limits: httpx.Limits, verify: ssl.SSLContext | bool) -> None:
        super().__init__(verify=verify, limits=limits, client=self._new_session)
        self._timeouts: dict[_Key, aiohttp.ClientTimeout] = {}
        self._urls: dict[int, tuple[httpx.URL, yarl.URL]] = {}

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        # httpx keeps the cookies and decodes Content-Encoding itself; aiohttp must not
        # do either a second time.
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, made on first use (inside the event loop that uses it)."""
        client = self.client
        if not isinstance(client, aiohttp.ClientSession):
            client = self.client = self.get_client()
        return client

    def client_timeout(self, connect: float | None, read: float | None, pool: float | None) -> Any:
        """aiohttp's timeouts for httpx's: connect -> socket connect, read -> socket read,
        pool -> acquiring a connection (aiohttp has no write timeout).

        One `aiohttp.ClientTimeout` per distinct setting instead of one per request: a
        client uses one or two, and building one is a noticeable part of a call.
        """
        key = (connect, read, pool)
        made = self._timeouts.get(key)
        if made is None:
            if len(self._timeouts) >= 64:  # many distinct per-call timeouts: start over
                self._timeouts.clear()
            made = self._timeouts[key] = aiohttp.ClientTimeout(
                sock_connect=connect, sock_read=read, connect=pool
            )
        return made

    def target(self, url: httpx.URL) -> yarl.URL:
        """``url`` for aiohttp, as sent (``encoded=True``: yarl must not re-normalise it).

        The SDK's client reuses one parsed `httpx.URL` per URL string, so the same object
        comes back call after call: it is converted once.
        """
        cached = self._urls.get(id(url))
        if cached is not None and cached[0] is url:
            return cached[1]
        if len(self._urls) >= _MAX_CACHED:
            self._urls.clear()
        target = yarl.URL(str(url), encoded=True)
        self._urls[id(url)] = (url, target)
        return target

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` over the aiohttp session (httpx's transport API)."""
        check_asyncio()
        timeout = request.extensions.get("timeout", {})
        data: Any
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            data = request.stream  # a streamed upload; aiohttp sends it as it comes
            request.headers.pop("transfer-encoding", None)
        try:
            response = (
                await self.session()
                .request(
                    request.method,
                    self.target(request.url),
                    # A list of pairs, not the `Headers` mapping: aiohttp copies it
                    # either way, and the list is cheaper to build and to copy.
                    headers=request.headers.multi_items(),
                    data=data,
                    allow_redirects=False,
                    auto_decompress=False,
                    compress=False,
                    timeout=self.client_timeout(
                        timeout.get("connect"), timeout.get("read"), timeout.get("pool")
                    ),
                    server_hostname=request.extensions.get("sni_hostname"),
                )
                .__aenter__()
            )
        except Exception as exc:
            reraise(exc, request)
        length = response.content_length
        if (
            request.extensions.get(self.READ_WHOLE) is True
            and length is not None
            and length <= _SMALL_BODY
            and "content-encoding" not in response.headers
        ):
            # The client reads this body whole anyway (not a stream): read it here
            # in one call instead of through four nested async generators.
            try:
                content = await response.read()
                await response.__aexit__(None, None, None)
            except Exception as exc:
                response.release()
                reraise(exc, request)
            return as_httpx(response, request, httpx.ByteStream(content))
        return as_httpx(response, request, ResponseStream(response, request))


def as_httpx(
    response: aiohttp.ClientResponse, request: httpx.Request, stream: httpx.AsyncByteStream
) -> httpx.Response:
    """The `httpx.Response` for an aiohttp response (its body read or streamed)."""
    made = httpx.Response(
        status_code=response.status,
        headers=response.raw_headers,
        stream=stream,
        request=request,
        extensions=extensions(response.reason),
    )
    if isinstance(stream, httpx.ByteStream):
        made.read()  # sets `.content` (httpx reads a `ByteStream` body itself, but say so)
    return made


def extensions(reason: str | None) -> dict[str, Any]:
    """The `httpx.Response` extensions httpx-aiohttp gives a response."""
    made: dict[str, Any] = {"http_version": b"HTTP/1.1"}
    if reason:
        made["reason_phrase"] = reason.encode()
    return made


class ResponseStream(httpx.AsyncByteStream):
    """The body of an aiohttp response, with aiohttp's errors mapped like the request's.

    Reads aiohttp's response directly (one async generator per body, not
    httpx-aiohttp's stream wrapped in a second one for the error mapping).
    """

    _CHUNK = 16 * 1024  # as httpx-aiohttp reads it

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(self._CHUNK):
                yield chunk
        except Exception as exc:
            reraise(exc, self._request)

    async def aclose(self) -> None:
        try:
            await self._response.__aexit__(None, None, None)
        except Exception as exc:
            reraise(exc, self._request)


def reraise(exc: Exception, request: httpx.Request) -> NoReturn:
    """Raise `translate`'s exception for ``exc``, chained from it."""
    translated = translate(exc, request)
    if translated is exc:
        raise exc
    raise translated from exc


def translate(exc: Exception, request: httpx.Request) -> Exception:
    """Map an aiohttp failure to the httpx exception httpx's own transport would raise.

    httpx-aiohttp's own table turns every connection error (a refused connect, a
    server closing the socket) into ``ConnectTimeout``, which the SDK would report as a
    timeout and treat as "nothing was sent". The pipeline's retry and error rules rely
    on the same distinctions httpcore makes, so we map from the original aiohttp error.
    """
    origin: BaseException = exc
    if isinstance(exc, httpx.TransportError) and isinstance(exc.__cause__, Exception):
        origin = exc.__cause__
    elif isinstance(exc, (httpx.HTTPError, ConnectSafelyError)):
        return exc
    body_error = origin.__cause__
    if (
        isinstance(origin, aiohttp.ClientOSError)
        and isinstance(body_error, OSError)
        and body_error.errno is None
    ):
        # aiohttp wraps whatever our request body stream raised (e.g. a file that changed
        # during an upload) as "Can not write request body"; httpcore lets it through
        # unchanged, and so do we. Socket failures always carry an errno.
        return body_error
    message = f"{type(origin).__name__}: {origin}" if str(origin) else type(origin).__name__
    for kinds, kind in _KINDS:
        if isinstance(origin, kinds):
            return kind(message, request=request)
    return exc


# aiohttp's failures and the httpx errors httpcore raises for the same thing; first
# match wins (the order matters: several are subclasses of later ones).
_KINDS: tuple[tuple[Any, type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    ((aiohttp.ServerTimeoutError, TimeoutError), httpx.ReadTimeout),
    ((aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError), httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (
        (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError),
        httpx.RemoteProtocolError,
    ),
    (
        (aiohttp.InvalidURL, getattr(aiohttp, "NonHttpUrlClientError", ())),
        httpx.UnsupportedProtocol,
    ),
    ((aiohttp.ClientError, OSError), httpx.ReadError),
)
