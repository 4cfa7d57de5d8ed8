"""Reading and checking client configuration: the API key, base URL and timeouts.

Everything here runs once, when a client is built, so a misconfigured client fails at
construction with a `ConfigurationError` instead of on its first request.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from ._errors import ConfigurationError
from ._validate import account_id as check_account_id
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ClientConfig",
    "Limits",
    "RateLimit",
]

DEFAULT_BASE_URL = "https://api.connectsafely.ai"
"""The production API."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
"""30 seconds for reads, writes and pool waits; 5 seconds to connect."""

DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt, so at most three attempts per call."""

DEFAULT_MAX_CONCURRENT_REQUESTS = 16
"""Requests one client (with its copies) keeps on the wire at once; more calls queue.

httpcore's pool rescans every connection and waiter whenever a request starts or ends,
so its CPU cost per request grows with the number of requests in flight: measured on 2
cores, 256 concurrent callers got ~50 requests/s straight through httpx, ~270/s queued
32 at a time in front of it and ~380/s queued 16 at a time. 16 in flight still exceeds
what the API's rate limits (60 per minute, bursts of 100 per 10 s) let a client use at
LinkedIn latencies of over a second.
"""

USER_AGENT = f"connectsafely-python/{__version__}"
"""Sent with every request (a default header of the same name replaces it)."""

API_KEY_ENV = "CONNECTSAFELY_API_KEY"
BASE_URL_ENV = "CONNECTSAFELY_BASE_URL"
ACCOUNT_ID_ENV = "CONNECTSAFELY_ACCOUNT_ID"

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

# RFC 9110 field names are "tokens"; values are visible ASCII with inner spaces/tabs.
# Anything else is refused by the HTTP/1.1 layer mid-request (or cannot be encoded),
# which would surface later as a retried "connection error" instead of a clear one now.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20\x21-\x7e\t]*[\x21-\x7e])?)?")
# Headers the SDK sets per request: a default would be sent twice or contradict the
# body (a wrong Content-Length desynchronises the connection; a fixed Idempotency-Key
# would make a deduplicating server drop every later send as a repeat).
_RESERVED_HEADERS = {
    "authorization": "pass api_key instead",
    "content-length": "the SDK sets it from the body",
    "content-type": "the SDK sets it from the body",
    "host": "it comes from base_url",
    "idempotency-key": "pass idempotency_key= per call instead",
    "transfer-encoding": "the SDK sets it from the body",
}


def _check_limit(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int, not {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1.")


def _check_per(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds.")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive number of seconds.")


@attrs.frozen
class RateLimit:
    """A client-side request rate: at most ``limit`` requests every ``per`` seconds.

    Requests are spaced evenly (``per / limit`` apart); ``burst`` lets that many go
    back to back after a quiet spell. The default ``burst=1`` never bursts, which is
    what keeps a server with a sliding-window or token-bucket limit from ever
    answering 429. Pass it as ``AsyncClient(rate_limit=...)``; every call of the
    client and its ``with_options`` copies shares it.

    Attributes:
        limit: Requests allowed per window.
        per: The window in seconds (default 60: ConnectSafely's plans count per minute).
        burst: Requests that may go back to back.

    Examples:
        >>> RateLimit(60, per=60.0)  # the API's 60 requests a minute, one a second
        RateLimit(limit=60, per=60.0, burst=1)
    """

    limit: int = attrs.field(validator=_check_limit)
    per: float = attrs.field(default=60.0, validator=_check_per, converter=float)
    burst: int = attrs.field(default=1, validator=_check_limit, kw_only=True)

    @property
    def interval(self) -> float:
        """Seconds between two evenly spaced requests."""
        return self.per / self.limit


def _check_rate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, RateLimit):
        raise TypeError(
            f"{attribute.name} must be a connectsafely.RateLimit or None, "
            f"not {type(value).__name__}."
        )


def _check_optional_count(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int or None, not {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value}.")


@attrs.frozen
class Limits:
    """The limits the SDK keeps on the client side, per layer of the API's limits.

    The API limits the key as a whole (60 requests a minute, bursts of 100 per 10 s),
    each LinkedIn account's writes (15 a minute per account), each account's new
    conversations (150 per UTC day), its connection requests (90 per calendar week,
    the week starting Monday 00:00 UTC) and its profile views (120 per UTC day).
    ``Limits`` lets the client stay under each layer instead of learning about it from
    429s. Pass it as ``AsyncClient(limits=...)``.

    The three counts are per calendar window (a UTC day, a week from Monday 00:00 UTC),
    not rolling ones: a new window starts at zero. They are counted by the SDK in the
    client's store, so every process sharing the store shares them; past a count, the
    call fails with `QuotaExceededError` (naming the account and the reset) without a
    request.

    Attributes:
        key: Paces every call of the client (all accounts together).
        account_writes: Paces each LinkedIn account's write calls (sends, reactions,
            deletes, thread actions, connection requests) separately: one account at
            its limit never slows another.
        daily_new_conversations: Caps each account's sends that may start a new
            conversation (no ``conversation_urn``) per UTC day. A send by recipient
            that the answer shows went into an existing thread is given back (see
            ``docs/limits.md``).
        account_connects: Caps each account's connection requests
            (``invitations.send``, the ``CONNECT`` action) per calendar week, resetting
            Monday 00:00 UTC.
        account_profile_views: Caps each account's profile views (``profiles.get`` and
            ``profiles.visit``, the ``PROFILE_VIEW`` action) per UTC day.

    Examples:
        >>> Limits.documented().account_writes
        RateLimit(limit=15, per=60.0, burst=1)
        >>> Limits.documented().account_connects
        90
        >>> Limits(key=RateLimit(60, per=60.0), daily_new_conversations=100).empty
        False
        >>> Limits(account_connects=20).empty
        False
    """

    key: RateLimit | None = attrs.field(default=None, kw_only=True, validator=_check_rate)
    account_writes: RateLimit | None = attrs.field(
        default=None, kw_only=True, validator=_check_rate
    )
    daily_new_conversations: int | None = attrs.field(
        default=None, kw_only=True, validator=_check_optional_count
    )
    account_connects: int | None = attrs.field(
        default=None, kw_only=True, validator=_check_optional_count
    )
    account_profile_views: int | None = attrs.field(
        default=None, kw_only=True, validator=_check_optional_count
    )

    @classmethod
    def documented(cls) -> Limits:
        """The API's published limits: 60 calls a minute per key, 15 writes a minute per
        account, and per account 150 new conversations a UTC day, 90 connection requests
        a calendar week (from Monday 00:00 UTC) and 120 profile views a UTC day."""
        return cls(
            key=RateLimit(60, per=60.0),
            account_writes=RateLimit(15, per=60.0),
            daily_new_conversations=150,
            account_connects=90,
            account_profile_views=120,
        )

    @property
    def empty(self) -> bool:
        """True when no layer is limited client-side."""
        return (
            self.key is None
            and self.account_writes is None
            and self.daily_new_conversations is None
            and self.account_connects is None
            and self.account_profile_views is None
        )


def resolve_limits(limits: object, rate_limit: object) -> Limits:
    """``AsyncClient(limits=..., rate_limit=...)`` as one `Limits` (``rate_limit=X`` is
    shorthand for ``Limits(key=X)``)."""
    if limits is not None and rate_limit is not None:
        raise ValueError("Pass limits= or rate_limit= (shorthand for Limits(key=...)), not both.")
    if rate_limit is not None:
        if not isinstance(rate_limit, RateLimit):
            raise TypeError("rate_limit must be a connectsafely.RateLimit (or None).")
        return Limits(key=rate_limit)
    if limits is None:
        return Limits()
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a connectsafely.Limits, not {type(limits).__name__}.")
    return limits


@attrs.frozen
class ClientConfig:
    """Checked, immutable settings of one `AsyncClient` (shared pool, own options)."""

    api_key: str = attrs.field(repr=False)
    base_url: httpx.URL
    account_id: str | None
    timeout: httpx.Timeout
    max_retries: int
    default_headers: Mapping[str, str] = attrs.field(factory=dict)


def resolve_api_key(api_key: str | None) -> str:
    """Return the key from the argument or the environment, or raise `ConfigurationError`.

    The messages never include the key itself, only what is wrong with it.
    """
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
        source = f"the {API_KEY_ENV} environment variable"
    else:
        source = "api_key"
    if api_key is None or api_key == "":
        raise ConfigurationError(
            f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable "
            "(create a key at https://connectsafely.ai/api-key)."
        )
    if not isinstance(api_key, str):
        raise ConfigurationError(f"api_key must be a str, not {type(api_key).__name__}.")
    if any(ch.isspace() or not ch.isprintable() for ch in api_key):
        raise ConfigurationError(
            f"The API key from {source} contains whitespace or control characters; "
            "check for a stray newline or space when it was copied."
        )
    if not api_key.isascii():
        # It travels in the Authorization header, which is ASCII only.
        raise ConfigurationError(
            f"The API key from {source} contains non-ASCII characters; check that it "
            "was copied exactly."
        )
    return api_key


def resolve_base_url(base_url: str | httpx.URL | None) -> httpx.URL:
    """Return a checked base URL without a trailing slash.

    ``https`` is always accepted. Plain ``http`` is only accepted for loopback hosts, so
    an API key is never sent in clear text over a network.
    """
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(base_url, (str, httpx.URL)):
        raise ConfigurationError(f"base_url must be a str, not {type(base_url).__name__}.")
    try:
        url = httpx.URL(str(base_url).strip())
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"base_url is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL, got {str(base_url)!r}."
        )
    if url.query or url.fragment:
        raise ConfigurationError("base_url must not carry a query string or fragment.")
    if url.userinfo:
        raise ConfigurationError("base_url must not embed credentials; use api_key.")
    if url.scheme == "http" and not is_loopback_host(url.host):
        raise ConfigurationError(
            f"Refusing plain http:// to {url.host!r}: the API key would travel unencrypted. "
            "Use https://, or http:// only with a loopback host (localhost, 127.0.0.1, ::1)."
        )
    return url.copy_with(path=url.path.rstrip("/"))


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1``."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_account_id(account_id: str | None) -> str | None:
    """Return the default account id from the argument or the environment."""
    if account_id is None:
        account_id = os.environ.get(ACCOUNT_ID_ENV) or None
    if account_id is not None:
        check_account_id(account_id, "account_id")
    return account_id


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """Turn the ``timeout`` argument into an `httpx.Timeout`."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        raise ValueError(
            "timeout=None would let a stalled request hang forever; pass seconds or an "
            "httpx.Timeout."
        )
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be seconds or an httpx.Timeout, not {timeout!r}.")
    try:
        seconds = float(timeout)
    except OverflowError:  # an int too large for a float
        seconds = math.inf
    if not seconds > 0 or not math.isfinite(seconds):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {timeout!r}.")
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_TIMEOUT.connect or 5))


