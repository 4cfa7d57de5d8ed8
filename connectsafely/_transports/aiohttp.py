"""`AioHttpClient`: an optional aiohttp-backed transport for high concurrency (asyncio only).

httpx's own connection pool (httpcore) spends CPU per request that grows with the number
of connections and waiters, so at hundreds of concurrent calls a 2-core machine is
CPU-bound in the pool, not in the SDK (see ``docs/performance.md``). aiohttp's pool
stays flat. This module keeps the whole SDK pipeline (retries, timeouts, typed errors,
decoding) and swaps only the layer that moves bytes: the SDK's usual calls go to the
aiohttp session directly (``_aio_sender``), the rest through httpx's client and an
``httpx-aiohttp`` transport (``_aio``) over the same session.

Install with ``pip install 'connectsafely[aiohttp]'`` and use::

    client = AsyncClient(http_client=AioHttpClient())

Nothing here is imported by ``import connectsafely``; aiohttp is imported when an
`AioHttpClient` is created.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

import httpx

from .._http import DEFAULT_LIMITS
from .._http._client import SdkHttpClient

if TYPE_CHECKING:
    from .._http._sender import Sender
    from ._aio import Transport

__all__ = ["AioHttpClient"]

_INSTALL_HINT = (
    "AioHttpClient needs the optional aiohttp transport: pip install 'connectsafely[aiohttp]'"
)


class AioHttpClient(SdkHttpClient):
    """An `httpx.AsyncClient` that sends over aiohttp; pass it as ``http_client``.

    Everything the SDK does is unchanged (retries, ``Idempotency-Key``, timeouts, typed
    errors, decoding); only the connection pool differs. aiohttp's pool costs far less
    CPU per request at hundreds of concurrent calls, where httpx's own pool becomes the
    bottleneck. asyncio only: under Trio the first request raises `ConnectSafelyError`.

    The SDK's usual calls skip httpx's client machinery (request and response objects,
    the send stack) and go to aiohttp directly, with the same headers, URL, timeouts and
    errors; streamed uploads and downloads, and calls on a client with settings httpx
    applies per request (``auth``, ``event_hooks``, ``follow_redirects``, client
    ``cookies``, ``params`` or ``base_url``, ``mounts``, ``proxy``, ``default_encoding``),
    go through httpx's client as any request you send with it yourself does.

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
        self._aio_transport = make_transport(limits=limits, verify=verify)
        options.setdefault("follow_redirects", False)
        super().__init__(transport=self._aio_transport, limits=limits, verify=verify, **options)
        self.close_with_client = close_with_client

    async def send(
        self, request: httpx.Request, *, stream: bool = False, **options: Any
    ) -> httpx.Response:
        """`httpx.AsyncClient.send`; a body that is read whole is read in one call."""
        if not stream:
            request.extensions[self._aio_transport.READ_WHOLE] = True
        return await super().send(request, stream=stream, **options)

    def _sdk_sender(self) -> Sender:
        """The SDK pipeline's sender: aiohttp directly for its usual calls."""
        from ._aio_sender import AioSender

        return AioSender(self, self._aio_transport)

    def __repr__(self) -> str:
        return f"<AioHttpClient closed={self.is_closed}>"


def make_transport(
    *, limits: httpx.Limits = DEFAULT_LIMITS, verify: ssl.SSLContext | bool = True
) -> Transport:
    """Build the aiohttp-backed transport (raises `ImportError` naming the extra)."""
    try:
        from ._aio import Transport
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return Transport(limits=limits, verify=verify)
