"""The one cattrs converter: API JSON (camelCase) <-> attrs models (snake_case).

Built once at import. cattrs generates and caches a structuring function per model the
first time it sees it, so decoding a response costs one dictionary walk, not reflection.

Rules:
- ``snake_case`` attribute names map to ``camelCase`` keys (``sent_at`` <-> ``sentAt``).
- Unknown keys are ignored: the API adds fields without notice.
- A missing key takes the attribute's default (``None`` for optional fields).
- Timestamps arrive as epoch milliseconds (or ISO strings) and become aware UTC datetimes.
- A body that does not fit raises `DecodeError` naming the JSON path, e.g.
  ``$.messages[3].sentAt``.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import BaseValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["DecodeError", "camel_case", "converter", "structure", "unstructure"]

T = TypeVar("T")


def camel_case(name: str) -> str:
    """``recipient_profile_urn`` -> ``recipientProfileUrn``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class DecodeError(ValueError):
    """A JSON body does not match the model; ``path`` says where (``$.messages[0].sentAt``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)


def _renames(cls: type[Any]) -> dict[str, Any]:
    return {a.name: override(rename=camel_case(a.name)) for a in attrs.fields(cls)}


def _structure_attrs_factory(cls: type[Any]) -> Any:
    return make_dict_structure_fn(cls, converter, **_renames(cls))


def _unstructure_attrs_factory(cls: type[Any]) -> Any:
    return make_dict_unstructure_fn(cls, converter, **_renames(cls))


converter.register_structure_hook_factory(attrs.has, _structure_attrs_factory)
converter.register_unstructure_hook_factory(attrs.has, _unstructure_attrs_factory)


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


def _structure_datetime(value: object, _: type) -> datetime:
    """Epoch milliseconds (number or digit string) or an ISO 8601 string -> aware UTC."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("timestamp is not finite")
        return datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000.0, tz=timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    raise TypeError(f"expected epoch milliseconds or an ISO time, got {type(value).__name__}")


def _unstructure_datetime(value: datetime) -> int:
    return int(value.timestamp() * 1000)


converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(datetime, _unstructure_datetime)


def structure(data: object, cls: type[T]) -> T:
    """Decode JSON data into ``cls``; raises `DecodeError` with the failing path."""
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs raises many types; all mean "does not fit"
        path, reason = _first_failure(exc, "$")
        raise DecodeError(path, reason) from None


def unstructure(value: object) -> Any:
    """Encode a model as API JSON (camelCase keys)."""
    return converter.unstructure(value)


def _first_failure(exc: BaseException, path: str) -> tuple[str, str]:
    """Walk cattrs' exception groups down to the first leaf and build its JSON path."""
    if isinstance(exc, BaseValidationError):
        for inner in exc.exceptions:
            return _first_failure(inner, path + _step(inner))
    if isinstance(exc, KeyError):
        return path, "required field is missing"
    return path, str(exc) or type(exc).__name__


def _step(exc: BaseException) -> str:
    for note in getattr(exc, "__notes__", ()):
        name = getattr(note, "name", None)
        if isinstance(name, str):
            return "." + camel_case(name)
        index = getattr(note, "index", None)
        if isinstance(index, int):
            return f"[{index}]"
    return ""
