"""Streamed responses: ``async with core.stream(...) as response`` (media downloads).

The request half is the one pipeline's (`_http`): the same headers, request building,
rate gate, retry policy and error mapping. What differs is only when the response is
handed over: at its headers, with the body left for the caller to read.
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import httpx

from . import _retry
from ._errors import APIConnectionError, APIError, APITimeoutError, ConnectSafelyError
from ._http import _CLOSED_MESSAGE, HttpCore, _build_request
from ._status import error_from_response

__all__ = ["ResponseStream"]


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
            raise ConnectSafelyError(_CLOSED_MESSAGE)
        method, path, params, json_body, idempotency_key = self._args
        http = core.pool.acquire()
        headers, data = core._prepare(method, json_body, None, idempotency_key)
        url = core._base + path

        rate = core.gate.call()

        async def attempt() -> httpx.Response:
            await rate.admit()
            request = _build_request(
                http,
                method,
                url,
                params=params,
                body=data,
                headers=headers,
                timeout=core.config.timeout,
            )
            response = await core._send(http, request, stream=True)
            rate.observe(response)
            if response.is_success:
                return response
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise _transport_error(exc, request) from exc
            finally:
                await response.aclose()
            raise error_from_response(response)

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


def _transport_error(exc: httpx.HTTPError, request: httpx.Request) -> APIError:
    """The SDK error for an httpx failure while reading a streamed body."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"Timed out reading the response: {request.method} {request.url.path}",
            request=request,
        )
    return APIConnectionError(
        f"Connection failed while reading the response: {request.method} {request.url.path} "
        f"({type(exc).__name__}: {exc})",
        request=request,
    )
