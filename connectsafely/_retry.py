"""Which failures are retried, and how long to wait before the next attempt.

The rules are plain functions of an exception (and its response headers), so they can
be tested without any I/O; `run_with_retries` hands them to tenacity for the pipeline.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import anyio
import httpx

from ._errors import (
    APIConnectionError,
    APIStatusError,
    OperationFailedError,
    RateLimitError,
)
from ._headers import should_retry
from ._status import conversation_unknown

if TYPE_CHECKING:
    # Imported on the first retry only (see `run_with_retries`): most calls never need it.
    from tenacity import RetryCallState

R = TypeVar("R")

logger = logging.getLogger("connectsafely")

# Failures that happen before any byte of the request left this process: safe to retry
# even when the request body cannot be replayed.
NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

__all__ = [
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_SERVER_WAIT",
    "NOTHING_SENT",
    "BeforeSend",
    "Recover",
    "backoff_delay",
    "is_retryable",
    "moved_within",
    "outcome_unknown",
    "retryable_for",
    "run_with_retries",
    "server_requested_wait",
    "sleep",
]

INITIAL_BACKOFF = 0.5
"""Seconds before the first retry when the server gives no hint."""

MAX_BACKOFF = 8.0
"""Ceiling of the exponential backoff."""

MAX_SERVER_WAIT = 60.0
"""A server-requested wait longer than this is not slept: the call fails at once.

The daily new-conversation quota resets at midnight UTC; blocking a coroutine for hours
is never what a caller wants, so the error carries ``retry_after`` instead.
"""

_RETRYABLE_STATUS = frozenset({408, 429})


async def sleep(seconds: float) -> None:
    """Sleep between attempts. Cancellable; tests patch this to record delays."""
    await anyio.sleep(seconds)


def is_retryable(error: BaseException) -> bool:
    """Decide whether another attempt may succeed where this one failed.

    Retried: connection errors, timeouts, 408, 429 and every 5xx but one. Not retried:
    other 4xx, `OperationFailedError`, responses we could not decode, and the documented
    500 of mark-seen / typing-indicator for an unknown conversation (its body says so,
    see `_status.conversation_unknown`: the same call would fail the same way). A response header
    ``x-should-retry: true|false`` overrides the status-based rule. Never retried,
    whatever the status or header: a server-requested wait above `MAX_SERVER_WAIT`, and
    a 429 that puts the account on hold (``holdUntil``), since calling again during a
    hold can prolong it.
    """
    if isinstance(error, OperationFailedError):
        return False
    if isinstance(error, RateLimitError) and error.hold_until is not None:
        return False
    if isinstance(error, APIStatusError):
        override = None if error.response is None else should_retry(error.response.headers)
        if override is not None:
            verdict = override
        else:
            status = error.status_code
            verdict = status in _RETRYABLE_STATUS or (
                status >= 500 and not conversation_unknown(status, error.body)
            )
        if not verdict:
            return False
        wait = server_requested_wait(error)
        return wait is None or wait <= MAX_SERVER_WAIT
    return isinstance(error, APIConnectionError)


_MOVED = frozenset({307, 308})


def moved_within(error: BaseException, base_url: str) -> str | None:
    """Where a 307/308 answer points, when that is an API path of the same server.

    The path (with its query) below ``base_url`` that the ``Location`` names, if it
    resolves to the base URL's scheme, host and port and to a ``/linkedin/...`` path
    under the base URL's own path; ``None`` for any other answer. This API answered 307
    when it moved endpoints before; a caller whose call is idempotent may follow that
    once (`httpx` keeps the method and body for 307/308). Never another host: the
    request carries the API key.
    """
    if not isinstance(error, APIStatusError) or error.status_code not in _MOVED:
        return None
    response = error.response
    location = None if response is None else response.headers.get("location")
    if response is None or not location:
        return None
    try:
        target = response.request.url.join(location)
    except (httpx.InvalidURL, RuntimeError):  # RuntimeError: a response without request
        return None
    base = httpx.URL(base_url)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        return None
    prefix = base.raw_path.decode("ascii").split("?", 1)[0].rstrip("/")
    path = target.raw_path.decode("ascii")
    if not path.startswith(prefix + "/linkedin/"):
        return None
    return path[len(prefix) :]


def server_requested_wait(error: BaseException) -> float | None:
    """Seconds the server asked us to wait before trying again, if it said.

    That is the error's ``retry_after``, read when the error was built (see
    `_headers.parse_retry_after`, and ``holdUntil`` for a 429).
    """
    return error.retry_after if isinstance(error, APIStatusError) else None


def backoff_delay(retry_number: int) -> float:
    """Exponential backoff with jitter for the n-th retry (1-based).

    0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s ... each reduced by up to 25 % at random, so many
    clients failing together do not retry in lockstep.
    """
    base: float = min(MAX_BACKOFF, INITIAL_BACKOFF * (2.0 ** max(0, retry_number - 1)))
    return base * (1.0 - 0.25 * random.random())  # noqa: S311 - jitter, not crypto


Recover = Callable[[BaseException], Awaitable[R | None]]
"""Checks, after a failure that may have reached the server, whether it did.

