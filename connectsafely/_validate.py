"""Every argument check of the public API: each error names the bad argument.

Everything here runs before a request is built, so bad input never reaches the wire.
Checks return the value as it goes on the wire (a query string, a path segment, a JSON
field), so a resource method is a list of checks followed by one request.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from ._models.messages import Attachment
from ._serde import unstructure
from ._types import MessagingChannel

__all__ = [
    "account_id",
    "account_ids",
    "attachment_items",
    "bool_param",
    "channel_value",
    "content_type",
    "emoji",
    "epoch_ms_param",
    "filename",
    "flag",
    "header_safe",
    "idempotency_header",
    "idempotency_key",
    "invitation_note",
    "one_profile_form",
    "optional_str",
    "page_size_param",
    "path_segment",
    "path_segment_text",
    "profile_segment",
    "profile_slug",
    "required_text",
    "urn",
]

_VALID_CHANNELS = ", ".join(repr(c.value) for c in MessagingChannel)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECONDS_LOOKALIKE = 10**11
_MAX_EMOJI_LENGTH = 32
MAX_FILENAME_LENGTH = 255
_TCHARS = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE = re.compile(
    rf"(?P<type>{_TCHARS}/{_TCHARS})"
    # A quoted parameter value is printable ASCII: it goes into the Content-Type header.
    rf"(?P<params>(?:[ \t]*;[ \t]*{_TCHARS}="
    rf"(?:{_TCHARS}|\"[^\"\\\x00-\x1f\x7f-\U0010ffff]*\"))*)[ \t]*"
)


def required_text(value: object, argument: str) -> str:
    """A non-blank str."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}.")
    if not value.strip():
        raise ValueError(f"{argument} must not be empty or blank.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (e.g. from bad decoding) cannot go into JSON or a URL;
            # without this it would fail while the request is being built.
            raise ValueError(
                f"{argument} is not valid text: it contains a lone surrogate character."
            ) from None
    return value


def optional_str(value: object, argument: str) -> str | None:
    """``None`` or a non-blank str."""
    if value is None:
        return None
    return required_text(value, argument)


def urn(value: object, argument: str) -> str:
    """A LinkedIn URN (``urn:li:...``) without whitespace or control characters."""
    text = required_text(value, argument)
    if not text.startswith("urn:li:") or len(text) <= len("urn:li:"):
        raise ValueError(
            f"{argument} must be a LinkedIn URN starting with 'urn:li:', got {_preview(text)}."
        )
    if not text.isprintable():  # a control character (or other unprintable) anywhere
        raise ValueError(f"{argument} contains control characters.")
    return text


MAX_IDEMPOTENCY_KEY_LENGTH = 4096


def idempotency_key(value: object, argument: str = "idempotency_key") -> str:
    """A send's idempotency key: any non-blank text without control characters, up to
    `MAX_IDEMPOTENCY_KEY_LENGTH` characters (spaces and Unicode are fine: it keys the
    send ledger; see `idempotency_header` for what goes on the wire)."""
    text = required_text(value, argument)
    if len(text) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(f"{argument} must be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
    if not text.isprintable():
        raise ValueError(f"{argument} must not contain control characters (CR, LF, tab, ...).")
    return text


def idempotency_header(key: str) -> str:
    """The ``Idempotency-Key`` header for a checked key: the key itself when HTTP can
    carry it as it is (printable ASCII, at most 255 characters, no surrounding spaces),
    else ``sha256-<hex digest of the key>``, the same for every attempt of the send."""
    if len(key) <= 255 and key.isascii() and key == key.strip():
        return key
    return "sha256-" + hashlib.sha256(key.encode()).hexdigest()


def header_safe(value: object, argument: str, *, max_length: int = 255) -> str:
    """A value that is safe to put in an HTTP header (printable ASCII, no CR/LF)."""
    text = required_text(value, argument)
    if len(text) > max_length:
        raise ValueError(f"{argument} must be at most {max_length} characters.")
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"{argument} must be printable ASCII (no CR, LF or control characters).")
    if text != text.strip():
        # HTTP/1.1 refuses header values with surrounding whitespace mid-request.
        raise ValueError(f"{argument} must not start or end with whitespace.")
    return text


def channel_value(value: object) -> str:
    """The wire value of ``messaging_channel``."""
    if isinstance(value, MessagingChannel):
        return value.value
    if isinstance(value, str):
        try:
            return MessagingChannel(value).value
        except ValueError:
            pass
        raise ValueError(
            f"messaging_channel must be one of {_VALID_CHANNELS}, got {_preview(value)}."
        )
    raise TypeError(
        f"messaging_channel must be a str or MessagingChannel, not {type(value).__name__}."
    )


def attachment_items(value: object) -> list[dict[str, Any]]:
    """``attachments`` as the API wants them: ``[{"file": {"assetUrn": ...}}]``."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, Attachment, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(
            "attachments must be a list of Attachment objects returned by "
            "client.attachments.upload()."
        )
    items = []
    for index, item in enumerate(value):
        if isinstance(item, Attachment):
            file = {k: v for k, v in unstructure(item).items() if v is not None}
        elif isinstance(item, Mapping) and isinstance(item.get("assetUrn"), str):
            file = dict(item)
        else:
            raise ValueError(  # noqa: TRY004 - the design asks for ValueError here
                f"attachments[{index}] is not an upload: pass the Attachment returned by "
                "client.attachments.upload() (or a mapping with 'assetUrn')."
            )
        if not file["assetUrn"].strip():
            raise ValueError(f"attachments[{index}] has an empty assetUrn.")
        items.append({"file": file})
    return items


def account_id(value: object, argument: str = "account_id") -> str:
    """Validate an account id argument and return it."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str, not {type(value).__name__}.")
    if not value.strip() or any(not ch.isprintable() for ch in value):
        raise ValueError(f"{argument} must be a non-blank printable string.")
    return value


