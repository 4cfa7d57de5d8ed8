"""The fake server's core: one ASGI pipeline, the same for every endpoint.

Every HTTP request goes through the same steps, in this order:

1. **record** it (``fake.requests``);
2. **auth**: a wrong or missing Bearer key -> 401, before anything else;
3. **limits** (`_limits.Limits.admit`): a refusal -> 429, else the limit headers to add;
4. **faults** scripted to act before the route (`_faults.FaultQueue`);
5. **route** (`_routing.Router`) to its handler, which works on the world (`_world.World`);
6. **faults** scripted to act after the route (the "did it go through?" cases);
7. **send** the response, after the fake's ``latency``.

Nothing here knows about individual endpoints: they are the `Route` lists of the
``_routes_*`` modules.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio

from .._asgi import serve_lifespan
from ._faults import Fault, FaultQueue
from ._limits import Limits
from ._routing import Route, Router
from ._wire import (
    ConnectionDropped,
    ErrorStyle,
    FakeHTTPError,
    FakeResponse,
    RecordedRequest,
    error_body,
)
from ._world import World

__all__ = ["DEFAULT_API_KEY", "Core"]

DEFAULT_API_KEY = "cs_test_fake_key"

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Core:
    """The ASGI pipeline of the module docs, over one world and one set of routes.

    Args:
        world: The in-memory state the handlers work on.
        routes: Every endpoint, in matching order.
        api_key: The only key accepted.
        error_style: The shape of error bodies.
        seed: Seeds the fault queue's random generator (random faults).
    """

    def __init__(
        self,
        world: World,
        routes: Iterable[Route],
        *,
        api_key: str,
        error_style: ErrorStyle,
        seed: int | None,
    ) -> None:
        self.world = world
        self.router = Router(routes)
        self.api_key = api_key
        self.error_style: ErrorStyle = error_style
        self.latency = 0.0
        self.requests: list[RecordedRequest] = []
        # Requests no route matched (answered 404/405): `fake.unserved`.
        self.unserved: list[RecordedRequest] = []
        self.faults = FaultQueue(seed=seed)
        self.limits = Limits()
        # The 91st connection request of a week puts the account on hold, as a test's
        # `fake.hold` would: the network keeps the count, the limits the hold.
        world.network.place_hold = self.limits.hold

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        request = RecordedRequest.from_scope(scope, body)
        self.requests.append(request)
        # The API checks the key first: a wrong key never learns about rate limits or
        # outages, and its requests neither count against a limit nor use up a fault.
        if not self._authenticated(request):
            denied = error_body(
                self.error_style, "Unauthorized - Invalid credentials", code="unauthorized"
            )
            await self._respond(send, FakeResponse(401, denied))
            return
        refusal, limit_headers = self.limits.admit(
            request, self.world.clock, self.error_style, self.world.default_account_id
        )
        if refusal is not None:
            await _send(send, refusal)
            return

        fault = self.faults.take(request, after=False)
        if fault is not None:
            response = await _apply_fault(fault)
            if response is not None:
                await _send(send, response)
                return
        response = await self._route(request)
        if limit_headers and _nearer_limit(limit_headers, response.headers):
            # One set of X-RateLimit-* headers fits a response: that of the limit the
            # call is nearest to (a cold send counts against the daily quota, which the
            # route reports, and against its account's window, reported here).
            kept = {
                name: value
                for name, value in response.headers.items()
                if not name.lower().startswith("x-ratelimit-")
            }
            response = FakeResponse(response.status, response.body, {**kept, **limit_headers})
        fault = self.faults.take(request, after=True)
        if fault is not None:
            if fault.kind == "truncate":
                await _send_truncated(send, response)
                raise ConnectionDropped("Injected: connection cut mid-body")
            replacement = await _apply_fault(fault)
            if replacement is not None:
                response = replacement
        await self._respond(send, response)

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose decoded path starts with ``path_prefix`` (and with
        ``method``, when given)."""
        return [
            r
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
        ]

    def _authenticated(self, request: RecordedRequest) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            token.encode(), self.api_key.encode()
        )

    async def _route(self, request: RecordedRequest) -> FakeResponse:
        try:
            handler, params = self.router.match(request)
        except FakeHTTPError as exc:
            self.unserved.append(request)
            return self._error(exc)
        try:
            return await handler(self.world, request, params)
        except FakeHTTPError as exc:
            return self._error(exc)

    def _error(self, exc: FakeHTTPError) -> FakeResponse:
        body = error_body(
            self.error_style,
            exc.message,
            code=exc.code,
            field=exc.field,
            expected=exc.expected,
            received=exc.received,
        )
        return FakeResponse(exc.status, body, exc.headers)

    async def _respond(self, send: Send, response: FakeResponse) -> None:
        if self.latency:
            await anyio.sleep(self.latency)
        await _send(send, response)


def _nearer_limit(limit: dict[str, str], route: dict[str, str]) -> bool:
    """Whether the admission limit's headers replace the route's own: always when the
    route has none; else only an account's action window that has less left than the
    route's limit (a cold send near its window's end, far from its daily quota)."""
    if "X-RateLimit-Action" not in limit:
        return not any(k.lower().startswith("x-ratelimit-") for k in route)
    route_remaining = next(
        (v for k, v in route.items() if k.lower() == "x-ratelimit-remaining"), None
    )
    if route_remaining is None:
        return True
    try:
        return int(limit.get("X-RateLimit-Remaining", "0")) < int(route_remaining)
    except ValueError:
        return True


async def _apply_fault(fault: Fault) -> FakeResponse | None:
    if fault.delay:
        await anyio.sleep(fault.delay)
    if fault.kind in ("drop", "truncate"):
        raise ConnectionDropped("Injected: server closed the connection")
    if fault.kind == "status":
        return fault.response
    return None  # delay only: carry on normally


# -- ASGI plumbing ----------------------------------------------------------------------


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, response: FakeResponse) -> None:
    payload, headers = response.encode()
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _send_truncated(send: Send, response: FakeResponse) -> None:
    payload, headers = response.encode()
    if len(payload) < 2:  # make sure there is a body to cut
        payload = b'{"success": true, "padding": "' + b"x" * 64 + b'"}'
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send(
        {"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True}
    )
