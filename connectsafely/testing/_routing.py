"""Routes as data: each endpoint group lists its `Route` entries; the `Router` matches them.

A route is a method, a path pattern and a plain async function. Patterns hold literal
segments and ``{name}`` placeholders, each matching one percent-decoded path segment;
the matched values reach the handler as ``params``. A handler receives the fake's
in-memory world, the recorded request and those params, and returns a `FakeResponse` or
raises `FakeHTTPError`. Handlers know nothing about auth, limits or faults: the core
(`_core.Core`) runs those around them. A route may declare the request form it accepts
(a `_shapes.Shape`): the router checks it before the handler runs, so a request the real
API would refuse with a 400 never reaches the handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from ._shapes import Shape
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest

if TYPE_CHECKING:
    from ._world import World

__all__ = ["Handler", "Route", "Router"]

Handler = Callable[["World", RecordedRequest, Mapping[str, str]], Awaitable[FakeResponse]]
"""``async def handler(world, request, params) -> FakeResponse``."""


def _upper(method: str) -> str:
    return method.upper()


@attrs.frozen
class Route:
    """One endpoint: ``method`` on ``pattern`` is answered by ``handler``.

    Attributes:
        method: The HTTP method, upper case.
        pattern: The path, with ``{name}`` for a segment passed to the handler.
        handler: The async function that answers it.
        shape: The request form it accepts (checked before ``handler`` runs), or
            ``None`` when the handler reads the request itself (raw uploads).
    """

    method: str = attrs.field(converter=_upper)
    pattern: str
    handler: Handler = attrs.field(repr=lambda h: getattr(h, "__name__", repr(h)))
    shape: Shape | None = attrs.field(default=None, repr=False)

    def answerer(self) -> Handler:
        """The handler, behind the check of `shape` when there is one."""
        shape, handler = self.shape, self.handler
        if shape is None:
            return handler

        async def checked(
            world: World, request: RecordedRequest, params: Mapping[str, str]
        ) -> FakeResponse:
            shape.check(request)
            return await handler(world, request, params)

        checked.__name__ = getattr(handler, "__name__", "handler")
        return checked

    @property
    def segments(self) -> tuple[str, ...]:
        """The pattern split into path segments."""
        return tuple(part for part in self.pattern.strip("/").split("/") if part)


class Router:
    """Matches a request to its route: 404 for an unknown path, 405 for a known one
    with the wrong method (what the real API answers)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        # Segments are split (and checks attached) once here, not per request.
        self._routes = [(route, route.segments, route.answerer()) for route in routes]

    def match(self, request: RecordedRequest) -> tuple[Handler, dict[str, str]]:
        """The handler for ``request`` and its path params.

        Raises:
            FakeHTTPError: 404 when no pattern matches, 405 when only the method differs.
        """
        path_matched = False
        for route, segments, answer in self._routes:
            params = _match(segments, request.segments)
            if params is None:
                continue
            path_matched = True
            if route.method == request.method:
                return answer, params
        if path_matched:
            raise FakeHTTPError(405, f"Method {request.method} not allowed", code="not_allowed")
        raise FakeHTTPError(404, f"Cannot {request.method} {request.path}", code="not_found")


def _match(pattern: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for expected, actual in zip(pattern, segments, strict=True):
        if expected.startswith("{") and expected.endswith("}"):
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params
