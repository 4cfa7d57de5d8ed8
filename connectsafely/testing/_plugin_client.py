"""The pytest plugin's client helpers: retries without waits, and closing without a loop.

The plugin's fixtures are synchronous so that they work under anyio's plugin and
pytest-asyncio alike; `close_now` is what lets ``connectsafely_client`` close its
`AsyncClient` at teardown, where no event loop runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio.lowlevel
import pytest

from .. import _retry

if TYPE_CHECKING:
    from .. import AsyncClient

__all__ = ["close_now", "skip_retry_waits"]


async def _no_wait(seconds: float) -> None:
    """Stands in for the backoff sleep: yields to the event loop once, waits nothing."""
    await anyio.lowlevel.checkpoint()


def skip_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the test's duration, retry at once: no backoff, no ``Retry-After`` wait
    (`connectsafely._retry.sleep` is the SDK's one hook for both)."""
    monkeypatch.setattr(_retry, "sleep", _no_wait)


def close_now(client: AsyncClient) -> None:
    """Close ``client`` outside any event loop.

    A client wired to the fake in-process holds no socket: its ``aclose`` sets its state
    and calls the in-process transport's ``aclose``, which does nothing, so the coroutine
    finishes without ever waiting, and running it by hand is the same as awaiting it.

    Raises:
        RuntimeError: If closing had to wait after all (it never does in-process).
    """
    closing = client.aclose()
    try:
        closing.send(None)
    except StopIteration:
        return
    closing.close()
    raise RuntimeError(
        "connectsafely_client could not be closed without an event loop; close it "
        "yourself with `await client.aclose()` in the test"
    )
