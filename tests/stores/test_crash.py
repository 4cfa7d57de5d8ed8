"""Issue 16: a campaign survives a worker killed mid-run, across real OS processes.

Five processes besides pytest, all by ``sys.executable`` (see `_crash_campaign`):

1. a **server**: the fake on loopback, with a per-account ``MESSAGE`` limit, sends
   answered 500 *after* they were stored (seeded) and a little latency;
2. three **workers** running the same campaign (240 leads over 4 accounts, cold sends
   and replies, keyed by campaign and lead) through one shared store, each paced by
   ``Limits(account_writes=RateLimit(15, per=1.25))``: the fake's limit with slack
   (`_crash_campaign.CLIENT_WINDOW` says why pacing at exactly the limit is not
   enough). One of them, the *victim*, is SIGKILLed mid-run: the server stops
   answering its sends (still storing them) after its first few, and the test kills it
   once some are stored but unanswered, so it dies holding claims whose message did
   reach "LinkedIn" (and, usually, claims whose message did not);
3. a **fresh worker** afterwards, over the whole campaign to the end. The victim's
   claims carry a short ``lease`` (2 s): once it expires they are in doubt, and the
   ledger checks the conversation before sending.

Then the fake must hold every lead's message exactly once (0 duplicates, 0 missing)
and must never have answered 429 for the per-account limit. The same campaign runs as
connection requests too (``kind="invitations"``: `invitations.send_many`, the ``CONNECT``
limit, the relationship read as the ledger's check): every lead invited exactly once,
and no second request ever reaching the fake (it would answer 400 already_invited).
Runs on `SQLiteStore` (workers on asyncio and Trio) and `RedisStore` (asyncio).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectsafely.testing import FakeConnectSafely

from . import _crash_campaign as campaign

SCRIPT = Path(campaign.__file__).resolve()
ROOT = SCRIPT.parents[2]
LEASE = 2.0
KILL_WHEN_STALLED = 3
"""The victim is killed once this many of its sends are stored but unanswered."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The children import the same connectsafely as this test (a checkout or an install).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class Campaign:
    """The processes of one run, and what they reported."""

    def __init__(
        self, tmp_path: Path, store: str, namespace: str, backends: list[str], kind: str
    ) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.store = store
        self.namespace = namespace
        self.backends = backends
        self.processes: list[subprocess.Popen[str]] = []
        self.base_url = ""

    def serve(self) -> None:
        with (self.tmp_path / "server.err").open("w") as err:
            server = subprocess.Popen(
                [sys.executable, str(SCRIPT), "serve", "--kind", self.kind],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=_env(),
            )
        self.processes.append(server)
        assert server.stdout is not None
        line = server.stdout.readline()  # "" if it died: then the assert shows its stderr
        assert line.startswith("BASE_URL "), (self.tmp_path / "server.err").read_text()
        self.base_url = line.split()[1]

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/__crash/state", timeout=10.0)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def worker(self, name: str, backend: str, mode: str = "pass") -> subprocess.Popen[str]:
        command = [
            sys.executable, str(SCRIPT), "work",
            "--base-url", self.base_url,
            "--api-key", FakeConnectSafely().api_key,
            "--store", self.store,
            "--namespace", self.namespace,
            "--name", name,
            "--lease", str(LEASE),
            "--mode", mode,
            "--backend", backend,
            "--kind", self.kind,
        ]  # fmt: skip
        with (
            (self.tmp_path / f"{name}.out").open("w") as out,
            (self.tmp_path / f"{name}.err").open("w") as err,
        ):
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True, env=_env()
            )
        self.processes.append(process)
        return process

    def finished(self, process: subprocess.Popen[str], name: str, timeout: float) -> Any:
        """Wait for a worker; its ``SUMMARY``."""
        code = process.wait(timeout=timeout)
        out = (self.tmp_path / f"{name}.out").read_text()
        err = (self.tmp_path / f"{name}.err").read_text()
        assert code == 0, f"{name} exited with {code}:\n{err[-3000:]}"
        [summary] = [line for line in out.splitlines() if line.startswith("SUMMARY ")]
        return json.loads(summary.removeprefix("SUMMARY "))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                if process.stdin is not None:
                    process.stdin.close()  # the server's signal to stop
                else:
                    process.kill()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def _unsettled_sqlite(path: Path, namespace: str) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT key, state FROM ledger WHERE namespace = ? AND state != 'delivered'",
            (namespace,),
        ).fetchall()
    return {key.rsplit("|send|", 1)[1]: state for key, state in rows}


def _unsettled_redis(url: str, namespace: str) -> dict[str, str]:
    import redis

    found: dict[str, str] = {}
    with redis.Redis.from_url(url, decode_responses=True) as client:
        for key in client.scan_iter(match=f"{namespace}:send:*", count=1000):
            state = client.hget(key, "state")
            if state != "delivered":
                found[key.rsplit("|send|", 1)[1]] = str(state)
    return found


