"""The exception tree.

::

    ConnectSafelyError
    ├── ConfigurationError
    ├── PaginationError
    ├── StoreError                (the shared store cannot be reached, or is corrupt)
    ├── SendInProgressError       .idempotency_key .expires_at .retry_after (held elsewhere)
    ├── SendInDoubtError          .idempotency_key (may have been sent; cannot check)
    ├── ProspectRepliedError      .message_urn .sent_at .reply (a follow-up not sent)
    ├── WebhookVerificationError  (in connectsafely.webhooks: signature missing or wrong)
    └── APIError                      .message  .request
        ├── APIConnectionError        (network failure)
        │   └── APITimeoutError
        ├── APIResponseValidationError  (2xx body that is not the JSON we expect)
        └── APIStatusError            .status_code .response .body .code .request_id .retry_after
            ├── BadRequestError 400   ├── AuthenticationError 401   ├── PermissionDeniedError 403
            ├── NotFoundError 404     ├── ConflictError 409         ├── UnprocessableEntityError 422
            ├── RateLimitError 429 (.hold_until .account_id .action)
            │   └── QuotaExceededError  (an account's daily new-conversation quota)
            ├── InternalServerError 5xx
            └── OperationFailedError  (2xx with "success": false)

Errors carry plain data so they pickle: the request and response objects are kept
for inspection but dropped when pickling (they hold sockets and streams).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._models.messages import Message

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectSafelyError",
    "InternalServerError",
    "NotFoundError",
    "OperationFailedError",
    "PaginationError",
    "PermissionDeniedError",
    "ProspectRepliedError",
    "QuotaExceededError",
    "RateLimitError",
    "SendInDoubtError",
    "SendInProgressError",
    "StoreError",
    "UnprocessableEntityError",
]


class ConnectSafelyError(Exception):
    """Base class of every exception raised by this SDK."""


class ConfigurationError(ConnectSafelyError):
    """The client was configured wrongly (missing or malformed key, unsafe base URL)."""


class PaginationError(ConnectSafelyError):
    """The server's paging went wrong, e.g. it returned the same cursor twice."""


class StoreError(ConnectSafelyError):
    """The store (``AsyncClient(store=...)``) cannot be reached, or its data is corrupt.

    The call fails: the SDK never sends without coordination. The message names the
    store (a path or a Redis address), never a secret.
    """


class SendInProgressError(ConnectSafelyError):
    """Another caller holds this idempotency key's claim: its send is still running, or
    its holder is gone (a crashed worker) and the claim has not expired yet.

    Retry after `retry_after` seconds: by then a live holder has recorded its result
    (the retry replays it) or a dead holder's claim has expired (the retry checks
    whether its message went out before sending).

    Attributes:
        idempotency_key: The key.
        expires_at: When the holder's claim expires unless renewed (aware UTC), or
            ``None`` when the store did not say.
        retry_after: Seconds from when the error was raised until ``expires_at``.
    """

    def __init__(
        self,
        message: str,
        *,
        idempotency_key: str,
        expires_at: datetime | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.idempotency_key = idempotency_key
        self.expires_at = expires_at
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_in_progress,
            (type(self), str(self), self.idempotency_key, self.expires_at, self.retry_after),
        )


def _rebuild_in_progress(
    cls: type[SendInProgressError],
    message: str,
    key: str,
    expires_at: datetime | None,
    retry_after: float | None,
) -> SendInProgressError:
    return cls(message, idempotency_key=key, expires_at=expires_at, retry_after=retry_after)


class SendInDoubtError(ConnectSafelyError):
    """An earlier attempt under this key may have reached LinkedIn and the SDK cannot
    check: it refuses to risk a second message. Check the conversation yourself; the key
    stays in doubt until a check (or your decision with a new key) settles it.

    Attributes:
        idempotency_key: The key.
    """

    def __init__(self, message: str, *, idempotency_key: str) -> None:
        super().__init__(message)
        self.idempotency_key = idempotency_key

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_keyed, (type(self), str(self), self.idempotency_key))


def _rebuild_keyed(cls: type[SendInDoubtError], message: str, key: str) -> ConnectSafelyError:
    return cls(message, idempotency_key=key)


class ProspectRepliedError(ConnectSafelyError):
    """A send guarded by ``unless_replied_since`` found a reply: nothing was sent.

    The prospect (anyone but the account owner) wrote in the conversation after the
    given time, so the follow-up stayed unsent and its idempotency key was released.
    The reply's text is in `reply` only, never in the message of the error.

    Attributes:
        message_urn: The newest reply's URN.
        sent_at: When the newest reply was sent (aware UTC), if the API said.
        idempotency_key: The send's key, or ``None`` for a send without one.
        reply: The newest reply as read (``None`` after unpickling across versions
            that lack it).
    """

    def __init__(
        self,
        message: str,
        *,
        message_urn: str | None,
        sent_at: datetime | None,
        idempotency_key: str | None = None,
        reply: Message | None = None,
    ) -> None:
        super().__init__(message)
        self.message_urn = message_urn
        self.sent_at = sent_at
        self.idempotency_key = idempotency_key
        self.reply = reply

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {
            "message_urn": self.message_urn,
            "sent_at": self.sent_at,
            "idempotency_key": self.idempotency_key,
            "reply": self.reply,
        }
        return (_rebuild_replied, (type(self), str(self), fields))


def _rebuild_replied(
    cls: type[ProspectRepliedError], message: str, fields: dict[str, Any]
) -> ProspectRepliedError:
    return cls(message, **fields)


