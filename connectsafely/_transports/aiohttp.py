"""`AioHttpClient`: an optional aiohttp-backed transport for high concurrency (asyncio only).

httpx's own connection pool (httpcore) spends CPU per request that grows with the number
of connections and waiters, so at hundreds of concurrent calls a 2-core machine is
CPU-bound in the pool, not in the SDK (see ``docs/performance.md``). aiohttp's pool
stays flat. This module keeps the whole SDK pipeline (retries, timeouts, typed errors,
decoding) and swaps only the layer that moves bytes, using the ``httpx-aiohttp``
package's transport.

Install with ``pip install 'connectsafely[aiohttp]'`` and use::

    client = AsyncClient(http_client=AioHttpClient())

Nothing here is imported by ``import connectsafely``; aiohttp is imported when an
`AioHttpClient` is created.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
import sniffio

from .._errors import ConnectSafelyError
from .._http import DEFAULT_LIMITS
from .._http._client import SdkHttpClient

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AioHttpClient"]

# Set by `AioHttpClient.send` on a request whose response body it reads whole.
READ_WHOLE = "connectsafely.read_whole"
_SMALL_BODY = 1024 * 1024

_INSTALL_HINT = (
    "AioHttpClient needs the optional aiohttp transport: pip install 'connectsafely[aiohttp]'"
)
_ASYNCIO_ONLY = (
    "AioHttpClient runs only under asyncio: aiohttp is built on asyncio's event loop and "
    "cannot run under {library}. Use the default transport there (do not pass http_client)."
)


class AioHttpClient(SdkHttpClient):
    """An `httpx.AsyncClient` that sends over aiohttp; pass it as ``http_client``.

    Everything the SDK does is unchanged (retries, ``Idempotency-Key``, timeouts, typed
    errors, decoding); only the connection pool differs. aiohttp's pool costs far less
    CPU per request at hundreds of concurrent calls, where httpx's own pool becomes the
    bottleneck. asyncio only: under Trio the first request raises `ConnectSafelyError`.

    Unlike other ``http_client`` values, the `AsyncClient` you pass it to closes it
    (it exists only for the SDK); pass ``close_with_client=False`` to share one between
    several clients and close it yourself with ``await http_client.aclose()``.

    Timeouts map onto aiohttp's: ``connect`` -> socket connect, ``read`` -> socket read,
    ``pool`` -> acquiring a connection; aiohttp has no separate write timeout.

    Args:
        limits: Connection limits; ``max_connections`` bounds aiohttp's pool and
            ``keepalive_expiry`` its idle keep-alive. Defaults to the SDK's.
        verify: TLS verification: ``True``, ``False`` or an `ssl.SSLContext`.
        close_with_client: Let the `AsyncClient` it is passed to close it.
        **options: Passed on to `httpx.AsyncClient` (e.g. ``headers``); ``transport``
            is not accepted.

    Raises:
        ImportError: ``aiohttp`` or ``httpx-aiohttp`` is not installed.

    Examples:
        >>> from connectsafely import AsyncClient, AioHttpClient
        >>> client = AsyncClient(http_client=AioHttpClient())  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits = DEFAULT_LIMITS,
        verify: ssl.SSLContext | bool = True,
        close_with_client: bool = True,
        **options: Any,
    ) -> None:
        if "transport" in options:
            raise TypeError("AioHttpClient makes its own transport; do not pass transport=.")
        transport = make_transport(limits=limits, verify=verify)
        options.setdefault("follow_redirects", False)
        super().__init__(transport=transport, limits=limits, verify=verify, **options)
        self.close_with_client = close_with_client

    async def send(
        self, request: httpx.Request, *, stream: bool = False, **options: Any
    ) -> httpx.Response:
        """`httpx.AsyncClient.send`; a body that is read whole is read in one call."""
        if not stream:
            request.extensions[READ_WHOLE] = True
        return await super().send(request, stream=stream, **options)

    def __repr__(self) -> str:
        return f"<AioHttpClient closed={self.is_closed}>"


