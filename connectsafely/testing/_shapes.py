"""The request forms each endpoint accepts, as data: a `Shape` per `Route`.

The real API validates every request before it acts (a schema per endpoint; its 400
validation bodies are zod's), so a body with a required field missing or a value of the
wrong JSON type is refused with a 400 and nothing happens. The fake does the same from
the `Shape` a route declares, before its handler runs, so a user's test catches the
mistakes a real call would: a field under the wrong name (the required one is then
missing), a number where a string belongs, a flag sent as ``"true"``.

- A body field names its JSON type (``string``, ``boolean``, ``integer``, ``array``,
  ``object``), whether it is required (a required string must not be blank), the
  allowed values of an enum string and the type of an array's items.
- A query parameter is text: ``integer`` (digits, at least ``minimum``), ``boolean``
  (``true``/``false``) or ``string`` (an enum when ``choices`` are given).
- ``one_of`` groups fields of which at least one must be present (the recipient of a
  send, the profile of an open-profile check).
- JSON ``null`` counts as absent: the reference never says whether an optional field may
  be ``null``, so the fake does not refuse what the API may accept.
- Unknown fields are ignored, as schema validation commonly does (and the API adds
  fields without notice, so it likely accepts them too).

Every refusal is a `FakeHTTPError` (400, code ``validation_error``, the field named), so
it reaches the client in the fake's error style, the zod style with an ``invalid_type``
issue naming the path, the expected and the received type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._wire import FakeHTTPError, RecordedRequest

__all__ = ["Field", "Shape", "optional", "required"]

JsonKind = Literal["string", "boolean", "integer", "array", "object"]

_PYTHON: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "array": (list,),
    "object": (dict,),
}


@attrs.frozen
class Field:
    """One body field or query parameter of a `Shape`.

    Attributes:
        kind: Its JSON type (for a query parameter: how its text must read).
        required: Whether it must be present (and, for a string, not blank).
        choices: The values an enum string may take (empty: any).
        items: The JSON type of an array's items (``None``: any).
        minimum: The smallest value of an integer query parameter.
    """

    kind: JsonKind
    required: bool = False
    choices: tuple[str, ...] = ()
    items: JsonKind | None = None
    minimum: int = 0


def required(kind: JsonKind, **options: Any) -> Field:
    """A field the request must carry."""
    return Field(kind, True, **options)


def optional(kind: JsonKind, **options: Any) -> Field:
    """A field the request may carry."""
    return Field(kind, False, **options)


@attrs.frozen
class Shape:
    """What one endpoint accepts: its JSON body fields and its query parameters.

    Attributes:
        body: The body's fields by wire name; with any, the body must be a JSON object
            (an empty body reads as ``{}`` when ``empty_body`` allows it).
        query: The query parameters by wire name.
        one_of: Groups of body fields of which at least one must be present, each with
            the error text for when none is.
        empty_body: Whether no body at all is accepted (as ``{}``).
    """

    body: Mapping[str, Field] = attrs.field(factory=dict)
    query: Mapping[str, Field] = attrs.field(factory=dict)
    one_of: tuple[tuple[tuple[str, ...], str], ...] = ()
    empty_body: bool = False

    def check(self, request: RecordedRequest) -> None:
        """Refuse ``request`` with the API's 400 when it does not fit.

        Raises:
            FakeHTTPError: 400 ``validation_error`` naming the first field that does not
                fit (or ``invalid_json`` for a body that is not a JSON object).
        """
        for name, field in self.query.items():
            _check_query(name, field, request.query.get(name))
        if not self.body and not self.one_of:
            return
        body = _json_body(request, empty_ok=self.empty_body)
        for name, field in self.body.items():
            _check_value(name, field, body.get(name))
        for names, message in self.one_of:
            if all(body.get(name) is None for name in names):
                raise FakeHTTPError(400, message, code="validation_error", field=names[0])


def _json_body(request: RecordedRequest, *, empty_ok: bool) -> dict[str, Any]:
    if not request.body and empty_ok:
        return {}
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        raise FakeHTTPError(400, "Body is not valid JSON", code="invalid_json") from None
    if not isinstance(body, dict):
        raise FakeHTTPError(400, "Body must be a JSON object", code="invalid_json")
    return body


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    for kind, types in _PYTHON.items():
        if isinstance(value, types):
            return kind
    return type(value).__name__


def _is(kind: str, value: object) -> bool:
    if kind == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, _PYTHON[kind])


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _refuse(name: str, message: str, expected: str, received: str) -> FakeHTTPError:
    return FakeHTTPError(
        400,
        message,
        code="validation_error",
        field=name,
        expected=expected,
        received=received,
    )


def _check_value(name: str, field: Field, value: object) -> None:
    if value is None:
        if field.required:
            raise _refuse(name, f"{name} is required", field.kind, "undefined")
        return
    if not _is(field.kind, value):
        received = _json_kind(value)
        raise _refuse(name, f"{name} must be {_a(field.kind)}", field.kind, received)
    if field.kind == "string":
        assert isinstance(value, str)
        if field.required and not value.strip():
            raise _refuse(name, f"{name} is required", "string", "empty string")
        if field.choices and value not in field.choices:
            allowed = ", ".join(field.choices)
            raise _refuse(name, f"{name} must be one of {allowed}", allowed, repr(value))
    if field.kind == "array" and field.items is not None:
        assert isinstance(value, list)
        for index, item in enumerate(value):
            if not _is(field.items, item):
                raise _refuse(
                    f"{name}.{index}",
                    f"{name}[{index}] must be {_a(field.items)}",
                    field.items,
                    _json_kind(item),
                )


def _check_query(name: str, field: Field, value: str | None) -> None:
    if value is None:
        if field.required:
            raise _refuse(name, f"{name} is required", field.kind, "undefined")
        return
    if field.kind == "integer":
        if not value.isdigit() or int(value) < field.minimum:
            message = f"{name} must be an integer >= {field.minimum}"
            raise _refuse(name, message, "integer", repr(value))
    elif field.kind == "boolean":
        if value not in ("true", "false"):
            raise _refuse(name, f"{name} must be true or false", "boolean", repr(value))
    elif field.choices and value not in field.choices:
        allowed = ", ".join(field.choices)
        raise _refuse(name, f"{name} must be one of {allowed}", allowed, repr(value))
