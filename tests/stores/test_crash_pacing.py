"""Issue 23 item 5: a worker SIGKILLed while its sends wait for their pacing slots
leaves no claim on them, so a re-run sends them at once (no `SendInProgressError`).

The ledger claims a key only once its send is admitted (after the pacing wait), so a
send that never reached the API holds nothing. A real OS process (`_paced_worker`) is
killed, over `SQLiteStore` and `RedisStore`, and the re-run happens right away, well
inside the default lease (15 s) a claim taken before the wait would still hold.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import anyio
import pytest

from connectsafely import AsyncClient, SendInProgressError, collect_in_order
from connectsafely.testing import FakeConnectSafely, LoopbackServer

from . import _paced_worker as worker
from .test_crash import _unsettled_redis, _unsettled_sqlite

SCRIPT = Path(worker.__file__).resolve()
ROOT = SCRIPT.parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _first_sent(victim: subprocess.Popen[str], out: Path, timeout: float) -> str:
    """The lead of the worker's first outcome (whichever item got the first slot)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = out.read_text().splitlines()
        if lines:
            [line] = lines
            _, lead, kind = line.split()
            assert kind == "ok", line
            return lead
        assert victim.poll() is None, "the worker died on its own"
        assert time.monotonic() < deadline, "the worker never sent its first message"
        time.sleep(0.02)


@pytest.mark.load
@pytest.mark.parametrize("store_kind", ["sqlite", "redis"])
def test_a_rerun_after_a_kill_during_the_pacing_wait_is_not_blocked(
    store_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    namespace = f"paced-{uuid.uuid4().hex[:8]}"
    if store_kind == "sqlite":
        database = tmp_path / "x.db"
        spec = f"sqlite:{database}"
        backend = "trio"  # the store and the ledger are anyio through

        def unsettled() -> dict[str, str]:
            return _unsettled_sqlite(database, namespace)
    else:
        spec = request.getfixturevalue("redis_server").url
        backend = "asyncio"  # RedisStore is asyncio only

        def unsettled() -> dict[str, str]:
            return _unsettled_redis(spec, namespace)

    fake = FakeConnectSafely()
    out = tmp_path / "victim.out"
    with LoopbackServer(fake) as server:
        command = [
            sys.executable, str(SCRIPT),
            "--base-url", server.base_url,
            "--api-key", fake.api_key,
            "--store", spec,
            "--namespace", namespace,
            "--backend", backend,
        ]  # fmt: skip
        with out.open("w") as stdout, (tmp_path / "victim.err").open("w") as stderr:
            victim = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=_env(), text=True)
        try:
            first = _first_sent(victim, out, timeout=30)
            # The other five are waiting for their slots (a minute apart): kill it now.
            victim.kill()
            assert victim.wait(timeout=10) == -9
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait(timeout=10)
        assert len(fake.sends) == 1
        # The leads that never reached the API hold no claim in the store.
        assert unsettled() == {}

        async def rerun() -> dict[str, str]:
            store = worker.open_store(spec, namespace)
            try:
                async with AsyncClient(
                    api_key=fake.api_key, base_url=server.base_url, store=store
                ) as client:
                    items = [worker.request_for(lead) for lead in range(worker.LEADS)]
                    with anyio.fail_after(10):
                        outcomes = await collect_in_order(client.conversations.send_many(items))
            finally:
                await store.aclose()
            kinds = {}
            for outcome in outcomes:
                assert not isinstance(outcome.error, SendInProgressError), outcome.error
                assert outcome.ok, outcome.error
                lead = worker.lead_name(outcome.index)
                kinds[lead] = "replayed" if outcome.replayed else "ok"
            return kinds

        kinds = anyio.run(rerun, backend="asyncio")
    # The one the victim sent is replayed; the five that never reached the API are sent.
    assert kinds == {
        worker.lead_name(n): "replayed" if worker.lead_name(n) == first else "ok"
        for n in range(worker.LEADS)
    }
    sent = Counter(s.text for s in fake.sends)
    assert len(sent) == worker.LEADS and set(sent.values()) == {1}
