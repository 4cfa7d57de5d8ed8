"""`Attempt`: one attempt of an API call, and `decode`: its answer as a model.

`HttpCore.request` makes one `Attempt` per call and hands it to the retry policy
(`_retry.run_with_retries`), which awaits it once per attempt.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import anyio
import httpx

from .._errors import APIResponseValidationError, RateLimitError
from .._limits import CallGate
from .._retry import BeforeSend
from .._serde import DecodeError, decode_fast, structure
from .._status import error_from_response, operation_failed
from ._bodies import RequestContent
from ._sender import Reply, Sender, full_response, log_sent

__all__ = ["Attempt", "decode"]

T = TypeVar("T")

logger = logging.getLogger("connectsafely")


class Attempt:
    """One call's attempt, as `run_with_retries` awaits it (once per attempt)::

        limits gate -> before_send hook (first admission only) -> send -> observe
            -> typed error | decoded model

    `HttpCore.request` fills one in per call. A slotted object rather than a closure over
    the call's locals: a call in flight holds one object here, not a function with its
    closure tuple and a dozen cells, and with a few hundred calls in flight the garbage
    collector scans every one of them, collection after collection
    (``docs/performance.md``).
    """

    __slots__ = (
        "cast_to", "content", "data", "headers", "hook", "in_flight",
        "method", "params", "rate", "sender", "timeout", "url",
    )  # fmt: skip

    sender: Sender
    method: str
    url: str
    params: Mapping[str, str] | None
    headers: dict[str, str]
    data: bytes | None
    content: RequestContent | None
    cast_to: type[Any] | None
    rate: CallGate
    hook: BeforeSend | None
    in_flight: anyio.Semaphore | None
    timeout: httpx.Timeout

    async def __call__(self) -> Any:
        rate = self.rate
        await rate.admit()  # refusals, pauses and pacing (see `_limits`)
        hook = self.hook
        if hook is not None:
            await hook()  # admitted: the last moment before the first byte goes out
            self.hook = None
        content = self.content
        body = self.data if content is None else await content.open()
        method, url, params, headers = self.method, self.url, self.params, self.headers
        in_flight, timeout = self.in_flight, self.timeout
        started = time.perf_counter()
        try:
            if in_flight is None:
                response = await self.sender.send(
                    method, url, params=params, body=body, headers=headers, timeout=timeout
                )
            else:
                async with in_flight:
                    response = await self.sender.send(
                        method, url, params=params, body=body, headers=headers, timeout=timeout
                    )
            if logger.isEnabledFor(logging.DEBUG):
                log_sent(method, url, response.status_code, started)
            await rate.observe(response)
        finally:
            if isinstance(body, httpx.AsyncByteStream):
                await body.aclose()
        if response.status_code != 429:
            return decode(response, self.cast_to)
        # A 429 is shown to the limits first (scoped pauses, holds, quota blocks),
        # which may turn it into a more precise error.
        error = error_from_response(full_response(response))
        assert isinstance(error, RateLimitError)
        raise await rate.refused(error)


def decode(response: Reply, cast_to: type[T] | None) -> T | Any:
    """A response's body as ``cast_to`` (or the JSON when ``None``); an error status, a
    ``"success": false`` body or a body that is not the model raise the typed error."""
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
