"""LinkedIn URNs in URL paths: validate once, percent-encode as exactly one segment.

LinkedIn URNs nest other URNs and carry base64 ids, so they contain ``:``, ``(``, ``)``,
``,``, ``=``, ``+`` and ``/``; user-supplied values may hold anything else. Encoding
*everything* outside the unreserved set keeps a URN inside its own path segment: a
``/``, ``?``, ``#`` or ``../`` in the value can never change which endpoint is called,
and the server decodes the segment back to the exact string the caller passed.
"""

from __future__ import annotations

from urllib.parse import quote

from . import _validate as check

__all__ = ["path_segment"]


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
    return quote(check.urn(value, argument), safe="")
