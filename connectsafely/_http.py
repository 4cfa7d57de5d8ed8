"""The one request pipeline every resource method goes through.

    build request -> send -> (retry, via tenacity) -> raise typed error | decode model

Resources only say *what* to send (method, path, query, JSON or raw content) and *what*
they expect back (a model class); everything about transports, retries, idempotency
keys, error mapping and decoding lives here, once.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio
import anyio.lowlevel
import attrs
import httpx

from . import _retry
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ConnectSafelyError,
)
from ._ratelimit import RateCoordinator, RateGate
from ._serde import DecodeError, structure
from ._status import error_from_response, operation_failed
from ._version import __version__

if TYPE_CHECKING:
    from ._streaming import ResponseStream

__all__ = ["ClientConfig", "ConnectionPool", "HttpCore", "RequestContent"]

T = TypeVar("T")

logger = logging.getLogger("connectsafely")

USER_AGENT = f"connectsafely-python/{__version__}"

# Connection-pool defaults sized for bulk outreach: at hundreds of concurrent calls
# httpx's default of 100 connections makes callers queue on the pool, and its waiter
# bookkeeping grows quadratically with the queue. Keep-alive slots match typical
# concurrency so connections are reused rather than re-opened.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=256, keepalive_expiry=30.0
)

_CLOSED_MESSAGE = "This AsyncClient is closed; create a new one (or use it inside `async with`)."


@attrs.frozen
class ClientConfig:
    """Checked, immutable settings of one `AsyncClient` (shared pool, own options)."""

    api_key: str = attrs.field(repr=False)
    base_url: httpx.URL
    account_id: str | None
    timeout: httpx.Timeout
    max_retries: int
    default_headers: Mapping[str, str] = attrs.field(factory=dict)


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


class _BytesBody(httpx.AsyncByteStream):
    """An in-memory body whose iterator is a plain object, so it needs no finalising."""

    __slots__ = ("_data", "_done")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._done = False

    def __aiter__(self) -> _BytesBody:
        self._done = False
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        self._done = True
        return self._data


class ConnectionPool:
    """The `httpx.AsyncClient` shared by a client and its `with_options` copies.

    Created lazily on first use so that an unused client holds nothing, and bound to
    the event loop that first used it: connections cannot move between loops, and
    failing clearly beats a confusing "connection error" retried three times.
    """

    __slots__ = (
        "_client",
        "_factory",
        "_loop",
        "_max_in_flight",
        "closed",
        "in_flight",
        "owns_client",
        "rate",
    )

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None,
        factory: Callable[[], httpx.AsyncClient],
        rate: RateCoordinator | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self._client = http_client
        self._max_in_flight = max_in_flight
        # Queue for a place on the wire (see DEFAULT_MAX_CONCURRENT_REQUESTS); made on
        # first use because it belongs to the event loop that uses the pool.
        self.in_flight: anyio.Semaphore | None = None
        # Rate-limit state lives with the pool so `with_options` copies share it.
        self.rate = rate if rate is not None else RateCoordinator()
        self._factory = factory
        self._loop: object | None = None
        # An `AioHttpClient` exists only for the SDK, so by default the SDK closes it.
        self.owns_client = (
            http_client is None or getattr(http_client, "close_with_client", False) is True
        )
        self.closed = False

    @property
    def opened(self) -> bool:
        """True once an `httpx.AsyncClient` exists (created here or supplied)."""
        return self._client is not None

    def acquire(self) -> httpx.AsyncClient:
        """Return the live httpx client, checking the pool is open and on this loop."""
        if self.closed:
            raise ConnectSafelyError(_CLOSED_MESSAGE)
        loop = anyio.lowlevel.current_token().native_token
        if self._loop is None:
            self._loop = loop
            if self._max_in_flight is not None:
                # fast_acquire: no scheduling checkpoint while a place is free.
                self.in_flight = anyio.Semaphore(self._max_in_flight, fast_acquire=True)
        elif loop is not self._loop:
            raise ConnectSafelyError(
                "This AsyncClient's connections belong to another event loop. Create one "
                "client per event loop (e.g. inside the function you pass to anyio.run)."
            )
        client = self._client
        if client is None:
            client = self._client = self._factory()
        return client

    async def aclose(self) -> None:
        """Close the pool (and the httpx client, when the SDK created it)."""
        if self.closed:
            return
        self.closed = True
        client, self._client = self._client, None
        if client is not None and self.owns_client:
            await client.aclose()


class HttpCore:
    """Sends requests for one client configuration over a (possibly shared) pool."""

    __slots__ = ("_base", "_headers", "_post_headers_base", "closed", "config", "gate", "pool")

    def __init__(
        self, config: ClientConfig, pool: ConnectionPool, gate: RateGate | None = None
    ) -> None:
        self.config = config
        self.pool = pool
        self.gate = gate if gate is not None else pool.rate.gate()
        self.closed = False
        self._base = str(config.base_url)
        # Built once: per-call work is only the Idempotency-Key on POSTs.
        # A default header replaces the SDK's own of the same name, in any spelling
        # (`user-agent` as well as `User-Agent`), instead of being sent beside it.
        overridden = {name.lower() for name in config.default_headers}
        base = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self._headers = {
            **{k: v for k, v in base.items() if k.lower() not in overridden},
            **config.default_headers,
            "Authorization": f"Bearer {config.api_key}",
        }
        self._post_headers_base = {**self._headers, "Content-Type": "application/json"}

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, str] | None = ...,
        json_body: object = ...,
        content: RequestContent | None = ...,
        idempotency_key: str | None = ...,
    ) -> T: ...

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: None = ...,
        params: Mapping[str, str] | None = ...,
        json_body: object = ...,
        content: RequestContent | None = ...,
        idempotency_key: str | None = ...,
    ) -> Any: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        content: RequestContent | None = None,
        idempotency_key: str | None = None,
    ) -> T | Any:
        """Send one API call with retries and return the decoded body.

        Args:
            method: HTTP method.
            path: Path below the base URL, already percent-encoded.
            cast_to: Model class to decode the JSON body into; ``None`` returns the JSON.
            params: Query parameters (``None`` values must already be removed).
            json_body: A JSON-serialisable body.
            content: A raw body (uploads); exclusive with ``json_body``.
            idempotency_key: The caller's key; generated when ``None`` (POST only).
        """
        if self.closed:
            raise ConnectSafelyError(_CLOSED_MESSAGE)
        http = self.pool.acquire()
        headers, data = self._prepare(method, json_body, content, idempotency_key)
        url = self._base + path

        rate = self.gate.call()

        async def attempt() -> T | Any:
            await rate.admit()  # client-wide pauses and pacing (see `_ratelimit`)
            body = data if content is None else await content.open()
            try:
                request = _build_request(
                    http,
                    method,
                    url,
                    params=params,
                    body=body,
                    headers=headers,
                    timeout=self.config.timeout,
                )
                response = await self._send(http, request)
                rate.observe(response)
            finally:
                if isinstance(body, httpx.AsyncByteStream):
                    await body.aclose()
            return self._decode(response, cast_to)

        replayable = content is None or content.replayable
        return await _retry.run_with_retries(
            attempt, self.config.max_retries, _retry.retryable_for(replayable), method, path
        )

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        idempotency_key: str | None = None,
    ) -> ResponseStream:
        """The streaming counterpart of `request`, for bodies too big to hold in memory.

        Use as ``async with core.stream(...) as response:`` and read the body with
        ``response.aiter_bytes()``. See `ResponseStream` for the retry and clean-up rules.
        """
        # Imported here: only media downloads stream, and `_streaming` imports this module.
        from ._streaming import ResponseStream

        return ResponseStream(
            self, method, path, params=params, json_body=json_body, idempotency_key=idempotency_key
        )

    def _prepare(
        self,
        method: str,
        json_body: object,
        content: RequestContent | None,
        idempotency_key: str | None,
    ) -> tuple[dict[str, str], bytes | None]:
        if content is not None:
            headers = {**self._headers, "Content-Type": content.content_type}
            if content.length is not None:
                headers["Content-Length"] = str(content.length)
            data = None
        elif json_body is not None:
            headers = dict(self._post_headers_base)
            data = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
        else:
            headers = self._headers
            data = None
        if method == "POST":
            if headers is self._headers:
                headers = dict(headers)
            # One key per call, identical on every retry of it, so a deduplicating
            # server can recognise a retried send.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        return headers, data

    async def _send(
        self, http: httpx.AsyncClient, request: httpx.Request, *, stream: bool = False
    ) -> httpx.Response:
        started = time.perf_counter()
        in_flight = self.pool.in_flight
        try:
            if in_flight is None or stream:
                # A stream holds its connection until the caller closes it, which a
                # place in the queue must not wait for; streams are rare and short.
                response = await http.send(request, stream=stream)
            else:
                async with in_flight:
                    response = await http.send(request)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"Request timed out: {request.method} {request.url.path} ({type(exc).__name__})",
                request=request,
            ) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(
                f"Connection failed: {request.method} {request.url.path} "
                f"({type(exc).__name__}: {exc})",
                request=request,
            ) from exc
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms",
                request.method,
                request.url.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
        return response

    @staticmethod
    def _decode(response: httpx.Response, cast_to: type[T] | None) -> T | Any:
        if not response.is_success:
            raise error_from_response(response)
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            raise APIResponseValidationError(
                f"Expected a JSON body from {response.request.url.path}, got "
                f"{response.headers.get('content-type', 'no content type')} "
                f"({len(response.content)} bytes).",
                request=response.request,
                body=response.text[:2000],
                status_code=response.status_code,
            ) from None
        if isinstance(data, dict) and data.get("success") is False:
            raise operation_failed(response, data)
        if cast_to is None:
            return data
        try:
            return structure(data, cast_to)
        except DecodeError as exc:
            raise APIResponseValidationError(
                f"Unexpected response body from {response.request.url.path}: {exc}",
                request=response.request,
                body=data,
                status_code=response.status_code,
            ) from None


def _build_request(
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
    the GC to finalise; a stream is sent as itself, bytes through `_BytesBody`.
    """
    request = http.build_request(
        method, url, params=params, content=body, headers=headers, timeout=timeout
    )
    request.stream = body if isinstance(body, httpx.AsyncByteStream) else _BytesBody(body or b"")
    return request
