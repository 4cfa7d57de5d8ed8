"""Reading what the server says about waiting: ``Retry-After``, ``X-RateLimit-*``, ``holdUntil``.

Every function here is a pure parser of a header value (or a body field): no I/O, no
clock except the ``now`` it is given, so the retry policy (`_retry`) and the rate-limit
coordination (`_limits`) read the same headers the same way.

==========================  ==========================================================
``retry-after-ms``          milliseconds to wait (a de-facto extension)
``Retry-After``             seconds, or an HTTP date
``X-RateLimit-Reset``       when the window resets: ISO 8601 (documented), or epoch
                            seconds / milliseconds (older pages)
``X-RateLimit-Limit``       the maximum per window
``X-RateLimit-Remaining``   what is left of it
``x-should-retry``          ``true`` / ``false``: the server's verdict on retrying
``holdUntil`` (body)        an ISO time until which LinkedIn holds an action
==========================  ==========================================================
"""

from __future__ import annotations

import email.utils
import functools
import math
import time
from collections.abc import Mapping
from datetime import datetime, timezone

__all__ = [
    "parse_hold_until",
    "parse_moment",
    "parse_positive_int",
    "parse_retry_after",
    "rate_limit_action",
    "reset_in",
    "should_retry",
]

_MAX_ISO_LENGTH = 64
"""Longer values are not timestamps; refusing them keeps parsing cheap on junk."""


def parse_retry_after(
    headers: Mapping[str, str], status_code: int, *, now: float | None = None
) -> float | None:
    """Seconds the server asks us to wait, from the response headers, or ``None``.

    Reads ``retry-after-ms``, then ``Retry-After`` (seconds or an HTTP date), then, on
    a 429 only, ``X-RateLimit-Reset``. Negative waits count as zero.
    """
    current = time.time() if now is None else now
    milliseconds = _parse_number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return max(0.0, milliseconds / 1000.0)
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _parse_number(retry_after)
        if seconds is not None:
            return max(0.0, seconds)
        moment = _parse_http_date(retry_after)
        if moment is not None:
            return max(0.0, moment - current)
    if status_code == 429:
        reset = headers.get("x-ratelimit-reset")
        if reset is not None:
            moment = parse_moment(reset)
            if moment is not None:
                return max(0.0, moment - current)
    return None


@functools.lru_cache(maxsize=64)
def parse_moment(value: str) -> float | None:
    """``X-RateLimit-Reset`` as epoch seconds: ISO 8601 (documented), else epoch
    seconds or milliseconds (older docs), else an HTTP date; ``None`` if none fits.

    A pure function of the text, so its answers are kept for the last few values: a
    window's reset repeats on every response until it passes (a daily quota's, all day).
    """
    text = value.strip()
    # A number never contains ":", an ISO time or an HTTP date always does: the float
    # parse (and its exception) is only tried when it can succeed.
    number = None if ":" in text else _parse_number(text)
    if number is not None:
        # Epoch milliseconds are 13 digits; seconds are 10.
        return number / 1000.0 if number > 10**11 else float(number)
    parsed = _parse_iso(text)
    if parsed is not None:
        return parsed.timestamp()
    return _parse_http_date(text)


def reset_in(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds from ``now`` (epoch seconds) to ``X-RateLimit-Reset``; ``None`` when the
    header is absent or unreadable (negative when the reset has passed)."""
    reset = headers.get("x-ratelimit-reset")
    moment = None if reset is None else parse_moment(reset)
    return None if moment is None else moment - now


def rate_limit_action(headers: Mapping[str, str]) -> str | None:
    """``X-RateLimit-Action``: the bucket a limit belongs to (``MESSAGE``, ``CONNECT``,
    an open vocabulary), trimmed to 64 characters; ``None`` when absent or blank."""
    value = headers.get("x-ratelimit-action")
    if value is None:
        return None
    value = value.strip()
    return value[:64] if value else None


def parse_hold_until(value: str) -> datetime | None:
    """A body's ``holdUntil`` (an ISO time) as an aware UTC datetime, else ``None``.

    A malformed value gives ``None``, so the 429 falls back to the status-based rule
    (its ``Retry-After``, else backoff) rather than crashing or pausing forever.
    """
    parsed = _parse_iso(value.strip())
    return None if parsed is None else parsed.astimezone(timezone.utc)


def should_retry(headers: Mapping[str, str]) -> bool | None:
    """The ``x-should-retry`` verdict: ``True``/``False``, or ``None`` when absent or odd."""
    value = headers.get("x-should-retry")
    if value is None:
        return None
    value = value.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def parse_positive_int(value: str | None) -> int | None:
    """A header holding a count (``X-RateLimit-Limit``): a positive int, else ``None``."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _parse_number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _parse_iso(text: str) -> datetime | None:
    if not text or len(text) > _MAX_ISO_LENGTH:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _parse_http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
