"""One JSON value to one Python value: the hooks both converters register.

- names: ``snake_case`` attributes <-> ``camelCase`` keys (`camel_case`);
- scalars: strings (an integer is accepted and kept as its text), booleans, integers
  (a float is accepted when it is whole), never silently anything else;
- timestamps: epoch milliseconds (or ISO strings) become aware UTC datetimes, and go
  back as epoch milliseconds;
- arrays of objects kept as plain dicts (attachments of unknown shape), in the fast
  converter's form refusing numbers orjson may have altered (see `_orjson`);
- arrays: JSON ``null`` where an array belongs is an empty tuple, anything else but a
  JSON array is refused (`array_hook`). The API's examples show ``[]``, but its
  predecessor endpoints answered ``null`` for "none" (``"attachments": null``,
  ``"reactions": null``): one such message must not fail a whole page. The fast
  converter's generated functions apply the same rule inline (see `_generated`), so both
  converters agree;
- objects: a model decodes from a JSON object only (`objects_only`), never from a string
  or a number (cattrs alone would read ``"n"`` as an object without keys).

Each hook raises on a value that does not fit; the converter turns that into a
`DecodeError` naming the JSON path.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "DICTS",
    "FAST_MS_LIMIT",
    "SCALAR_HOOKS",
    "array_hook",
    "camel_case",
    "fromtimestamp",
    "is_array",
    "no_big_floats",
    "objects_only",
    "optional",
    "structure_dicts",
    "structure_dicts_checked",
    "unstructure_datetime",
]


def camel_case(name: str) -> str:
    """``recipient_profile_urn`` -> ``recipientProfileUrn``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _structure_str(value: object, _: type) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a boolean, got {type(value).__name__}")


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
fromtimestamp = datetime.fromtimestamp
# Below 2**32 seconds (year 2106) `ms / 1000` is within a quarter microsecond of the true
# instant (a double's spacing there is 2**-21 s), and `fromtimestamp` rounds to the
# nearest microsecond, so the result is exact; it is about 3x cheaper than
# `_EPOCH + timedelta(milliseconds=ms)`, which stays the path outside that range.
FAST_MS_LIMIT = 2**32 * 1000


def _structure_datetime(value: object, _: type) -> datetime:
    """Epoch milliseconds (number or digit string) or an ISO 8601 string -> aware UTC."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < FAST_MS_LIMIT:
            return fromtimestamp(value / 1000, timezone.utc)
        return _EPOCH + timedelta(milliseconds=value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("timestamp is not finite")
        return _EPOCH + timedelta(milliseconds=value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return _EPOCH + timedelta(milliseconds=int(text))
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    raise TypeError(f"expected epoch milliseconds or an ISO time, got {type(value).__name__}")


def unstructure_datetime(value: datetime) -> int:
    """An aware datetime -> epoch milliseconds."""
    return int(value.timestamp() * 1000)


def is_array(kind: Any) -> bool:
    """True for the type of an array field: ``tuple[X, ...]``."""
    args: tuple[Any, ...] = getattr(kind, "__args__", ())
    return getattr(kind, "__origin__", None) is tuple and len(args) == 2 and args[1] is Ellipsis


def array_hook(hook: Any) -> Any:
    """The hook of an array field: JSON ``null`` is an empty array, a JSON array goes to
    ``hook``, anything else is refused (a string is not an array of its characters)."""

    def structure_array(value: object, kind: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {type(value).__name__}")
        return hook(value, kind)  # type: ignore[no-any-return]

    return structure_array


def objects_only(hook: Any) -> Any:
    """A model's hook that refuses anything but a JSON object."""

    def structure_object(value: object, kind: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return hook(value, kind)

    return structure_object


def structure_dicts(value: object, _: object) -> tuple[dict[str, Any], ...]:
    """A JSON array of objects kept as plain dicts (e.g. attachments of unknown shape);
    ``null`` is an empty one, like every array field's (see `array_hook`).

    Hand-written because cattrs' generic tuple-of-dict path costs about a microsecond
    per message even for the usual empty list.
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    if not value:
        return ()
    for item in value:
        if not isinstance(item, dict):
            raise TypeError(f"expected an object, got {type(item).__name__}")
    return tuple(dict(item) for item in value)


DICTS = tuple[dict[str, Any], ...]
"""The type `structure_dicts` decodes."""

SCALAR_HOOKS: dict[type[Any], Any] = {
    str: _structure_str,
    bool: _structure_bool,
    int: _structure_int,
    datetime: _structure_datetime,
}
"""Each scalar type's structuring hook."""


def optional(hook: Any, kind: type[Any]) -> Any:
    """The hook for ``kind | None``: None stays None, anything else goes to ``hook``."""

    def structure_optional(value: object, _: type) -> Any:
        return None if value is None else hook(value, kind)

    return structure_optional


_BIG = 2.0**63


def no_big_floats(value: object) -> bool:
    """No float at or beyond 2**63 in magnitude (orjson's form of a huge integer)."""
    if isinstance(value, float):
        return -_BIG < value < _BIG
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return True
    for item in items:
        kind = item.__class__
        # The usual JSON values settle in one test; anything else is looked into.
        usual = kind is str or kind is int or kind is bool or item is None
        if not usual and not no_big_floats(item):
            return False
    return True


def structure_dicts_checked(value: object, kind: object) -> tuple[dict[str, Any], ...]:
    """`structure_dicts` for the fast converter: refuses what orjson may have altered."""
    if not no_big_floats(value):
        raise TypeError("a number outside the exact integer range")  # json decides
    return structure_dicts(value, kind)
