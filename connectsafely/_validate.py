"""Argument checks shared by resource methods: each error names the bad argument.

Everything here runs before a request is built, so bad input never reaches the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._models import Attachment
from ._serde import unstructure
from ._types import MessagingChannel

__all__ = [
    "attachment_items",
    "channel_value",
    "header_safe",
    "optional_str",
    "required_text",
    "urn",
]

_VALID_CHANNELS = ", ".join(repr(c.value) for c in MessagingChannel)


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
    if any(not ch.isprintable() for ch in text):
        raise ValueError(f"{argument} contains control characters.")
    return text


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


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
