"""A bounded load test: many concurrent sends over loopback while the server fails 20 %.

The fake runs under uvicorn in a *separate process* on 127.0.0.1: in the same process
the server and the client would share one GIL (one core of the two), and the numbers
would measure that contention rather than the SDK. The child process answers a
``report`` command with what the fake recorded, so the test can still check the
server's view (attempts, accepted sends, idempotency keys).

Bounded in count and time (``fail_after``); it stops by itself. Run with ``-s`` to see
the counts; ``CONNECTSAFELY_LOAD_SENDS=N`` sets the count for both backends.

The counts, measured on the 2-core CI machine (fake in its own process, 256 concurrent
calls, 20 % 503s, the SDK's default client): 10,000 sends on asyncio take about 30 s
(~12,400 attempts at ~430 requests/s); Trio runs 2,500 so the module stays under a
minute. That rate is owed to the SDK queueing calls in front of httpx's pool
(``max_concurrent_requests``, default 16): httpcore re-scans its connections each time a
request starts or ends, and 256 calls straight onto 256 connections managed 15-65
requests/s here.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient

pytestmark = [pytest.mark.anyio, pytest.mark.load]

# Not imported from tests._support: the child process runs this file as a plain script.
SEND = "/linkedin/conversations/send"
# The full 10,000 on asyncio; a shorter run on Trio keeps the module under a minute.
SENDS_BY_BACKEND = {"asyncio": 10_000, "trio": 2_500}
SENDS_OVERRIDE = os.environ.get("CONNECTSAFELY_LOAD_SENDS")
CONCURRENCY = 256
FAILURE_RATE = 0.2
# Seconds; the default run takes a fraction of this, which only guarantees it ends.
TIME_LIMIT_PER_SEND = 1 / 50


def _serve() -> None:
    """Child process: serve a fake failing 20 % of sends; answer report/stop on stdin."""
    from connectsafely.testing import FakeConnectSafely

    fake = FakeConnectSafely()
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.fail_next(503, count=10**9, rate=FAILURE_RATE, path=SEND)
    with fake.serve() as server:
        print(json.dumps({"base_url": server.base_url, "urn": conversation.urn}), flush=True)
        for line in sys.stdin:
            if line.strip() != "report":
                break
            keys = [s.idempotency_key for s in fake.sends]
            report = {
                "attempts": len(fake.requests_to(SEND)),
                "accepted": len(fake.sends),
                "distinct_keys": len(set(keys)),
                "keys_missing": keys.count(None),
            }
            print(json.dumps(report), flush=True)


class FakeProcess:
    """The fake in a child process, for the duration of a ``with`` block."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        hello = json.loads(self._process.stdout.readline())
        self.base_url: str = hello["base_url"]
        self.urn: str = hello["urn"]

    def report(self) -> dict[str, int]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("report\n")
        self._process.stdin.flush()
        report: dict[str, int] = json.loads(self._process.stdout.readline())
        return report

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        assert self._process.stdout is not None
        self._process.stdout.close()


@pytest.fixture(scope="module")
def fake_process() -> Iterator[FakeProcess]:
    process = FakeProcess()
    try:
        yield process
    finally:
        process.close()


# The test bounds itself (``fail_after`` below); the suite-wide 60 s of pytest-timeout would
# cut a run slowed by a busy machine short of that bound, so it gets the bound's own margin.
@pytest.mark.timeout(max(45.0, max(SENDS_BY_BACKEND.values()) * TIME_LIMIT_PER_SEND) + 30)
async def test_concurrent_sends_under_20_percent_503s_all_end_typed_without_duplicates(
    fake_process: FakeProcess, anyio_backend: str
) -> None:
    sends = int(SENDS_OVERRIDE or SENDS_BY_BACKEND[anyio_backend])
    before = fake_process.report()
    outcomes: collections.Counter[str] = collections.Counter()
    pool_timeouts = 0
    untyped: list[BaseException] = []
    numbers = iter(range(sends))

    async def worker(client: AsyncClient) -> None:
        nonlocal pool_timeouts
        for n in numbers:
            try:
                await client.conversations.send(f"Load {n}", conversation_urn=fake_process.urn)
            except connectsafely.APIError as error:
                outcomes[type(error).__name__] += 1
                if isinstance(error.__cause__, httpx.PoolTimeout):
                    pool_timeouts += 1
            except Exception as error:  # anything untyped is a failure of the test
                untyped.append(error)
            else:
                outcomes["success"] += 1

    started = time.perf_counter()
    with anyio.fail_after(max(45.0, sends * TIME_LIMIT_PER_SEND)):
        async with (
            AsyncClient(api_key="cs_test_fake_key", base_url=fake_process.base_url) as client,
            anyio.create_task_group() as group,
        ):
            for _ in range(CONCURRENCY):
                group.start_soon(worker, client)
    duration = time.perf_counter() - started

    after = fake_process.report()
    attempts = after["attempts"] - before["attempts"]
    accepted = after["accepted"] - before["accepted"]
    successes = outcomes["success"]
    typed_errors = sum(outcomes.values()) - successes
    print(
        f"\nload [{anyio_backend}]: {sends} sends at concurrency {CONCURRENCY}, "
        f"{FAILURE_RATE:.0%} injected 503s: {successes} succeeded, {typed_errors} typed errors "
        f"{dict(o for o in outcomes.items() if o[0] != 'success')}, {attempts} attempts, "
        f"{duration:.1f} s ({attempts / duration:.0f} requests/s)"
    )

    assert untyped == []
    assert successes + typed_errors == sends
    # Only 503s were injected, so the only error is a send that failed all 3 attempts.
    assert set(outcomes) <= {"success", "InternalServerError"}
    assert pool_timeouts == 0
    # Every accepted send is one call's success; no key was accepted twice.
    assert accepted == successes
    assert after["distinct_keys"] - before["distinct_keys"] == accepted
    assert after["keys_missing"] == 0
    # Each failed call made exactly 3 attempts; attempts match the fault rate.
    assert attempts >= sends + 2 * typed_errors
    assert 1.15 * sends < attempts < 1.35 * sends


if __name__ == "__main__":
    _serve()