def check_max_retries(max_retries: object) -> int:
    """Validate ``max_retries``."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}.")
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0, got {max_retries}.")
    return max_retries


def check_max_concurrent_requests(value: object) -> int | None:
    """Validate ``max_concurrent_requests`` (a positive int, or None for no limit)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"max_concurrent_requests must be an int or None, not {type(value).__name__}."
        )
    if value < 1:
        raise ValueError(f"max_concurrent_requests must be >= 1, got {value}.")
    return value


def check_headers(headers: Mapping[str, str] | None, argument: str) -> dict[str, str]:
    """Validate user headers: token names, printable-ASCII values (so no CR/LF header
    injection), and none of the headers the SDK sets itself."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"{argument} must be a mapping of header names to values.")
    checked: dict[str, str] = {}
    spellings: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"{argument}: header names and values must be str.")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                f"{argument}: invalid header name {name!r} (letters, digits and "
                "!#$%&'*+-.^_`|~ only)."
            )
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(
                f"{argument}: {name!r} cannot be a default header: "
                f"{_RESERVED_HEADERS[name.lower()]}."
            )
        if any(ch in value for ch in "\r\n\0"):
            raise ValueError(f"{argument}: the value of {name!r} contains CR, LF or NUL.")
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(
                f"{argument}: the value of {name!r} must be printable ASCII without control "
                "characters or leading/trailing whitespace."
            )
        first = spellings.setdefault(name.lower(), name)
        if first != name:
            raise ValueError(
                f"{argument} names one header twice: {first!r} and {name!r} "
                "(header names are case-insensitive)."
            )
        checked[name] = value
    return checked
