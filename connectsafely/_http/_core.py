"""Sending: `HttpCore.request` (decoded models) and `HttpCore.stream` (bodies read later).

Both go the same way, attempt by attempt::

    limits gate (refusals, pauses, pacing) -> send (a `Sender`) -> observe limits
        -> typed error | decoded model        (all under the retry policy of `_retry`)

With telemetry on, the `Sender` of a call is wrapped once (`HttpCore._sender`, the one
seam to `_telemetry`) so that each attempt is a CLIENT span and a duration point.

The `Sender` comes with the pool's client: it builds and sends the request (see
`_sender`); everything else here is the same whichever client moves the bytes. A
``request``'s attempt is an `_attempt.Attempt`, which also decodes the answer.
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
from .._errors import ConnectSafelyError, RateLimitError, from_httpx_error
from .._ledger import Ledger
from .._limits import READ, CallScope, RateGate
from .._status import error_from_response
from .._telemetry import traced_sender
from ._attempt import Attempt
from ._bodies import RequestContent
from ._pool import CLOSED_MESSAGE, ConnectionPool
from ._sender import Sender, log_sent

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
        attempt = Attempt()
        attempt.sender = self._sender(method, path, scope, params, json_body)
        attempt.headers, attempt.data = self._prepare(method, json_body, content, idempotency_key)
        attempt.method = method
        attempt.url = self._base + path
        attempt.params = params
        attempt.content = content
        attempt.cast_to = cast_to
        attempt.rate = rate = self.gate.call(scope)
        attempt.hook = before_send
        attempt.in_flight = self.pool.in_flight
        attempt.timeout = self.config.timeout
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
                log_sent(method, url, response.status_code, started)
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
