"""Every public method of a resource namespace as an operation: `trace_methods`.

`resources._base.Resource` applies it to each subclass as it is defined, so a new
namespace (or a method moved to another module) is covered without doing anything.
The operation is named after the namespace and the method
(``connectsafely conversations.send``; the namespace is the class name in snake case,
``SalesNavigator`` -> ``sales_navigator``):

- an ``async`` method runs as one operation;
- a plain method returning something that does its I/O later hands that object the
  operation's `OperationSpec` (its ``_trace_as``): an `AsyncPager` traces each page
  fetch as one operation, a `MediaDownload` its ``async with`` block, a `BulkSend` its
  batch and items. A method returning anything else is not traced.

With telemetry off the wrapper costs one attribute test (and, for ``async`` methods, one
coroutine frame).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

from ._hooks import OperationSpec
from ._names import argument, path_hints

__all__ = ["trace_methods"]

_NAMESPACES: dict[type, str] = {}
_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")


def trace_methods(cls: type) -> None:
    """Wrap the public methods defined on ``cls`` itself (not inherited ones)."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(value):
            continue
        setattr(cls, name, _traced(value))


def _namespace(cls: type) -> str:
    namespace = _NAMESPACES.get(cls)
    if namespace is None:
        namespace = _NAMESPACES[cls] = _CAPITAL.sub("_", cls.__name__.lstrip("_")).lower()
    return namespace


def _parameters(func: Callable[..., Any]) -> tuple[str, ...]:
    """The names positional arguments bind to, after ``self``."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in inspect.signature(func).parameters.values() if p.kind in kinds]
    return tuple(names[1:])


def _spec(
    resource: Any, method: str, parameters: tuple[str, ...], args: Any, kwargs: Any
) -> OperationSpec | None:
    """The operation of this call, or ``None`` once the client found telemetry off."""
    core = resource._core
    pool = core.pool
    telemetry = pool.telemetry = pool.telemetry.ready()
    if telemetry is None:
        return None
    hints = path_hints(parameters, args, kwargs, core.config.account_id)
    account = argument("account_id", parameters, args, kwargs)
    return telemetry.spec(f"{_namespace(type(resource))}.{method}", hints, account)  # type: ignore[no-any-return]


def _traced(func: Callable[..., Any]) -> Callable[..., Any]:
    method = func.__name__
    parameters = _parameters(func)

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self._core.pool.telemetry is None:
                return await func(self, *args, **kwargs)
            spec = _spec(self, method, parameters, args, kwargs)
            if spec is None:
                return await func(self, *args, **kwargs)
            return await spec.run(func(self, *args, **kwargs))

        return call

    @functools.wraps(func)
    def call_later(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = func(self, *args, **kwargs)
        if self._core.pool.telemetry is not None:
            trace_as = getattr(result, "_trace_as", None)
            if trace_as is not None:
                spec = _spec(self, method, parameters, args, kwargs)
                if spec is not None:
                    trace_as(spec)
        return result

    return call_later
