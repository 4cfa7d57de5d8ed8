"""The two converters, `structure` and `unstructure`, and `DecodeError`.

Both converters are built once, on first use (so ``import connectsafely`` does not pay
for importing cattrs), with the same rules. The fast one, without per-field error
bookkeeping, decodes every body (through the functions of `_generated`); only a body
that does not fit is decoded again by the detailed one, whose error groups give the
JSON path. Valid responses, the common case, never pay for error reporting they do not
need.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._generated import fast_structure_fn, fast_tuple_fn, is_tuple_of_models, plain
from ._values import (
    DICTS,
    SCALAR_HOOKS,
    array_hook,
    camel_case,
    is_array,
    objects_only,
    optional,
    structure_dicts,
    structure_dicts_checked,
    unstructure_datetime,
)

if TYPE_CHECKING:
    import cattrs

__all__ = ["DecodeError", "converter", "structure", "unstructure"]

T = TypeVar("T")


class DecodeError(ValueError):
    """A JSON body does not match the model; ``path`` says where (``$.messages[0].sentAt``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def keeps_raw(cls: Any) -> bool:
    """True for a model with a ``raw`` field: it keeps the JSON object as received."""
    return attrs.has(cls) and "raw" in attrs.fields_dict(cls)


def _build(*, detailed: bool) -> cattrs.Converter:
    import cattrs
    from cattrs.cols import homogenous_tuple_structure_factory
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    made = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)

    def renames(cls: type[Any]) -> dict[str, Any]:
        return {a.name: override(rename=camel_case(a.name)) for a in attrs.fields(cls)}

    if detailed:
        made.register_structure_hook_factory(
            attrs.has,
            lambda cls: objects_only(make_dict_structure_fn(cls, made, **renames(cls))),
        )
    else:
        made.register_structure_hook_factory(
            attrs.has,
            lambda cls: (
                fast_structure_fn(cls, made)
                if plain(cls)
                else objects_only(make_dict_structure_fn(cls, made, **renames(cls)))
            ),
        )
    # Every array field: JSON null is an empty tuple, a non-array refused (see
    # `_values.array_hook`); the fast converter's model arrays test it inline.
    made.register_structure_hook_factory(
        is_array,
        lambda kind: (
            fast_tuple_fn(kind, made)
            if not detailed and is_tuple_of_models(kind)
            else array_hook(homogenous_tuple_structure_factory(kind, made))
        ),
    )
    made.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, made, **renames(cls))
    )
    _register_raw_models(made, renames, detailed=detailed)
    for kind, hook in SCALAR_HOOKS.items():
        made.register_structure_hook(kind, hook)
        # Most fields are optional: one hook for `X | None` instead of cattrs' generic
        # optional dispatch calling the `X` hook, halving calls per field.
        made.register_structure_hook(kind | None, optional(hook, kind))
    made.register_structure_hook_func(
        lambda t: t == DICTS, structure_dicts if detailed else structure_dicts_checked
    )
    made.register_unstructure_hook(datetime, unstructure_datetime)
    return made


def _register_raw_models(made: cattrs.Converter, renames: Any, *, detailed: bool) -> None:
    """A model with a ``raw`` field (`keeps_raw`) decodes its other fields as usual and
    keeps the whole object in ``raw``; it encodes back as that object, so what the API
    sent survives a round trip (the send ledger stores results this way). The fast
    converter's function is generated (`fast_structure_fn` with ``keep_raw``) and builds
    the instance once; cattrs' builds it and then again with ``raw`` (`attrs.evolve`)."""
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    def structure_fn(cls: type[Any]) -> Any:
        if not detailed and plain(cls, keep_raw=True):
            return fast_structure_fn(cls, made, keep_raw=True)
        fields = make_dict_structure_fn(cls, made, **{**renames(cls), "raw": override(omit=True)})

        def structure_keeping_raw(value: Any, _: object) -> Any:
            return attrs.evolve(fields(value, cls), raw=value)

        return objects_only(structure_keeping_raw)

    def unstructure_fn(cls: type[Any]) -> Any:
        fields = make_dict_unstructure_fn(cls, made, **{**renames(cls), "raw": override(omit=True)})

        def unstructure_raw(value: Any) -> Any:
            return dict(value.raw) if value.raw else fields(value)

        return unstructure_raw

    made.register_structure_hook_factory(keeps_raw, structure_fn)
    made.register_unstructure_hook_factory(keeps_raw, unstructure_fn)


_fast: cattrs.Converter | None = None
_detailed: cattrs.Converter | None = None


def converter(*, detailed: bool) -> cattrs.Converter:
    """The fast converter, or the ``detailed`` one (each built on first use)."""
    global _fast, _detailed  # noqa: PLW0603 - built once, on first use
    if detailed:
        if _detailed is None:
            _detailed = _build(detailed=True)
        return _detailed
    if _fast is None:
        _fast = _build(detailed=False)
    return _fast


def structure(data: object, cls: type[T]) -> T:
    """Decode JSON data into ``cls``; raises `DecodeError` with the failing path."""
    fast = converter(detailed=False)
    try:
        return fast.structure(data, cls)
    except Exception:  # noqa: S110 - cattrs raises many types; all mean "does not fit"
        pass
    # Rare path: decode again, collecting per-field errors, to say where it failed.
    detailed = converter(detailed=True)
    try:
        return detailed.structure(data, cls)
    except Exception as exc:
        path, reason = _first_failure(exc, "$")
        raise DecodeError(path, reason) from None


def unstructure(value: object) -> Any:
    """Encode a model as API JSON (camelCase keys)."""
    return converter(detailed=False).unstructure(value)


def _first_failure(exc: BaseException, path: str) -> tuple[str, str]:
    """Walk cattrs' exception groups down to the first leaf and build its JSON path."""
    from cattrs.errors import BaseValidationError

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
