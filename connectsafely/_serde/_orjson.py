"""Decoding straight from bytes with orjson (the optional ``speedups`` extra).

orjson parses a page about twice as fast as `json`, and returns the same objects for
every document `json` accepts, except: it rejects what `json` also accepts (NaN,
Infinity, lone surrogates, non-UTF-8 encodings) and it returns integers outside
[-2**63, 2**64) as floats. `decode_fast` therefore only answers when the result
cannot differ: the model's fields hold no raw JSON an out-of-range integer could hide
in (see `_json_safe`), any value that does not fit the fast converter raises, and
every refusal returns None so the caller decodes as before, with `json`.

``import connectsafely`` does not import orjson: it is looked up on the first decode.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import attrs

from ._convert import converter, keeps_raw
from ._generated import is_tuple_of_models, optional_of, plain
from ._values import DICTS

__all__ = ["decode_fast"]

T = TypeVar("T")

_orjson_loads: Any = None  # resolved on first use: False when orjson is not installed
_safe: dict[Any, bool] = {}
_fast_hooks: dict[Any, Any] = {}


def decode_fast(content: bytes, cls: type[T]) -> T | None:
    """``cls`` decoded from a JSON body with orjson, or None to decode it the usual way.

    None when orjson is not installed, ``cls`` may hold raw JSON, the body is not a
    JSON object orjson accepts, it says ``"success": false``, or the fast converter
    finds anything unusual; the caller then runs ``json.loads`` and `structure`, which
    decide exactly as they always did.
    """
    global _orjson_loads  # noqa: PLW0603 - resolved once, on first use
    loads = _orjson_loads
    if loads is None:
        try:
            from orjson import loads
        except ImportError:
            loads = False
        _orjson_loads = loads
    if loads is False:
        return None
    hook = _fast_hooks.get(cls)
    if hook is None:
        if not _json_safe(cls):
            return None
        hook = _fast_hooks[cls] = converter(detailed=False).get_structure_hook(cls)
    try:
        data = loads(content)
    except ValueError:
        return None
    if data.__class__ is not dict or data.get("success") is False:
        return None
    try:
        return hook(data, cls)  # type: ignore[no-any-return]
    except Exception:
        return None


_SAFE_SCALARS = (str, bool, datetime, type(None))


def _json_safe(kind: Any) -> bool:
    """True when a value of ``kind`` decoded from orjson's output equals json's.

    Strings, booleans and timestamps reject a float where an integer literal was
    (strings and booleans raise, timestamps overflow); `DICTS` (attachments) are
    checked for such floats by `structure_dicts_checked`, and so is the ``raw`` object
    of a model that keeps one (`_generated.fast_structure_fn`); models and tuples of
    models are safe when their other fields are. Anything else (``Any``, mappings, ints, enums) is
    not.
    """
    known = _safe.get(kind)
    if known is not None:
        return known
    _safe[kind] = False  # a recursive model is decided as unsafe
    if kind in _SAFE_SCALARS or kind == DICTS:
        safe = True
    elif optional_of(kind) is not None:
        safe = _json_safe(optional_of(kind))
    elif is_tuple_of_models(kind):
        safe = _json_safe(kind.__args__[0])
    elif isinstance(kind, type) and attrs.has(kind):
        # A model keeping its object in ``raw``: its function refuses an object holding
        # a float orjson may have made of a huge integer (`fast_structure_fn`).
        raw = keeps_raw(kind)
        safe = plain(kind, keep_raw=raw) and all(
            _json_safe(field.type)
            for field in attrs.fields(attrs.resolve_types(kind))
            if not (raw and field.name == "raw")
        )
    else:
        safe = False
    _safe[kind] = safe
    return safe
