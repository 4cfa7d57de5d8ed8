"""Sending: `HttpCore.request` (decoded models) and `HttpCore.stream` (bodies read later).

Both go the same way, attempt by attempt::

    limits gate (refusals, pauses, pacing) -> send (a `Sender`) -> observe limits
        -> typed error | decoded model        (all under the retry policy of `_retry`)

With telemetry on, the `Sender` of a call is wrapped once (`HttpCore._sender`, the one
seam to `_telemetry`) so that each attempt is a CLIENT span and a duration point.

The `Sender` comes with the pool's client: it builds and sends the request (see
`_sender`); everything else here is the same whichever client moves the bytes.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar, overload

import anyio
import httpx

from .. import _retry
from .._config import USER_AGENT, ClientConfig
from .._errors import (
    APIResponseValidationError,
    ConnectSafelyError,
    RateLimitError,
    from_httpx_error,
)
from .._ledger import Ledger
from .._limits import READ, CallGate, CallScope, RateGate
from .._serde import DecodeError, decode_fast, structure
from .._status import error_from_response, operation_failed
from .._telemetry import traced_sender
from ._bodies import RequestContent
from ._pool import CLOSED_MESSAGE, ConnectionPool
from ._sender import Reply, Sender, full_response

__all__ = ["HttpCore", "ResponseStream"]

T = TypeVar("T")

logger = logging.getLogger("connectsafely")


class HttpCore:
    """Sends requests for one client configuration over a (possibly shared) pool."""

    __slots__ = ("_base", "_headers", "_post_headers_base", "closed", "config", "gate", "pool")

    def __init__(
        self, config: ClientConfig, pool: ConnectionPool, gate: RateGate | None = None
    ) -> None:
        self.config = config
        self.pool = pool
        self.gate = gate if gate is not None else RateGate(pool.limiter)
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

    @property
    def ledger(self) -> Ledger:
        """The send ledger shared by this client and its copies (in their store)."""
        return self.pool.ledger

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
        recover: _retry.Recover[Any] | None = ...,
        before_send: _retry.BeforeSend | None = ...,
        scope: CallScope = ...,
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
        recover: _retry.Recover[Any] | None = ...,
        before_send: _retry.BeforeSend | None = ...,
        scope: CallScope = ...,
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
        recover: _retry.Recover[Any] | None = None,
        before_send: _retry.BeforeSend | None = None,
        scope: CallScope = READ,
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
            recover: For calls that must not be repeated blindly (sends): checks
                whether an attempt whose outcome is unknown went through, before the
                next attempt and after the last (see `_retry.Recover`).
            before_send: Awaited once, when the call is first admitted to send (after
                its pacing wait), before the request goes out (see `_retry.BeforeSend`).
            scope: How the call counts against the limits (account, action, write,
                new conversation); reads count only against the key.
        """
        if self.closed:
            raise ConnectSafelyError(CLOSED_MESSAGE)
        sender = self._sender(method, path, scope, params, json_body)
        headers, data = self._prepare(method, json_body, content, idempotency_key)
        url = self._base + path

        rate = self.gate.call(scope)
        hook = before_send

        async def attempt() -> T | Any:
            nonlocal hook
            await rate.admit()  # refusals, pauses and pacing (see `_limits`)
            if hook is not None:
                await hook()  # admitted: the last moment before the first byte goes out
                hook = None
            body = data if content is None else await content.open()
            try:
                response = await self._send(
                    sender, method, url, params=params, body=body, headers=headers
                )
                await rate.observe(response)
            finally:
                if isinstance(body, httpx.AsyncByteStream):
                    await body.aclose()
            return await _decode_or_refuse(response, cast_to, rate)

        replayable = content is None or content.replayable
        try:
            result = await _retry.run_with_retries(
                attempt,
                self.config.max_retries,
                _retry.retryable_for(replayable),
                method,
                path,
                recover=recover,
            )
        except Exception as error:
            await rate.finished(error)
            raise
        return result

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
        return ResponseStream(
            self, method, path, params=params, json_body=json_body, idempotency_key=idempotency_key
        )

    def _sender(self, method: str, path: str, scope: CallScope, params: Any, body: Any) -> Sender:
        """The pool's sender for one call; the telemetry seam: when on, one that traces
        each attempt (`_telemetry.traced_sender`), else the plain one after one test."""
        if self.pool.telemetry is None:
            return self.pool.sender()
        account = scope.account
        return traced_sender(
            self.pool, self.config, method, path, account=account, params=params, json_body=body
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
        self,
        sender: Sender,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: bytes | httpx.AsyncByteStream | None,
        headers: Mapping[str, str],
    ) -> Reply:
        started = time.perf_counter()
        in_flight = self.pool.in_flight
        timeout = self.config.timeout
        if in_flight is None:
            response = await sender.send(
                method, url, params=params, body=body, headers=headers, timeout=timeout
            )
        else:
            async with in_flight:
                response = await sender.send(
                    method, url, params=params, body=body, headers=headers, timeout=timeout
                )
        if logger.isEnabledFor(logging.DEBUG):
            _log_sent(method, url, response.status_code, started)
        return response

    @staticmethod
    def _decode(response: Reply, cast_to: type[T] | None) -> T | Any:
        if not response.is_success:
            raise error_from_response(full_response(response))
        if cast_to is not None:
            # orjson when installed (the `speedups` extra); None means "decode as ever".
            decoded = decode_fast(response.content, cast_to)
            if decoded is not None:
                return decoded
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            full = full_response(response)
            raise APIResponseValidationError(
                f"Expected a JSON body from {full.request.url.path}, got "
                f"{full.headers.get('content-type', 'no content type')} "
                f"({len(full.content)} bytes).",
                request=full.request,
                body=full.text[:2000],
                status_code=full.status_code,
            ) from None
        if isinstance(data, dict) and data.get("success") is False:
            raise operation_failed(full_response(response), data)
        if cast_to is None:
            return data
        try:
            return structure(data, cast_to)
        except DecodeError as exc:
            full = full_response(response)
            raise APIResponseValidationError(
                f"Unexpected response body from {full.request.url.path}: {exc}",
                request=full.request,
                body=data,
                status_code=full.status_code,
            ) from None


