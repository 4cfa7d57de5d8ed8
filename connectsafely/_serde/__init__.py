"""The one cattrs converter: API JSON (camelCase) <-> attrs models (snake_case).

Built once, on first use (so ``import connectsafely`` does not pay for importing
cattrs). cattrs generates and caches a structuring function per model the first time it
sees it, so decoding a response costs one dictionary walk, not reflection.

Two converters with the same rules: a fast one without per-field error bookkeeping
decodes every body, and only a body that does not fit is decoded again by the detailed
one, whose error groups give the JSON path. Valid responses, the common case, never pay
for error reporting they do not need. The fast converter's model functions are
generated here rather than by cattrs: they check the usual JSON types inline and leave
everything else to the same hooks.

Rules:
- ``snake_case`` attribute names map to ``camelCase`` keys (``sent_at`` <-> ``sentAt``).
- Unknown keys are ignored: the API adds fields without notice.
- A missing key takes the attribute's default (``None`` for optional fields).
- Timestamps arrive as epoch milliseconds (or ISO strings) and become aware UTC datetimes.
- A body that does not fit raises `DecodeError` naming the JSON path, e.g.
  ``$.messages[3].sentAt``.

Rooms:
- `_values`: one JSON value to one Python value (names, scalars, timestamps, dicts);
- `_generated`: the fast converter's model functions, generated per class;
- `_convert`: the two converters, `structure`, `unstructure` and `DecodeError`;
- `_orjson`: `decode_fast`, straight from bytes when orjson is installed.
"""

from __future__ import annotations

from typing import Any

from ._convert import DecodeError, structure, unstructure
from ._convert import converter as _converter
from ._generated import slot_setters as _slot_setters  # noqa: F401 - tests check the fast build
from ._orjson import decode_fast
from ._values import camel_case

__all__ = ["DecodeError", "camel_case", "decode_fast", "structure", "unstructure"]


def __getattr__(name: str) -> Any:
    # `converter` (the detailed one) stays available by name without being built at import.
    if name == "converter":
        return _converter(detailed=True)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
