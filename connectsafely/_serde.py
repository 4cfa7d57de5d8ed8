"""The one cattrs converter: API JSON (camelCase) <-> attrs models (snake_case).

Built once, on first use (so ``import connectsafely`` does not pay for importing
cattrs). cattrs generates and caches a structuring function per model the first time it
sees it, so decoding a response costs one dictionary walk, not reflection.

Two converters with the same rules: a fast one without per-field error bookkeeping
decodes every body, and only a body that does not fit is decoded again by the detailed
one, whose error groups give the JSON path. Valid responses, the common case, never pay
for error reporting they do not need. The fast converter's model functions are
generated here rather than by cattrs (see `_fast_structure_fn`): they check the usual
JSON types inline and leave everything else to the same hooks.

Rules:
- ``snake_case`` attribute names map to ``camelCase`` keys (``sent_at`` <-> ``sentAt``).
- Unknown keys are ignored: the API adds fields without notice.
- A missing key takes the attribute's default (``None`` for optional fields).
- Timestamps arrive as epoch milliseconds (or ISO strings) and become aware UTC datetimes.
- A body that does not fit raises `DecodeError` naming the JSON path, e.g.
  ``$.messages[3].sentAt``.
"""

from __future__ import annotations

import linecache
import math
import types
import typing
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

if TYPE_CHECKING:
    import cattrs

__all__ = ["DecodeError", "camel_case", "decode_fast", "structure", "unstructure"]

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
_fromtimestamp = datetime.fromtimestamp
# Below 2**32 seconds (year 2106) `ms / 1000` is within a quarter microsecond of the true
# instant (a double's spacing there is 2**-21 s), and `fromtimestamp` rounds to the
# nearest microsecond, so the result is exact; it is about 3x cheaper than
# `_EPOCH + timedelta(milliseconds=ms)`, which stays the path outside that range.
_FAST_MS_LIMIT = 2**32 * 1000