def path_segment(value: object, argument: str) -> str:
    """Check that ``value`` is a LinkedIn URN and return it encoded as one path segment.

    Args:
        value: The caller's value, e.g. ``"urn:li:fs_conversation:2-YWJj=="``.
        argument: The argument's name, for the error message.

    Returns:
        The URN percent-encoded in full (only ``A-Z a-z 0-9 - . _ ~`` stay as they are),
        e.g. ``"urn%3Ali%3Afs_conversation%3A2-YWJj%3D%3D"``.

    Raises:
        TypeError: ``value`` is not a str.
        ValueError: It is blank, does not start with ``urn:li:``, or holds control
            characters.
    """
    # `safe=""` also encodes "/", which quote() keeps by default. Because the value
    # starts with "urn", the segment can never be the dot segments "." or "..".
    return quote(urn(value, argument), safe="")


def account_ids(value: object) -> str:
    """``account_ids`` for the wire: the ids joined by commas, each checked."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError("account_ids must be a list of account id strings.")
    ids: dict[str, None] = {}  # ordered and without repeats
    for index, item in enumerate(value):
        account = account_id(item, f"account_ids[{index}]")
        if "," in account:
            raise ValueError(f"account_ids[{index}] must not contain a comma.")
        ids[account] = None
    if not ids:
        raise ValueError("account_ids must name at least one account.")
    return ",".join(ids)


def path_segment_text(value: object, argument: str) -> str:
    """Any id (not only a URN) percent-encoded as exactly one path segment."""
    text = required_text(value, argument)
    if any(not ch.isprintable() for ch in text):
        raise ValueError(f"{argument} contains control characters.")
    if text in (".", ".."):
        raise ValueError(f"{argument} {text!r} is not an id.")
    return quote(text, safe="")


def profile_segment(value: object) -> str:
    """A profile id (vanity slug) encoded as exactly one path segment."""
    text = required_text(value, "profile_id").strip()
    if any(not ch.isprintable() for ch in text):
        raise ValueError("profile_id contains control characters.")
    if text in (".", ".."):
        raise ValueError(f"profile_id {text!r} is not a profile id.")
    return quote(text, safe="")


def profile_slug(value: object, argument: str = "profile_id") -> str:
    """A profile's vanity slug (``john-doe-123``): printable text, no surrounding spaces."""
    text = required_text(value, argument)
    if not text.isprintable():
        raise ValueError(f"{argument} contains control characters.")
    if text != text.strip():
        raise ValueError(f"{argument} must not start or end with whitespace, got {_preview(text)}.")
    if text in (".", ".."):
        raise ValueError(f"{argument} {text!r} is not a profile id.")
    return text


MAX_NOTE_LENGTH = 300
"""The longest personal note a connection request may carry (``customMessage``)."""