class APIError(ConnectSafelyError):
    """A request to the API failed.

    Attributes:
        message: A human readable description of what went wrong.
        request: The `httpx.Request` that failed (``None`` after unpickling).
    """

    message: str
    request: httpx.Request | None

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the plain data, drop live httpx objects: they do not pickle.
        state = {k: v for k, v in self.__dict__.items() if k not in ("request", "response")}
        return (_rebuild, (type(self), self.message, state))


def _rebuild(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    error.request = None
    if isinstance(error, APIStatusError):
        error.response = None
    return error


class APIConnectionError(APIError):
    """The request never got a complete HTTP response (DNS, refused, reset, protocol error)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or waiting for a pooled connection)."""


class APIResponseValidationError(APIError):
    """A successful response whose body is not the JSON the SDK expects.

    Attributes:
        body: The decoded JSON (or raw text) that failed validation.
        status_code: The HTTP status of the response.
    """

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        body: object = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.body = body
        self.status_code = status_code


class APIStatusError(APIError):
    """The API answered with an error status (or a 2xx that reports failure).

    Attributes:
        status_code: The HTTP status code.
        response: The `httpx.Response` (``None`` after unpickling).
        body: The decoded JSON body, or the text when it is not JSON, or ``None``.
        code: The API's machine-readable error code when the body has one.
        request_id: The server's request id header, when present.
        retry_after: Seconds the server asked us to wait before trying again
            (``Retry-After``, ``retry-after-ms``, a 429's ``X-RateLimit-Reset`` or
            ``holdUntil``), or ``None`` when it asked for no wait.
    """

    response: httpx.Response | None
    retry_after: float | None

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response | None,
        status_code: int,
        body: object = None,
        code: str | None = None,
        request_id: str | None = None,
        request: httpx.Request | None = None,
        retry_after: float | None = None,
    ) -> None:
        if request is None and response is not None:
            request = response.request
        super().__init__(message, request=request)
        self.response = response
        self.status_code = status_code
        self.body = body
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    """HTTP 400: the request was invalid, or the send itself failed."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the trial expired or the plan does not include this feature."""


class NotFoundError(APIStatusError):
    """HTTP 404: the account, conversation or resource does not exist."""


class ConflictError(APIStatusError):
    """HTTP 409: the request conflicts with the current state."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request was well formed but semantically invalid."""


class RateLimitError(APIStatusError):
    """HTTP 429: a rate limit or quota was hit (or, without a response, a limit the SDK
    already knows about refused the call before sending it).

    Attributes:
        retry_after: Seconds the server asked us to wait, or ``None`` if it did not say.
        hold_until: When the body carries ``holdUntil`` (LinkedIn put the account on
            hold for this kind of action), that moment as an aware UTC `datetime`;
            ``retry_after`` then counts the seconds until it. A hold is never retried:
            calling again during it can prolong it. ``None`` for ordinary 429s.
        account_id: The LinkedIn account the limit applies to, or ``None`` when it is
            the API key's limit (every account).
        action: The action category the limit applies to (``X-RateLimit-Action``, such
            as ``"MESSAGE"`` or ``"CONNECT"``; an open set of strings), or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        hold_until: datetime | None = None,
        account_id: str | None = None,
        action: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.hold_until = hold_until
        self.account_id = account_id
        self.action = action


class QuotaExceededError(RateLimitError):
    """An account's count for the current window is used up: its new conversations of
    the UTC day (150), its connection requests of the week from Monday 00:00 UTC (90,
    ``action="CONNECT"``) or its profile views of the UTC day (120,
    ``action="PROFILE_VIEW"``).

    Raised when such a call (a send without ``conversation_urn``, ``invitations.send``,
    ``profiles.get``/``visit``) is answered 429 with a wait of over a minute, and from
    then until the reset for that account's further calls of the kind, without a
    request; also once the SDK's own count reaches ``Limits.daily_new_conversations``,
    ``account_connects`` or ``account_profile_views``. ``retry_after`` says when the
    window resets and ``account_id`` names the account; other kinds of call and other
    accounts are not affected.
    """


class InternalServerError(APIStatusError):
    """HTTP 5xx: the server failed."""


class OperationFailedError(APIStatusError):
    """A 2xx response whose body says ``"success": false``. Never retried."""


def quota_error_from(
    error: RateLimitError, account: str | None, action: str | None
) -> QuotaExceededError:
    """``error`` (a 429 on a call counted per window, such as a send that may start a
    conversation) as the quota error it turned out to be, naming the account and the
    action."""
    return QuotaExceededError(
        error.message,
        response=error.response,
        status_code=error.status_code,
        body=error.body,
        code=error.code,
        request_id=error.request_id,
        retry_after=error.retry_after,
        account_id=account,
        action=action,
    )


def from_httpx_error(
    exc: httpx.HTTPError, request: httpx.Request, *, reading: bool = False
) -> APIConnectionError:
    """The SDK error for an httpx failure: `APITimeoutError` for a timeout, else
    `APIConnectionError`. ``reading`` says it happened while reading a streamed body
    whose status had already arrived (media downloads), which the message says too."""
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, httpx.TimeoutException):
        if reading:
            return APITimeoutError(f"Timed out reading the response: {where}", request=request)
        return APITimeoutError(
            f"Request timed out: {where} ({type(exc).__name__})", request=request
        )
    lead = "Connection failed while reading the response" if reading else "Connection failed"
    return APIConnectionError(f"{lead}: {where} ({type(exc).__name__}: {exc})", request=request)
