"""The fast converter's structuring functions for models, generated per class.

cattrs' generated function calls one hook per field, collects keyword arguments in a
dict and calls ``cls(**res)``; for a 9-field `Message` that is most of the decoding
time. The one generated here reads each key by subscript, checks the common JSON types
inline (``value.__class__ is str``) and calls the converter's hook only for anything
else, then builds the instance (see `slot_setters`). It is only ever a shortcut: every
value it does not recognise goes to the same hook cattrs would use, and anything unusual
(not a dict, a missing required key, a hook error) raises, so `structure` decodes the
body again with the detailed cattrs converter, which either decodes it exactly as
before or names the failing path.

The source is compiled under a made-up file name registered with `linecache`, so a
traceback through a generated decoder shows its code.
"""

from __future__ import annotations

import linecache
import types
import typing
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from ._values import DICTS, FAST_MS_LIMIT, camel_case, fromtimestamp, no_big_floats

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "fast_structure_fn",
    "fast_tuple_fn",
    "is_tuple_of_models",
    "optional_of",
    "plain",
    "slot_setters",
]

# type -> (condition under which a JSON value needs no hook, expression replacing it or
# None to keep it as is); ``{v}`` is the variable holding the value.
_INLINE: dict[Any, tuple[str, str | None]] = {
    str: ("{v}.__class__ is _str", None),
    bool: ("{v}.__class__ is _bool", None),
    int: ("{v}.__class__ is _int", None),
    datetime: ("{v}.__class__ is _int and 0 <= {v} < _LIMIT", "_fts({v} / 1000, _utc)"),
    DICTS: ("{v}.__class__ is _list and not {v}", "()"),
}
_MISSING = object()


def plain(cls: type[Any], *, keep_raw: bool = False) -> bool:
    """True for models the generator covers: every field positional, plain defaults.

    With ``keep_raw``, the ``raw`` field of a model that keeps its JSON object (see
    `_convert.keeps_raw`) is left out of the test: the generated function passes it by
    name (see `fast_structure_fn`).
    """
    for field in attrs.fields(cls):
        if keep_raw and field.name == "raw":
            continue
        if not field.init or field.kw_only or field.alias != field.name:
            return False
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return False
    return True


def optional_of(kind: Any) -> Any:
    """``X`` for ``X | None``, else None."""
    args: tuple[Any, ...] = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and len(args) == 2:
        if args[1] is type(None):
            return args[0]
        if args[0] is type(None):
            return args[1]
    return None


def fast_structure_fn(cls: type[Any], made: cattrs.Converter, *, keep_raw: bool = False) -> Any:
    """The structuring function of model ``cls`` (a `plain` one) for converter ``made``.

    The function has a ``many`` attribute: the same decoding of a JSON array of these
    objects in one loop (see `fast_tuple_fn`).

    With ``keep_raw`` (a model with a ``raw`` field, `plain` but for it), the other
    fields decode as usual and the whole object goes to ``raw`` by name, in one
    construction; an object holding a float at or beyond 2**63 in magnitude (orjson's
    form of a huge integer, see `_orjson`) raises, so `structure` decides it with the
    detailed converter and `decode_fast` leaves it to ``json``.
    """
    fields = attrs.fields(attrs.resolve_types(cls))
    if keep_raw:
        fields = tuple(field for field in fields if field.name != "raw")
    namespace: dict[str, Any] = {
        "__cl": cls,
        "_dict": dict,
        "_list": list,
        "_str": str,
        "_bool": bool,
        "_int": int,
        "_MISSING": _MISSING,
        "_LIMIT": FAST_MS_LIMIT,
        "_fts": fromtimestamp,
        "_utc": timezone.utc,
    }
    keys, checks, sparse = _field_lines(fields, made, namespace)
    build = _build_lines(cls, fields, namespace, keep_raw=keep_raw)
    # Keys the API often leaves out are read with `dict.get` even in `structure`, so a
    # body without them does not cost a KeyError and a second pass (`often_absent`).
    absent = often_absent(cls)
    looked_up = {i for i, field in enumerate(fields) if field.name in absent}
    blocks = [sparse[i] if i in looked_up else checks[i] for i in range(len(fields))]
    present = [(i, key) for i, key in enumerate(keys) if i not in looked_up]
    guard: list[str] = []
    if keep_raw:
        namespace["_exact"] = no_big_floats
        guard = ["    if not _exact(o):", "        raise TypeError('a number beyond 2**63')"]
    source = _source(present, guard + _flat(blocks), guard + _flat(sparse), build)
    # A real (made-up) file name, registered with linecache, so a traceback through a
    # generated decoder shows its source instead of `<string>`.
    filename = f"<connectsafely generated structure_{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - built from field names
    function = namespace["structure"]
    function.__name__ = function.__qualname__ = f"structure_{cls.__name__}"
    function.many = namespace["structure_many"]
    return function


def often_absent(cls: type[Any]) -> frozenset[str]:
    """The fields of ``cls`` whose keys the API often leaves out of a body.

    A model lists them in a class attribute ``_often_absent`` (field names): for
    `SendResult`, ``thread_id`` (Sales Navigator sends only) and ``replayed`` (the SDK's
    own); for `SentMessage`, the two `Message` fields a send's answer does not carry.
    """
    return frozenset(getattr(cls, "_often_absent", ()))


