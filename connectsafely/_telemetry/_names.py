"""Span, attribute and metric names (design §16), and the values that go into them.

Pure functions, no OpenTelemetry import: what a value is allowed to say is decided here,
in one place, so that nothing secret or personal can reach a span or a metric by accident.

- `url_template`: a request path with every caller-supplied segment replaced by its
  placeholder (``/linkedin/conversations/{conversationUrn}/messages``), never the URN;
- `error_type`: the status code for an error response (``"503"``), else the exception's
  class name (``"APITimeoutError"``), never its message;
- `path_hints`: which path segments came from which argument of the call.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

import attrs

from .._errors import APIStatusError

__all__ = [
    "ACCOUNT_ID",
    "LEDGER_OUTCOME",
    "argument",
    "error_type",
    "ledger_outcome_of",
    "path_hints",
    "placeholder",
    "url_template",
]

# -- spans ------------------------------------------------------------------------------------

PREFIX = "connectsafely "
"""Every INTERNAL span of the SDK: ``connectsafely {namespace}.{method}``."""

LIMITS_WAIT = "connectsafely limits.wait"

ACCOUNT_ID = "connectsafely.account_id"
LEDGER_OUTCOME = "connectsafely.ledger.outcome"
LIMITS_ACTION = "connectsafely.limits.action"
LIMITS_REASON = "connectsafely.limits.reason"
BULK_DONE = "connectsafely.bulk.done"
BULK_FAILED = "connectsafely.bulk.failed"

# The HTTP client semantic conventions (stable).
HTTP_METHOD = "http.request.method"
HTTP_STATUS = "http.response.status_code"
RESEND_COUNT = "http.request.resend_count"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
URL_TEMPLATE = "url.template"
ERROR_TYPE = "error.type"

# -- metrics ------------------------------------------------------------------------------------

DURATION = "http.client.request.duration"
RETRIES = "connectsafely.retries"
RATE_LIMITED = "connectsafely.rate_limited"
HOLDS = "connectsafely.holds"
LEDGER_REPLAYS = "connectsafely.ledger.replays"
WEBHOOK_EVENTS = "connectsafely.webhooks.events"
OPERATION = "connectsafely.operation"
OUTCOME = "outcome"

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
"""The semantic conventions' advice for ``http.client.request.duration`` (seconds)."""

# -- values -------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
"""A literal path segment of the API: lower-case words joined by hyphens (``mark-seen``)."""

_UNKNOWN_SEGMENT = "{id}"

_OUTCOME_OF_ERROR = {
    "SendInDoubtError": "in_doubt",
    "ProspectRepliedError": "skipped_reply",
}


@functools.lru_cache(maxsize=256)
def placeholder(argument: str) -> str:
    """``conversation_urn`` -> ``{conversationUrn}``: the API's name for the argument."""
    head, *rest = argument.split("_")
    return "{" + head + "".join(part.capitalize() for part in rest) + "}"


def _names_an_id(argument: str) -> bool:
    return argument.endswith(("_id", "_urn"))


def path_hints(
    parameters: Iterable[str],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    default_account: str | None,
) -> dict[str, str]:
    """Argument value -> placeholder, for the id arguments of one call.

    ``parameters`` are the method's positional parameter names (after ``self``). An
    argument counts when its name ends in ``_id`` or ``_urn`` (``profile_id``,
    ``conversation_urn``), and so does such a field of a model passed in (an
    `Invitation`'s ``invitation_id``). The client's default account stands in for an
    ``account_id`` the caller left out.
    """
    hints: dict[str, str] = {}

    def note(name: str, value: object) -> None:
        if isinstance(value, str):
            if value:
                hint = placeholder(name)
                hints.setdefault(value, hint)
                hints.setdefault(value.strip(), hint)
        elif value is not None and attrs.has(type(value)):
            model: Any = type(value)  # an attrs class, as attrs.has said
            for field in attrs.fields(model):
                if _names_an_id(field.name):
                    note(field.name, getattr(value, field.name))

    for name, value in [*zip(parameters, args, strict=False), *kwargs.items()]:
        if _names_an_id(name) or not isinstance(value, (str, int, float, type(None))):
            note(name, value)
    if default_account is not None:
        note("account_id", default_account)
    return hints


def argument(
    name: str, parameters: Iterable[str], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> str | None:
    """The call's str argument ``name`` (by keyword or position), if it has one."""
    value = kwargs.get(name)
    if value is None:
        for parameter, given in zip(parameters, args, strict=False):
            if parameter == name:
                value = given
    return value if isinstance(value, str) else None


def url_template(path: str, hints: Mapping[str, str]) -> str:
    """The path with each segment from an argument as its placeholder (see `path_hints`).

    A segment that is neither a hint nor a plain lower-case word (the API's literal
    segments) is written ``{id}``: an identifier never reaches a span name or a metric,
    even from a call whose arguments the hints do not cover.
    """
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if not segment:
            continue
        hint = hints.get(unquote(segment) if "%" in segment else segment)
        if hint is not None:
            segments[index] = hint
        elif not _WORD.fullmatch(segment):
            segments[index] = _UNKNOWN_SEGMENT
    return "/".join(segments)


def error_type(error: BaseException) -> str:
    """``error.type``: the status code of an error response, else the class name.

    A refusal the SDK made itself (a hold, a used-up quota: a `RateLimitError` without a
    response) is its class name, since no response said so.
    """
    if isinstance(error, APIStatusError) and error.response is not None:
        status = error.status_code
        if status >= 400:
            return str(status)
    return type(error).__qualname__


def ledger_outcome_of(error: BaseException) -> str | None:
    """The ledger outcome a send under a key ended with, when it ended with ``error``."""
    for cls in type(error).__mro__:
        outcome = _OUTCOME_OF_ERROR.get(cls.__name__)
        if outcome is not None:
            return outcome
    return None


def call_account(
    scope_account: str | None,
    params: Mapping[str, str] | None,
    json_body: object,
    default: str | None,
) -> str | None:
    """The LinkedIn account a request acts for, as far as the request says."""
    if scope_account is not None:
        return scope_account
    if params and "accountId" in params:
        return params["accountId"]
    if isinstance(json_body, Mapping):
        account = json_body.get("accountId")
        if isinstance(account, str):
            return account
    return default