def _structure_datetime(value: object, _: type) -> datetime:
    """Epoch milliseconds (number or digit string) or an ISO 8601 string -> aware UTC."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < _FAST_MS_LIMIT:
            return _fromtimestamp(value / 1000, timezone.utc)
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


def _unstructure_datetime(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _structure_dicts(value: object, _: object) -> tuple[dict[str, Any], ...]:
    """A JSON array of objects kept as plain dicts (e.g. attachments of unknown shape).

    Hand-written because cattrs' generic tuple-of-dict path costs about a microsecond
    per message even for the usual empty list.
    """
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    if not value:
        return ()
    for item in value:
        if not isinstance(item, dict):
            raise TypeError(f"expected an object, got {type(item).__name__}")
    return tuple(dict(item) for item in value)


_DICTS = tuple[dict[str, Any], ...]

_SCALAR_HOOKS: dict[type[Any], Any] = {
    str: _structure_str,
    bool: _structure_bool,
    int: _structure_int,
    datetime: _structure_datetime,
}


def _build(*, detailed: bool) -> cattrs.Converter:
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

    made = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)

    def renames(cls: type[Any]) -> dict[str, Any]:
        return {a.name: override(rename=camel_case(a.name)) for a in attrs.fields(cls)}

    if detailed:
        made.register_structure_hook_factory(
            attrs.has, lambda cls: make_dict_structure_fn(cls, made, **renames(cls))
        )
    else:
        made.register_structure_hook_factory(
            attrs.has,
            lambda cls: (
                _fast_structure_fn(cls, made)
                if _plain(cls)
                else make_dict_structure_fn(cls, made, **renames(cls))
            ),
        )
        made.register_structure_hook_factory(
            _is_tuple_of_models, lambda kind: _fast_tuple_fn(kind, made)
        )
    made.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, made, **renames(cls))
    )
    for kind, hook in _SCALAR_HOOKS.items():
        made.register_structure_hook(kind, hook)
        # Most fields are optional: one hook for `X | None` instead of cattrs' generic
        # optional dispatch calling the `X` hook, halving calls per field.
        made.register_structure_hook(kind | None, _optional(hook, kind))
    made.register_structure_hook_func(
        lambda t: t == _DICTS, _structure_dicts if detailed else _structure_dicts_checked
    )
    made.register_unstructure_hook(datetime, _unstructure_datetime)
    return made


# The fast converter's structuring functions for models, generated per class.
#
# cattrs' generated function calls one hook per field, collects keyword arguments in a
# dict and calls ``cls(**res)``; for a 9-field `Message` that is most of the decoding
# time. This one reads each key with ``dict.get``, checks the common JSON types inline
# (``value.__class__ is str``) and calls the converter's hook only for anything else,
# then calls the attrs ``__init__`` positionally. It is only ever a shortcut: every value
# it does not recognise goes to the same hook cattrs would use, and anything unusual
# (not a dict, a missing required key, a hook error) raises, so `structure` decodes the
# body again with the detailed cattrs converter, which either decodes it exactly as
# before or names the failing path.

# type -> (condition under which a JSON value needs no hook, expression replacing it or
# None to keep it as is); ``{v}`` is the variable holding the value.
_INLINE: dict[Any, tuple[str, str | None]] = {
    str: ("{v}.__class__ is _str", None),
    bool: ("{v}.__class__ is _bool", None),
    int: ("{v}.__class__ is _int", None),
    datetime: ("{v}.__class__ is _int and 0 <= {v} < _LIMIT", "_fts({v} / 1000, _utc)"),
    _DICTS: ("{v}.__class__ is _list and not {v}", "()"),
}
_MISSING = object()


def _plain(cls: type[Any]) -> bool:
    """True for models the generator covers: every field positional, plain defaults."""
    for field in attrs.fields(cls):
        if not field.init or field.kw_only or field.alias != field.name:
            return False
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return False
    return True


def _optional_of(kind: Any) -> Any:
    """``X`` for ``X | None``, else None."""
    args: tuple[Any, ...] = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and len(args) == 2:
        if args[1] is type(None):
            return args[0]
        if args[0] is type(None):
            return args[1]
    return None


def _fast_structure_fn(cls: type[Any], made: cattrs.Converter) -> Any:
    fields = attrs.fields(attrs.resolve_types(cls))
    namespace: dict[str, Any] = {
        "__cl": cls,
        "_dict": dict,
        "_list": list,
        "_str": str,
        "_bool": bool,
        "_int": int,
        "_MISSING": _MISSING,
        "_LIMIT": _FAST_MS_LIMIT,
        "_fts": _fromtimestamp,
        "_utc": timezone.utc,
    }
    # Two functions with the same checks: `structure` reads every key by subscript (the
    # cheapest lookup) and hands a body that lacks a key to `structure_sparse`, which
    # reads with ``dict.get`` and gives a missing key the attribute's default.
    keys: list[str] = []
    checks: list[str] = []
    sparse: list[str] = []
    for index, field in enumerate(fields):
        v, key = f"v{index}", camel_case(field.name)
        keys.append(key)
        namespace[f"h{index}"] = made.get_structure_hook(field.type)
        namespace[f"t{index}"] = field.type
        namespace[f"d{index}"] = field.default
        block = _check_block(v, f"{v} = h{index}({v}, t{index})", field.type)
        checks.extend(block)
        if field.default is attrs.NOTHING:
            sparse.append(f"    {v} = o[{key!r}]")  # KeyError: the detailed pass names it
            sparse.extend(block)
        elif _optional_of(field.type) is not None and field.default is None:
            sparse.append(f"    {v} = get({key!r})")  # missing and null are both None
            sparse.extend(block)
        else:
            sparse.append(f"    {v} = get({key!r}, _MISSING)")
            sparse.append(f"    if {v} is _MISSING:")
            sparse.append(f"        {v} = d{index}")
            sparse.append("    else:")
            sparse.extend("    " + line for line in block)
    arguments = ", ".join(f"v{i}" for i in range(len(fields)))
    setters = _slot_setters(cls, fields)
    if setters is None:
        build = [f"    return __cl({arguments})"]
    else:
        # attrs' __init__ for this class stores each argument in its slot and does
        # nothing else (checked in `_slot_setters`); doing those stores here saves
        # the constructor's call and frame.
        namespace["_new"] = object.__new__
        for index, setter in enumerate(setters):
            namespace[f"s{index}"] = setter
        build = [
            "    self = _new(__cl)",
            *(f"    s{i}(self, v{i})" for i in range(len(fields))),
            "    return self",
        ]
    reads = [f"        v{i} = o[{key!r}]" for i, key in enumerate(keys)] or ["        pass"]
    lines = [
        "def structure(o, _=None):",
        "    if o.__class__ is not _dict:",
        "        raise TypeError('expected an object')",
        "    try:",
        *reads,
        "    except KeyError:",
        "        return structure_sparse(o)",
        *checks,
        *build,
        "",
        "def structure_sparse(o):",
        "    get = o.get",
        *sparse,
        *build,
        "",
        # A JSON array of these objects, the body of `structure` inlined in one loop
        # (a page's messages: no function call per item).
        "def structure_many(value):",
        "    if value.__class__ is not _list:",
        "        raise TypeError('expected a list')",
        "    out = []",
        "    append = out.append",
        "    for o in value:",
        "        if o.__class__ is not _dict:",
        "            raise TypeError('expected an object')",
        "        try:",
        *("    " + line for line in reads),
        "        except KeyError:",
        "            append(structure_sparse(o))",
        "            continue",
        *("    " + line for line in checks),
        *("    " + line for line in build[:-1]),
        "        append(" + build[-1].removeprefix("    return ") + ")",
        "    return tuple(out)",
    ]
    source = "\n".join(lines) + "\n"
    # A real (made-up) file name, registered with linecache, so a traceback through a
    # generated decoder shows its source instead of `<string>`.
    filename = f"<connectsafely generated structure_{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - built from field names
    function = namespace["structure"]
    function.__name__ = function.__qualname__ = f"structure_{cls.__name__}"
    function.many = namespace["structure_many"]
    return function


def _slot_setters(cls: type[Any], fields: Sequence[attrs.Attribute[Any]]) -> list[Any] | None:
    """The slots' setters, when attrs' ``__init__`` of ``cls`` does nothing but set them.

    That is the ``__init__`` attrs generates for a slotted class without validators,
    converters, factories, pre/post-init hooks or a cached hash: one
    ``object.__setattr__(self, name, value)`` per field, in order, which stores the
    value through the slot's descriptor. Anything else (another attrs version's code
    shape, a custom ``__init__`` or ``__new__``) returns None: the class is called.
    """
    names = tuple(field.name for field in fields)
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    new: Any = cls.__new__
    if (
        code is None
        or not code.co_filename.startswith("<attrs generated")
        or code.co_names != ("_cached_setattr_get",)
        or code.co_consts != (None, *names)
        or code.co_varnames[: len(names) + 1] != ("self", *names)
        or new is not object.__new__
        or any(field.validator is not None or field.converter is not None for field in fields)
    ):
        return None
    setters = []
    for name in names:
        slot = next((k.__dict__[name] for k in cls.__mro__ if name in k.__dict__), None)
        if type(slot) is not types.MemberDescriptorType:
            return None
        setters.append(slot.__set__)
    return setters


def _check_block(v: str, hook_call: str, kind: Any) -> list[str]:
    """The statements that check (and convert) one present value held in ``v``.

    A value of the usual JSON type costs one test; ``None`` for an optional field is
    kept; anything else goes to the converter's hook (``hook_call``).
    """
    base = _optional_of(kind)
    optional = base is not None
    inline = _INLINE.get(base if optional else kind)
    if inline is None:
        if optional:
            return [f"    if {v} is not None:", f"        {hook_call}"]
        return [f"    {hook_call}"]
    condition, replacement = inline
    condition = condition.format(v=v)
    if replacement is None:
        # One test for the usual type: "v.__class__ is not _str".
        guard = condition.replace(" is ", " is not ", 1)
        guard += f" and {v} is not None" if optional else ""
        return [f"    if {guard}:", f"        {hook_call}"]
    lines = [f"    if {condition}:", f"        {v} = {replacement.format(v=v)}"]
    if optional:
        lines += [f"    elif {v} is not None:", f"        {hook_call}"]
    else:
        lines += ["    else:", f"        {hook_call}"]
    return lines


def _is_tuple_of_models(kind: Any) -> bool:
    args = typing.get_args(kind)
    return (
        typing.get_origin(kind) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and attrs.has(args[0])
    )


def _fast_tuple_fn(kind: Any, made: cattrs.Converter) -> Any:
    """``tuple[Model, ...]`` from a JSON array: one `map`, no generic dispatch."""
    item = kind.__args__[0]
    hook = made.get_structure_hook(item)
    many = getattr(hook, "many", None)
    if many is not None:
        # Our generated function's loop over a whole array (see `_fast_structure_fn`).
        def structure_models(value: object, _: object) -> tuple[Any, ...]:
            return many(value)  # type: ignore[no-any-return]

        return structure_models

    def structure_models_hooked(value: object, _: object) -> tuple[Any, ...]:
        if value.__class__ is not list:
            raise TypeError("expected a list")  # the detailed pass decides
        return tuple([hook(entry, item) for entry in value])

    return structure_models_hooked


def _optional(hook: Any, kind: type[Any]) -> Any:
    def structure_optional(value: object, _: type) -> Any:
        return None if value is None else hook(value, kind)

    return structure_optional


_fast: cattrs.Converter | None = None
_detailed: cattrs.Converter | None = None


def _converter(*, detailed: bool) -> cattrs.Converter:
    global _fast, _detailed  # noqa: PLW0603 - built once, on first use
    if detailed:
        if _detailed is None:
            _detailed = _build(detailed=True)
        return _detailed
    if _fast is None:
        _fast = _build(detailed=False)
    return _fast


def __getattr__(name: str) -> Any:
    # `converter` (the detailed one) stays available by name without being built at import.
    if name == "converter":
        return _converter(detailed=True)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def structure(data: object, cls: type[T]) -> T:
    """Decode JSON data into ``cls``; raises `DecodeError` with the failing path."""
    fast = _converter(detailed=False)
    try:
        return fast.structure(data, cls)
    except Exception:  # noqa: S110 - cattrs raises many types; all mean "does not fit"
        pass
    # Rare path: decode again, collecting per-field errors, to say where it failed.
    detailed = _converter(detailed=True)
    try:
        return detailed.structure(data, cls)
    except Exception as exc:
        path, reason = _first_failure(exc, "$")
        raise DecodeError(path, reason) from None


# -- decoding straight from bytes with orjson (the optional `speedups` extra) -------------
#
# orjson parses a page about twice as fast as `json`, and returns the same objects for
# every document `json` accepts, except: it rejects what `json` also accepts (NaN,
# Infinity, lone surrogates, non-UTF-8 encodings) and it returns integers outside
# [-2**63, 2**64) as floats. `decode_fast` therefore only answers when the result
# cannot differ: the model's fields hold no raw JSON an out-of-range integer could hide
# in (see `_json_safe`), any value that does not fit the fast converter raises, and
# every refusal returns None so the caller decodes as before, with `json`.

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
        hook = _fast_hooks[cls] = _converter(detailed=False).get_structure_hook(cls)
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
    (strings and booleans raise, timestamps overflow); `_DICTS` (attachments) are
    checked for such floats by `_no_big_floats`; models and tuples of models are safe
    when their fields are. Anything else (``Any``, mappings, ints, enums) is not.
    """
    known = _safe.get(kind)
    if known is not None:
        return known
    _safe[kind] = False  # a recursive model is decided as unsafe
    if kind in _SAFE_SCALARS or kind == _DICTS:
        safe = True
    elif _optional_of(kind) is not None:
        safe = _json_safe(_optional_of(kind))
    elif _is_tuple_of_models(kind):
        safe = _json_safe(kind.__args__[0])
    elif isinstance(kind, type) and attrs.has(kind):
        safe = _plain(kind) and all(
            _json_safe(field.type) for field in attrs.fields(attrs.resolve_types(kind))
        )
    else:
        safe = False
    _safe[kind] = safe
    return safe


_BIG = 2.0**63


def _no_big_floats(value: object) -> bool:
    """No float at or beyond 2**63 in magnitude (orjson's form of a huge integer)."""
    if isinstance(value, float):
        return -_BIG < value < _BIG
    if isinstance(value, dict):
        return all(_no_big_floats(item) for item in value.values())
    if isinstance(value, list):
        return all(_no_big_floats(item) for item in value)
    return True


def _structure_dicts_checked(value: object, kind: object) -> tuple[dict[str, Any], ...]:
    """`_structure_dicts` for the fast converter: refuses what orjson may have altered."""
    if not _no_big_floats(value):
        raise TypeError("a number outside the exact integer range")  # json decides
    return _structure_dicts(value, kind)


def unstructure(value: object) -> Any:
    """Encode a model as API JSON (camelCase keys)."""
    return _converter(detailed=False).unstructure(value)


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