def _flat(blocks: Sequence[list[str]]) -> list[str]:
    return [line for block in blocks for line in block]


def _field_lines(
    fields: Sequence[attrs.Attribute[Any]], made: cattrs.Converter, namespace: dict[str, Any]
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Each field's key, the checks of its present value, and its read of a sparse body.

    Two functions share the checks: ``structure`` reads every key by subscript (the
    cheapest lookup), but for the model's `often_absent` fields, which it reads as
    ``structure_sparse`` does, and hands a body that lacks a key to ``structure_sparse``,
    which reads with ``dict.get`` and gives a missing key the attribute's default. Fills in
    ``namespace`` with each field's hook (``h``), type (``t``) and default (``d``).
    """
    keys: list[str] = []
    checks: list[list[str]] = []
    sparse: list[list[str]] = []
    for index, field in enumerate(fields):
        v, key = f"v{index}", camel_case(field.name)
        keys.append(key)
        # The hook of `X` for `X | None`: the check block tests None itself, and cattrs'
        # optional dispatch would only call the `X` hook after the same test.
        base = optional_of(field.type)
        kind = base or field.type
        namespace[f"h{index}"] = made.get_structure_hook(kind)
        namespace[f"t{index}"] = kind
        namespace[f"d{index}"] = field.default
        block = _check_block(v, f"{v} = h{index}({v}, t{index})", field.type)
        checks.append(block)
        if field.default is attrs.NOTHING:
            # KeyError: the detailed pass names it
            sparse.append([f"    {v} = o[{key!r}]", *block])
        elif base is not None and field.default is None:
            sparse.append([f"    {v} = o.get({key!r})", *block])  # missing, null: None
        else:
            sparse.append(
                [
                    f"    {v} = o.get({key!r}, _MISSING)",
                    f"    if {v} is _MISSING:",
                    f"        {v} = d{index}",
                    "    else:",
                    *("    " + line for line in block),
                ]
            )
    return keys, checks, sparse


def _build_lines(
    cls: type[Any],
    fields: Sequence[attrs.Attribute[Any]],
    namespace: dict[str, Any],
    *,
    keep_raw: bool = False,
) -> list[str]:
    """The statements that make the instance from ``v0``, ``v1``... and return it."""
    arguments = ", ".join(f"v{i}" for i in range(len(fields)))
    if keep_raw:
        return [f"    return __cl({arguments}, raw=o)"]  # raw's converter runs in __init__
    setters = slot_setters(cls, fields)
    if setters is None:
        return [f"    return __cl({arguments})"]
    # attrs' __init__ for this class stores each argument in its slot and does
    # nothing else (checked in `slot_setters`); doing those stores here saves
    # the constructor's call and frame.
    namespace["_new"] = object.__new__
    for index, setter in enumerate(setters):
        namespace[f"s{index}"] = setter
    return [
        "    self = _new(__cl)",
        *(f"    s{i}(self, v{i})" for i in range(len(fields))),
        "    return self",
    ]


def _source(
    keys: list[tuple[int, str]], checks: list[str], sparse: list[str], build: list[str]
) -> str:
    """The module source defining ``structure``, ``structure_sparse`` and ``structure_many``.

    ``keys`` are the (field index, key) pairs read by subscript, into ``v<index>``;
    ``checks`` checks every field's value (and reads the other keys with ``get``).
    """
    reads = [f"        v{i} = o[{key!r}]" for i, key in keys] or ["        pass"]
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
        *sparse,
        *build,
        "",
        # A JSON array of these objects, the body of `structure` inlined in one loop
        # (a page's messages: no function call per item).
        "def structure_many(value):",
        "    if value.__class__ is not _list:",
        "        if value is None:",
        "            return ()",  # null where the array belongs: none (`array_hook`)
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
    return "\n".join(lines) + "\n"


def slot_setters(cls: type[Any], fields: Sequence[attrs.Attribute[Any]]) -> list[Any] | None:
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
    base = optional_of(kind)
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


def is_tuple_of_models(kind: Any) -> bool:
    """True for ``tuple[Model, ...]`` with ``Model`` an attrs class."""
    args = typing.get_args(kind)
    return (
        typing.get_origin(kind) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and attrs.has(args[0])
    )


def fast_tuple_fn(kind: Any, made: cattrs.Converter) -> Any:
    """``tuple[Model, ...]`` from a JSON array: one `map`, no generic dispatch; ``null``
    is an empty tuple (the rule of `_values.array_hook`, tested inline)."""
    item = kind.__args__[0]
    hook = made.get_structure_hook(item)
    many = getattr(hook, "many", None)
    if many is not None:
        # Our generated function's loop over a whole array (see `fast_structure_fn`).
        def structure_models(value: object, _: object) -> tuple[Any, ...]:
            return many(value)  # type: ignore[no-any-return]

        return structure_models

    def structure_models_hooked(value: object, _: object) -> tuple[Any, ...]:
        if value.__class__ is not list:
            if value is None:
                return ()  # null where the array belongs: none (`array_hook`)
            raise TypeError("expected a list")  # the detailed pass decides
        return tuple([hook(entry, item) for entry in value])

    return structure_models_hooked
