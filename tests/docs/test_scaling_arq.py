"""docs/scaling.md's arq example (``docs/examples/arq_campaign.py``), run for real.

A real ``redis-server``, the fake served on loopback, and two ``arq`` worker processes
(``python -m arq ... --burst``: they exit once the queue is empty) running the example's
``WorkerSettings`` unchanged but for its ``LIMITS``: the documented limits on a clock 60
times faster (a minute becomes a second), so the test takes seconds. The campaign is
enqueued with the example's own ``enqueue_campaign``, plus one lead enqueued a second
time; the fake fails every attempt of one lead's first job (503, before storing it), so
the SDK gives up, the job raises ``Retry`` and arq runs it again. Every lead must get
exactly one message.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from connectsafely import _config
from connectsafely.testing import FakeConnectSafely, LoopbackServer

from ..stores._redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "arq_campaign.py"
LEADS = [(f"lead-{n:02d}", f"Lead{n}") for n in range(24)]
TWICE = "lead-00"
"""Enqueued twice in a row (a double click), so both jobs usually run at once: one sends,
the other gets `SendInProgressError`, is retried by arq and replays. Still one message."""
FLAKY = "lead-10"
"""Every attempt of its first job gets a 503, so arq retries the job."""

FAST_SETTINGS = """
import arq_campaign
from connectsafely import Limits, RateLimit

# The documented limits (60 calls a minute per key, 15 writes a minute per account,
# 150 new conversations a day) on a clock 60 times faster.
arq_campaign.LIMITS = Limits(
    key=RateLimit(60, per=1.0),
    account_writes=RateLimit(15, per=1.0),
    daily_new_conversations=150,
)
WorkerSettings = arq_campaign.WorkerSettings
"""


def _arq() -> ModuleType:
    try:
        import arq
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("arq is not installed, and CI=true: pip install -e '.[test]'")
        pytest.skip("arq not installed (pip install arq)")
    return arq


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("arq_campaign", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FlakyLead:
    """The fake, except that the first sends to `FLAKY` get a 503 without being stored."""

    def __init__(self, fake: FakeConnectSafely, failures: int) -> None:
        self.fake = fake
        self.api_key = fake.api_key
        self.failures = failures

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/linkedin/conversations/send":
            await self.fake(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.failures and json.loads(body).get("recipientProfileId") == FLAKY:
            self.failures -= 1
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b'{"error": "unavailable"}'})
            return

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.fake(scope, replay, send)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_the_arq_example_sends_each_lead_once_with_two_workers(
    tmp_path: Path, redis_url: str
) -> None:
    _arq()
    example = _example()
    (tmp_path / "arq_campaign_fast.py").write_text(FAST_SETTINGS)
    fake = FakeConnectSafely()
    # Every attempt the SDK makes for the flaky lead's first job: 1 + its retries.
    app = FlakyLead(fake, failures=1 + _config.DEFAULT_MAX_RETRIES)
    env = {
        **os.environ,
        "CONNECTSAFELY_API_KEY": fake.api_key,
        "REDIS_URL": redis_url,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(EXAMPLE.parent), str(ROOT), os.environ.get("PYTHONPATH")])
        ),
    }

    async def enqueue() -> None:
        from arq.connections import RedisSettings, create_pool

        redis = await create_pool(RedisSettings.from_dsn(redis_url))
        try:
            await example.enqueue_campaign(redis, [(TWICE, dict(LEADS)[TWICE])])
            await example.enqueue_campaign(redis, LEADS)
        finally:
            await redis.aclose()

    async def results() -> list[Any]:
        from arq.connections import RedisSettings, create_pool

        redis = await create_pool(RedisSettings.from_dsn(redis_url))
        try:
            return list(await redis.all_job_results())
        finally:
            await redis.aclose()

    asyncio.run(enqueue())
    began = time.monotonic()
    with LoopbackServer(app) as server:  # type: ignore[arg-type]
        env["CONNECTSAFELY_BASE_URL"] = server.base_url
        logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
        workers = []
        for log in logs:
            with log.open("w") as out:
                workers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "arq",
                            "arq_campaign_fast.WorkerSettings",
                            "--burst",
                        ],
                        cwd=tmp_path,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            codes = [worker.wait(timeout=45) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
    elapsed = time.monotonic() - began
    output = [log.read_text() for log in logs]
    assert codes == [0, 0], output

    # Every lead got exactly one message.
    recipients = Counter(
        fake.conversations[s.conversation_urn].recipient_profile_id for s in fake.sends
    )
    assert recipients == Counter(lead for lead, _ in LEADS), recipients

    # Every job succeeded: the lead enqueued twice once sent and once replayed, the
    # flaky lead sent on arq's second try.
    jobs = asyncio.run(results())
    assert all(job.success for job in jobs), [j.result for j in jobs if not j.success]
    by_lead: dict[str, list[Any]] = {}
    for job in jobs:
        by_lead.setdefault(job.args[0], []).append(job)
    assert len(jobs) == len(LEADS) + 1
    assert sorted(job.result for job in by_lead[TWICE]) == ["replayed", "sent"]
    [flaky] = by_lead[FLAKY]
    assert (flaky.result, flaky.job_try) == ("sent", 2)
    assert all(job.result == "sent" for lead, js in by_lead.items() if lead != TWICE for job in js)
    # Both workers took jobs (arq logs "←" when one finishes).
    assert all("←" in text for text in output), output
    print(f"arq: {len(jobs)} jobs, {len(fake.sends)} sends, {elapsed:.1f} s")