@pytest.mark.load
@pytest.mark.parametrize("kind", ["messages", "invitations"])
@pytest.mark.parametrize("store_kind", ["sqlite", "redis"])
def test_a_campaign_survives_a_killed_worker_exactly_once_and_within_limits(
    store_kind: str, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    namespace = f"crash-{uuid.uuid4().hex[:8]}"
    if store_kind == "sqlite":
        database = tmp_path / "x.db"
        store = f"sqlite:{database}"
        # Workers on both event loops: the store and the ledger are anyio through.
        backends = ["asyncio", "trio", "asyncio", "trio"]

        def unsettled() -> dict[str, str]:
            return _unsettled_sqlite(database, namespace)
    else:
        url = request.getfixturevalue("redis_server").url
        store = url
        backends = ["asyncio"] * 4  # RedisStore is asyncio only

        def unsettled() -> dict[str, str]:
            return _unsettled_redis(url, namespace)

    run = Campaign(tmp_path, store, namespace, backends, kind)
    began = time.monotonic()
    try:
        run.serve()
        victim = run.worker("victim", backends[0])
        others: list[subprocess.Popen[str]] = []

        # The others start once the victim's stall has begun (on a loaded machine they
        # could otherwise take every lead before it stalls); kill the victim once it
        # holds claims whose message reached the fake (stored, unanswered).
        deadline = time.monotonic() + 30
        while len(stalled := run.state()["stalled"]) < KILL_WHEN_STALLED:
            assert victim.poll() is None, (tmp_path / "victim.err").read_text()[-3000:]
            assert time.monotonic() < deadline, "the victim never got to send"
            if stalled and not others:
                others = [run.worker("w1", backends[1]), run.worker("w2", backends[2])]
            time.sleep(0.02)
        if not others:
            others = [run.worker("w1", backends[1]), run.worker("w2", backends[2])]
        victim.kill()  # SIGKILL: no cleanup, its claims stay pending
        assert victim.wait(timeout=10) == -9
        killed_at = time.monotonic() - began

        summaries = [
            run.finished(p, name, 40) for p, name in zip(others, ["w1", "w2"], strict=True)
        ]
        before = run.state()
        leftover = unsettled()  # the victim's claims, still pending

        final = run.worker("final", backends[3], mode="finish")
        summary = run.finished(final, "final", 40)
        after = run.state()
        left_after = unsettled()
    finally:
        run.stop()
    elapsed = time.monotonic() - began

    # -- every lead's message exactly once ---------------------------------------------
    sends = Counter((s["account"], s["text"]) for s in after["sends"])
    expected = {(campaign.account_of(n), campaign.label_of(kind, n)) for n in range(campaign.LEADS)}
    duplicates = sum(count - 1 for count in sends.values())
    missing = expected - set(sends)
    assert duplicates == 0, [k for k, c in sends.items() if c > 1]
    assert not missing, sorted(missing)
    assert set(sends) == expected
    # A second request for an invitation would reach the fake as a 400 already_invited.
    assert not [k for k in after["statuses"] if k.endswith(" 400")], after["statuses"]
    for send in after["sends"] if kind == "messages" else ():
        lead = int(send["key"].split(":lead:lead-")[1].split(":")[0])
        thread = campaign.thread_of(lead)
        assert send["new_conversation"] is (thread is None)
        if thread is not None:
            assert send["conversation"] == thread

    # -- never over any account's limit ------------------------------------------------
    assert after["limit"]["rejected"] == 0, after["limit"]
    assert after["statuses"].get("send 429", 0) == 0, after["statuses"]
    assert all(n <= campaign.ACCOUNT_LIMIT for n in after["max_in_window"].values()), after[
        "max_in_window"
    ]

    # -- the crash happened as intended, and the re-run settled it ----------------------
    stalled_keys = {key for _, key in before["stalled"]}
    stored_before = {s["key"] for s in before["sends"]}
    assert len(stalled_keys) >= KILL_WHEN_STALLED
    assert stalled_keys <= stored_before  # the victim's unanswered sends were stored...
    assert stalled_keys <= set(leftover)  # ...and it died holding their claims
    assert after["statuses"].get("send 500", 0) >= 1  # some sends were answered 500
    assert not left_after
    assert summary["unsettled"] == [] and "error" not in summary["tally"], summary
    for each in summaries:
        assert "error" not in each["tally"], each
    # The fresh run sent exactly the leftover claims whose message had not gone out,
    # and found (checked) the others.
    not_sent = {key for key in leftover if key not in stored_before}
    assert summary["tally"].get("ok", 0) == len(not_sent), (summary, leftover)
    assert summary["tally"].get("replayed", 0) == campaign.LEADS - len(not_sent)

    report = {
        "kind": kind,
        "store": store_kind,
        "seconds": round(elapsed, 1),
        "killed_after": round(killed_at, 1),
        "sends": len(after["sends"]),
        "duplicates": duplicates,
        "missing": len(missing),
        "429": after["statuses"].get("send 429", 0),
        "500_after_stored": after["statuses"].get("send 500", 0),
        "left_by_victim": len(leftover),
        "found_by_check": len(leftover) - len(not_sent),
        "sent_by_rerun": len(not_sent),
        "workers": [s["tally"] for s in summaries],
        "rerun": summary["tally"],
        "max_in_window": max(after["max_in_window"].values()),
    }
    print("CRASH", json.dumps(report))