class ResponseStream:
    """``async with core.stream(...) as response``: a 2xx response, body not yet read.

    Entering sends the request with the client's retry policy, but only up to the
    response headers: once a 2xx status arrived, the body belongs to the caller and a
    failure while reading it is raised (as `APIConnectionError`/`APITimeoutError`), never
    retried, because part of it may already have been consumed. An error status is
    read in full first (error bodies are small) so the typed error carries the API's
    message, then mapped exactly as `HttpCore.request` does. Leaving the block closes
    the response, shielded from cancellation, so no connection stays checked out of
    the pool, however the block ends.
    """

    __slots__ = ("_args", "_core", "_response")

    def __init__(
        self,
        core: HttpCore,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json_body: object,
        idempotency_key: str | None,
    ) -> None:
        self._core = core
        self._args = (method, path, params, json_body, idempotency_key)
        self._response: httpx.Response | None = None

    async def __aenter__(self) -> httpx.Response:
        if self._response is not None:
            raise RuntimeError("This response stream is already open.")
        core = self._core
        if core.closed:
            raise ConnectSafelyError(CLOSED_MESSAGE)
        method, path, params, json_body, idempotency_key = self._args
        sender = core._sender(method, path, READ, params, json_body)
        headers, data = core._prepare(method, json_body, None, idempotency_key)
        url = core._base + path

        rate = core.gate.call()

        async def attempt() -> httpx.Response:
            await rate.admit()
            # Not in the in-flight queue: a stream holds its connection until the caller
            # closes it, which a place in the queue must not wait for; streams are rare.
            started = time.perf_counter()
            response = await sender.open(
                method, url, params=params, body=data, headers=headers, timeout=core.config.timeout
            )
            if logger.isEnabledFor(logging.DEBUG):
                _log_sent(method, url, response.status_code, started)
            await rate.observe(response)
            if response.is_success:
                return response
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise from_httpx_error(exc, response.request, reading=True) from exc
            finally:
                await response.aclose()
            error = error_from_response(response)
            if isinstance(error, RateLimitError):
                error = await rate.refused(error)
            raise error

        response = await _retry.run_with_retries(
            attempt, core.config.max_retries, _retry.is_retryable, method, path
        )
        self._response = response
        return response

    async def __aexit__(self, *exc_info: object) -> None:
        response, self._response = self._response, None
        if response is not None:
            # Shielded: a cancelled task must still hand its connection back.
            with anyio.CancelScope(shield=True):
                await response.aclose()


def _log_sent(method: str, url: str, status: int, started: float) -> None:
    logger.debug(
        "%s %s -> %d in %.1f ms",
        method,
        httpx.URL(url).path,
        status,
        (time.perf_counter() - started) * 1000,
    )


async def _decode_or_refuse(response: Reply, cast_to: type[T] | None, rate: CallGate) -> T | Any:
    """`HttpCore._decode`, showing a 429 to the limits first (scoped pauses, holds,
    quota blocks), which may turn it into a more precise error."""
    if response.status_code != 429:
        return HttpCore._decode(response, cast_to)
    error = error_from_response(full_response(response))
    assert isinstance(error, RateLimitError)
    raise await rate.refused(error)