def make_transport(
    *, limits: httpx.Limits = DEFAULT_LIMITS, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncBaseTransport:
    """Build the aiohttp-backed transport (raises `ImportError` naming the extra)."""
    try:
        import aiohttp
        import yarl
        from httpx_aiohttp import AiohttpTransport
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc

    timeouts: dict[tuple[float | None, float | None, float | None], aiohttp.ClientTimeout] = {}
    urls: dict[int, tuple[httpx.URL, yarl.URL]] = {}

    def client_timeout(timeout: dict[str, float | None]) -> aiohttp.ClientTimeout:
        # One `ClientTimeout` per distinct setting instead of one per request: a client
        # uses one or two timeouts, and building the object is a noticeable part of
        # this transport's own per-call work.
        key = (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))
        made = timeouts.get(key)
        if made is None:
            if len(timeouts) >= 64:  # many distinct per-call timeouts: start over
                timeouts.clear()
            made = timeouts[key] = aiohttp.ClientTimeout(
                sock_connect=key[0], sock_read=key[1], connect=key[2]
            )
        return made

    class Transport(AiohttpTransport):
        """httpx-aiohttp's transport with the SDK's backend check, URL and error handling.

        The request half is written out here rather than inherited because the parent
        hands aiohttp the URL as a string, which yarl re-normalises: percent-encoded
        ``(``, ``)``, ``,`` in a conversation URN path segment would be decoded.
        """

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            library = sniffio.current_async_library()
            if library != "asyncio":
                raise ConnectSafelyError(_ASYNCIO_ONLY.format(library=library))
            if not isinstance(self.client, aiohttp.ClientSession):
                self.client = self.get_client()
            timeout = request.extensions.get("timeout", {})
            data: Any
            try:
                data = request.content or None
            except httpx.RequestNotRead:
                data = request.stream  # a streamed upload; aiohttp sends it as it comes
                request.headers.pop("transfer-encoding", None)
            url = request.url
            cached = urls.get(id(url))
            if cached is not None and cached[0] is url:
                target = cached[1]
            else:
                # The SDK's client reuses one parsed `httpx.URL` per URL string, so
                # the same object comes back call after call: convert it once.
                if len(urls) >= 512:
                    urls.clear()
                target = yarl.URL(str(url), encoded=True)
                urls[id(url)] = (url, target)
            try:
                response = await self.client.request(
                    request.method,
                    target,
                    # A list of pairs, not the `Headers` mapping: aiohttp copies it
                    # either way, and the list is cheaper to build and to copy.
                    headers=request.headers.multi_items(),
                    data=data,
                    allow_redirects=False,
                    auto_decompress=False,
                    compress=False,
                    timeout=client_timeout(timeout),
                    server_hostname=request.extensions.get("sni_hostname"),
                ).__aenter__()
            except Exception as exc:
                _reraise(exc, request, aiohttp)
            extensions = {"http_version": b"HTTP/1.1"}
            if response.reason:
                extensions["reason_phrase"] = response.reason.encode()
            length = response.content_length
            if (
                request.extensions.get(READ_WHOLE) is True
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
                    _reraise(exc, request, aiohttp)
                return httpx.Response(
                    status_code=response.status,
                    headers=response.raw_headers,
                    content=content,
                    request=request,
                    extensions=extensions,
                )
            return httpx.Response(
                status_code=response.status,
                headers=response.raw_headers,
                stream=_ResponseStream(response, request, aiohttp),
                request=request,
                extensions=extensions,
            )

    def new_session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=transport.ssl_context,
        )
        # httpx keeps the cookies and decodes Content-Encoding itself; aiohttp must not
        # do either a second time.
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    transport = Transport(verify=verify, limits=limits, client=new_session)
    return transport


class _ResponseStream(httpx.AsyncByteStream):
    """The body of an aiohttp response, with aiohttp's errors mapped like the request's.

    Reads aiohttp's response directly (one async generator per body, not
    httpx-aiohttp's stream wrapped in a second one for the error mapping).
    """

    _CHUNK = 16 * 1024  # as httpx-aiohttp reads it

    def __init__(self, response: Any, request: httpx.Request, module: Any) -> None:
        self._response = response
        self._request = request
        self._module = module

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(self._CHUNK):
                yield chunk
        except Exception as exc:
            _reraise(exc, self._request, self._module)

    async def aclose(self) -> None:
        try:
            await self._response.__aexit__(None, None, None)
        except Exception as exc:
            _reraise(exc, self._request, self._module)


def _reraise(exc: Exception, request: httpx.Request, aiohttp: Any) -> NoReturn:
    translated = _translate(exc, request, aiohttp)
    if translated is exc:
        raise exc
    raise translated from exc


def _translate(exc: Exception, request: httpx.Request, aiohttp: Any) -> Exception:
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
    kind: type[httpx.TransportError]
    if isinstance(origin, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(origin, (aiohttp.ServerTimeoutError, TimeoutError)):
        kind = httpx.ReadTimeout
    elif isinstance(origin, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
        kind = httpx.ProxyError
    elif isinstance(origin, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(
        origin,
        (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError),
    ):
        kind = httpx.RemoteProtocolError
    elif isinstance(origin, (aiohttp.InvalidURL, getattr(aiohttp, "NonHttpUrlClientError", ()))):
        kind = httpx.UnsupportedProtocol
    elif isinstance(origin, (aiohttp.ClientError, OSError)):
        kind = httpx.ReadError
    else:
        return exc
    return kind(message, request=request)
