"""What the SDK's two ASGI apps (the webhook receiver and the fake server) share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = ["serve_lifespan"]


async def serve_lifespan(
    receive: Callable[[], Awaitable[Mapping[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Answer an ASGI ``lifespan`` scope: nothing to start or stop, so acknowledge both
    (servers such as uvicorn then run the app without a warning)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
