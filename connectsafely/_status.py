"""Turning an error response into the right typed exception.

The API answers errors in several shapes (all seen in its docs and cookbook)::

    {"error": "Account not found"}
    {"success": false, "code": "validation_error", "message": "..."}
    {"success": false, "error": "..."}
    {"success": false, "error": {"name": "ZodError", "issues": [{"message": ..., "path": [...]}]}}
    {"success": false, "error": "...", "errorDetails": {"message": "..."}}
    {"success": false, "error": "Rate limit exceeded for CONNECT: ...", "holdUntil": "<ISO>"}

and proxies in front of it answer with HTML or nothing at all. Each gives a readable
message here; the raw body is kept on the exception.

One 500 is not a server fault: mark-seen and typing-indicator document a 500 ("failed
to mark conversation", "failed to send typing indicator") for a conversation the account
does not have. `conversation_unknown` recognises it by its text, its message says what to
check, and `_retry` does not retry it (the same call fails the same way).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import httpx

from ._errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    OperationFailedError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._headers import parse_hold_until, parse_retry_after

__all__ = ["conversation_unknown", "error_from_response", "operation_failed", "parse_body"]

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_MAX_DETAIL = 300  # characters of server text kept in an exception message
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "cf-ray")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_UNKNOWN_CONVERSATION = re.compile(
    r"conversation not found|failed to mark conversation|failed to send typing indicator",
    re.IGNORECASE,
)
_UNKNOWN_CONVERSATION_HINT = (
    " (the API answers this 500 when the account has no such conversation: check the"
    " conversation URN and account_id; not retried)"
)


def conversation_unknown(status: int, body: object) -> bool:
    """Whether an error is the documented 500 for a conversation the account lacks.

    Mark-seen and typing-indicator answer 500 with ``success: false`` and a text such as
    "Failed to mark conversation as seen" (no 404 is documented for them); any 500
    saying "conversation not found" is the same deterministic answer.
    """
    if status != 500:
        return False
    detail, _ = _describe(body)
    return _UNKNOWN_CONVERSATION.search(detail) is not None


def parse_body(response: httpx.Response) -> object:
    """The decoded JSON body, else the text, else ``None`` for an empty body."""
    content = response.content
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return response.text


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Build the exception for a non-2xx response."""
    status = response.status_code
    body = parse_body(response)
    detail, code = _describe(body)
    if 300 <= status < 400:
        location = response.headers.get("location", "?")
        detail = (
            f"unexpected redirect to {location}; the SDK does not follow redirects"
            " (only a same-server move of mark_seen, mark_all_read or send_typing, once)"
        )
    elif conversation_unknown(status, body):
        detail += _UNKNOWN_CONVERSATION_HINT
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(status) or "Error"
    message = f"{status} {reason}: {detail}" if detail else f"{status} {reason}"
    kwargs: dict[str, Any] = {
        "response": response,
        "status_code": status,
        "body": body,
        "code": code,
        "request_id": _request_id(response),
        "retry_after": parse_retry_after(response.headers, status),
    }
    if status == 429:
        hold_until = _hold_until(body)
        if hold_until is not None:
            # The hold is the authoritative wait: LinkedIn blocks this kind of action
            # until then, whatever a generic Retry-After says.
            kwargs["retry_after"] = max(0.0, hold_until.timestamp() - time.time())
        return RateLimitError(message, hold_until=hold_until, **kwargs)
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(message, **kwargs)


def operation_failed(response: httpx.Response, body: dict[str, Any]) -> OperationFailedError:
    """Build the exception for a 2xx whose body says ``"success": false``."""
    detail, code = _describe(body)
    message = f"The API reported failure: {detail or 'no reason given'}"
    return OperationFailedError(
        message,
        response=response,
        status_code=response.status_code,
        body=body,
        code=code,
        request_id=_request_id(response),
    )


def _hold_until(body: object) -> datetime | None:
    """The body's ``holdUntil`` as an aware UTC datetime (``None`` if absent or malformed)."""
    if not isinstance(body, dict):
        return None
    value = body.get("holdUntil")
    return parse_hold_until(value) if isinstance(value, str) else None


def _describe(body: object) -> tuple[str, str | None]:
    """Pick the human message and machine code out of any of the known body shapes."""
    if not isinstance(body, dict):
        return (_text_detail(body), None) if isinstance(body, str) else ("", None)
    detail, code = _describe_object(body)
    extra = _details_message(body)
    if extra and extra != detail:
        detail = _clip(f"{detail}: {extra}") if detail else _clip(extra)
    return detail, code


def _details_message(body: dict[str, Any]) -> str:
    """``errorDetails.message``: the specific cause some endpoints add to a generic error."""
    details = body.get("errorDetails")
    if isinstance(details, dict):
        message = details.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    return ""


def _describe_object(body: dict[str, Any]) -> tuple[str, str | None]:
    code = _str_or_none(body.get("code"))
    headline = ""
    for key in ("message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            headline = _clip(value)
            break
    error = body.get("error")
    if not isinstance(error, dict):
        return headline, code
    # A validation error object (zod): the issues name the fields, which is what a
    # caller needs to fix the request, so they win over a generic headline.
    issues = error.get("issues")
    if isinstance(issues, list):
        text = "; ".join(part for part in map(_issue_text, issues) if part)
        if text:
            return _clip(f"{headline}: {text}" if headline else text), code or _str_or_none(
                error.get("name")
            )
    inner = error.get("message")
    if not headline and isinstance(inner, str) and inner.strip():
        return _clip(inner), code or _str_or_none(error.get("code"))
    return headline, code


def _issue_text(issue: object) -> str:
    if not isinstance(issue, dict):
        return ""
    message = issue.get("message")
    if not isinstance(message, str):
        return ""
    path = issue.get("path")
    if isinstance(path, list) and path:
        return f"{'.'.join(str(p) for p in path)}: {message}"
    return message


def _text_detail(text: str) -> str:
    """A short, readable line from a non-JSON body (plain text or an HTML error page)."""
    sample = text[:20_000]
    title = _TITLE.search(sample)
    if title:
        return _clip(" ".join(title.group(1).split()))
    return _clip(" ".join(_TAGS.sub(" ", sample).split()))


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _request_id(response: httpx.Response) -> str | None:
    headers = response.headers
    for name in _REQUEST_ID_HEADERS:
        value: str | None = headers.get(name)
        if value:
            return value
    return None