Awaited before the next attempt and after the last one, only once a failure was
`outcome_unknown`: a value it returns is the call's result (no further attempt); ``None``
means "not delivered", so retrying is safe; raising ends the call with that error.
"""


BeforeSend = Callable[[], Awaitable[None]]
"""Awaited by the pipeline once a call is admitted to send (after any pacing wait), just
before its first request goes out, and only once per call: the send ledger claims the
idempotency key here, as late as it can. Raising ends the call with that error, nothing
sent (so a counted new conversation is given back)."""


def outcome_unknown(error: BaseException) -> bool:
    """Whether a failed call may nevertheless have been carried out by the server.

    True for a 5xx (the server may have acted before failing) and for a connection
    failure after the request started to go out; false for every other status and for
    failures that provably happened before any byte was sent.
    """
    if isinstance(error, APIStatusError):
        return error.status_code >= 500
    if isinstance(error, APIConnectionError):
        return not isinstance(error.__cause__, NOTHING_SENT)
    return False


async def run_with_retries(
    attempt: Callable[[], Awaitable[R]],
    max_retries: int,
    retryable: Callable[[BaseException], bool],
    method: str,
    path: str,
    *,
    recover: Recover[R] | None = None,
) -> R:
    """Run ``attempt`` under the retry policy (at most ``max_retries + 1`` attempts).

    The first attempt runs directly: tenacity, its imports and its per-call state are
    only brought in once a retryable failure happened, which most calls never see.
    Tenacity then replays that failure as its own attempt 1, so waits, retry logs, the
    attempt count and the Idempotency-Key are exactly as if it had run every attempt.

    With ``recover`` (see `Recover`), a call whose outcome became unknown is checked
    before it is sent again and once more after its last attempt, so an operation that
    must not happen twice (a message send) is never repeated blindly.
    """
    try:
        return await attempt()
    except Exception as exc:
        if max_retries == 0 or not retryable(exc):
            if recover is not None and outcome_unknown(exc):
                return await _recover_or_raise(recover, exc)
            raise
        failure = exc
    # Out of the `except` block, so the first failure's traceback is not chained to
    # every later one (tenacity replays it as its own first attempt).
    return await _retry_after(
        failure, attempt, max_retries, retryable, method=method, path=path, recover=recover
    )


async def _retry_after(
    failure: Exception,
    attempt: Callable[[], Awaitable[R]],
    max_retries: int,
    retryable: Callable[[BaseException], bool],
    *,
    method: str,
    path: str,
    recover: Recover[R] | None,
) -> R:
    """`run_with_retries` once its first attempt failed retryably (``failure``).

    A function of its own: its closure's cells are made only for the calls that retry,
    not on every call's way through `run_with_retries`.
    """
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    first_failure: Exception | None = failure
    last_failure: Exception = failure
    uncertain = recover is not None and outcome_unknown(failure)

    async def replay_then_attempt() -> R:
        nonlocal first_failure, last_failure, uncertain
        if first_failure is not None:
            failed, first_failure = first_failure, None
            raise failed
        if uncertain:
            assert recover is not None
            try:
                found = await recover(last_failure)
            except Exception as error:
                raise _RecoverFailedError(error) from None
            if found is not None:
                return found
        try:
            return await attempt()
        except Exception as error:
            last_failure = error
            uncertain = uncertain or (recover is not None and outcome_unknown(error))
            raise

    retrying = AsyncRetrying(
        stop=stop_after_attempt(max_retries + 1),
        wait=_wait,
        retry=retry_if_exception(lambda e: not isinstance(e, _RecoverFailedError) and retryable(e)),
        sleep=sleep,  # looked up per call: tests replace it to record delays
        before_sleep=_log_retry(method, path, max_retries + 1, checking=recover is not None),
        reraise=True,
    )
    try:
        return await retrying(replay_then_attempt)
    except _RecoverFailedError as stop:
        # The check's verdict ends the call: no more attempts. Its own cause (why the
        # check failed) is kept; only the wrapper is hidden.
        raise stop.error from stop.error.__cause__
    except Exception as error:
        if not uncertain:
            raise
        # Out of attempts (or no longer retryable): the last attempt, or an earlier
        # one, may still have gone through.
        return await _recover_or_raise(recover, error)


class _RecoverFailedError(Exception):
    """Carries an error raised by ``recover`` out of tenacity, which must not retry it."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def _recover_or_raise(recover: Recover[R] | None, failure: Exception) -> R:
    assert recover is not None
    found = await recover(failure)
    if found is None:
        raise failure
    return found


def _wait(state: RetryCallState) -> float:
    """The server's requested wait when it gave one, else exponential backoff."""
    error = state.outcome.exception() if state.outcome else None
    if error is not None:
        requested = server_requested_wait(error)
        if requested is not None:
            return requested
    return backoff_delay(state.attempt_number)


def retryable_for(replayable: bool) -> Callable[[BaseException], bool]:
    """The retry rule for a call whose body can (or cannot) be sent again identically."""
    if replayable:
        return is_retryable

    def only_if_nothing_sent(error: BaseException) -> bool:
        # A one-shot stream was (maybe partly) consumed: only retry failures that
        # provably happened before any byte was sent.
        return isinstance(error.__cause__, NOTHING_SENT) and is_retryable(error)

    return only_if_nothing_sent


def _log_retry(
    method: str, path: str, attempts: int, *, checking: bool = False
) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        logger.info(
            "Retrying %s %s in %.2f s (attempt %d of %d failed: %s)%s",
            method,
            path,
            delay,
            state.attempt_number,
            attempts,
            error,
            "; checking first whether it went through"
            if checking and error is not None and outcome_unknown(error)
            else "",
        )

    return log