def invitation_note(value: object, argument: str = "note") -> str:
    """A connection request's personal note: non-blank, at most `MAX_NOTE_LENGTH` characters."""
    text = required_text(value, argument)
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(
            f"{argument} must be at most {MAX_NOTE_LENGTH} characters (LinkedIn's limit for a "
            f"connection note), got {len(text)}."
        )
    return text


def one_profile_form(profile_id: object, profile_urn: object) -> None:
    """Exactly one of a profile's two forms (slug or URN) is given."""
    if (profile_id is None) == (profile_urn is None):
        which = "both" if profile_id is not None else "neither"
        raise ValueError(
            "Give exactly one of profile_id (the vanity slug) or profile_urn "
            f"(urn:li:fsd_profile:...); got {which}."
        )


def emoji(value: object, argument: str = "emoji") -> str:
    """One emoji for a reaction: printable and short."""
    text = required_text(value, argument)
    if len(text) > _MAX_EMOJI_LENGTH or any(not ch.isprintable() for ch in text):
        raise ValueError(
            f"{argument} must be one emoji (printable, at most {_MAX_EMOJI_LENGTH} characters)."
        )
    return text


def flag(value: object, argument: str) -> bool:
    """A required True/False."""
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be True or False, not {type(value).__name__}.")
    return value


def page_size_param(value: object, argument: str = "page_size") -> str | None:
    """A page size for the wire (``count``): a positive int, or ``None`` to omit it."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{argument} must be an int, not {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{argument} must be a positive number of items, got {value}.")
    return str(value)


def aware_datetime(value: object, argument: str) -> datetime:
    """A timezone-aware `datetime` (a naive one is ambiguous: `ValueError`)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{argument} must be an aware datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{argument} must be a timezone-aware datetime (e.g. "
            "datetime.now(timezone.utc)); a naive one is ambiguous."
        )
    return value


def epoch_ms_param(value: object, argument: str) -> str | None:
    """A point in time for the wire, as epoch milliseconds.

    Accepts an int of epoch milliseconds or a timezone-aware `datetime`.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        aware_datetime(value, argument)
        if value < _EPOCH:
            raise ValueError(f"{argument} must not be before 1970-01-01 UTC, got {value!r}.")
        # Integer arithmetic: float timestamps can be off by one millisecond.
        return str((value - _EPOCH) // timedelta(milliseconds=1))
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(
            f"{argument} must be epoch milliseconds (int) or an aware datetime, "
            f"not {type(value).__name__}."
        )
    if value < 0:
        raise ValueError(f"{argument} must not be negative, got {value}.")
    if 0 < value < _SECONDS_LOOKALIKE:
        raise ValueError(
            f"{argument}={value} looks like epoch seconds; pass milliseconds "
            f"({value * 1000}) or an aware datetime."
        )
    return str(value)


def bool_param(value: object, argument: str) -> str | None:
    """A boolean for the wire (``"true"``/``"false"``), or ``None`` to omit it."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be True, False or None, not {type(value).__name__}.")
    return "true" if value else "false"


def filename(value: object, *, derived_from: str | None = None) -> str:
    """A file name safe for the ``filename`` query parameter (a base name, no controls).

    ``derived_from`` describes where an implicit name came from, so the error can tell
    the caller to pass ``filename=`` instead.
    """
    hint = f" (taken from {derived_from}; pass filename= to choose one)" if derived_from else ""
    if not isinstance(value, str):
        raise TypeError(f"filename must be a str, not {type(value).__name__}.")
    if not value.strip():
        raise ValueError(f"filename must not be empty or blank{hint}.")
    if len(value) > MAX_FILENAME_LENGTH:
        raise ValueError(f"filename must be at most {MAX_FILENAME_LENGTH} characters{hint}.")
    if any(not ch.isprintable() for ch in value):
        raise ValueError(f"filename must not contain control characters{hint}: {value!r}.")
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError(f"filename must be a base name without path separators{hint}: {value!r}.")
    return value


def content_type(value: object) -> str:
    """A ``type/subtype`` media type (parameters allowed), with the type lower-cased."""
    if not isinstance(value, str):
        raise TypeError(f"content_type must be a str, not {type(value).__name__}.")
    match = _MEDIA_TYPE.fullmatch(value.strip(" \t"))
    if match is None:
        raise ValueError(f"content_type must be a MIME type like 'application/pdf', got {value!r}.")
    return match["type"].lower() + match["params"]


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
