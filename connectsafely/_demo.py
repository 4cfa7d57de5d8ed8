"""``python -m connectsafely demo``: a complete outreach flow against the embedded fake."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import anyio

from ._client import AsyncClient

__all__ = ["run_demo"]


class _RetryCounter(logging.Handler):
    """Counts (and shows) the SDK's retry log lines so the transcript can report attempts."""

    def __init__(self, echo: bool) -> None:
        super().__init__(logging.INFO)
        self.retries = 0
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Retrying"):
            self.retries += 1
            if self.echo:
                print(f"  [log] {record.getMessage()}", file=sys.stderr)


def run_demo(*, as_json: bool = False, backend: str = "asyncio") -> int:
    """Run the demo; returns the process exit code."""
    from .testing import FakeConnectSafely

    fake = FakeConnectSafely()
    counter = _RetryCounter(echo=not as_json)
    logger = logging.getLogger("connectsafely")
    logger.addHandler(counter)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    try:
        with fake.serve() as server:
            events = anyio.run(_flow, fake, server.base_url, counter, backend=backend)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous_level)
    elapsed = time.perf_counter() - started
    _print(events, as_json=as_json, elapsed=elapsed)
    return 0


async def _flow(fake: Any, base_url: str, counter: _RetryCounter) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    navigator = fake.add_account(name="Morgan Blake", sales_navigator=True)
    async with AsyncClient(api_key=fake.api_key, base_url=base_url) as client:
        fake.fail_next(503, path="/linkedin/conversations/send")
        before = counter.retries
        inbox = await client.conversations.send(
            "Hi Jordan, loved your post on ops tooling. Open to a quick chat?",
            recipient_profile_id="jordan-lee",
            messaging_channel="linkedin_inbox",
        )
        events.append(_sent(inbox.sent_message, "linkedin_inbox", 1 + counter.retries - before))
        navigator_result = await client.conversations.send(
            "Hi Priya, following up from Sales Navigator.",
            recipient_profile_id="priya-shah",
            account_id=navigator.account_id,
        )
        events.append(_sent(navigator_result.sent_message, "sales_navigator", 1))
    return events


def _sent(message: dict[str, Any] | None, channel: str, attempts: int) -> dict[str, Any]:
    message = message or {}
    return {
        "event": "sent",
        "channel": channel,
        "from": message.get("senderName"),
        "at": message.get("sentAt"),
        "text": message.get("text"),
        "attempts": attempts,
    }


def _print(events: list[dict[str, Any]], *, as_json: bool, elapsed: float) -> None:
    if as_json:
        for event in events:
            print(json.dumps(event))
        return
    print("ConnectSafely demo (offline, embedded fake server)")
    for event in events:
        print(f"  {event['channel']:<16} {event['from']}: {event['text']} "
              f"(attempts: {event['attempts']})")
    print(f"Done in {elapsed:.2f} s.")
