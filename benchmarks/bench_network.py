"""Issue 24's two costs: a connection request against a message send, and the
stop-on-reply guard.

    python -m benchmarks.bench_network                  # both groups, 5 repeats
    python -m benchmarks.bench_network --repeats 9 --server responder

Every figure is client CPU per call (``time.process_time`` of the measuring process)
against a server in another process (`_common.SERVERS`; by default the API under uvicorn,
with the real API's headers), one call at a time. Each measurement is a fresh
interpreter (``--child``) running one configuration: ``warmup`` calls, then ``calls``
measured ones.

- **ledger**: ``invitations.send(profile_urn=..., idempotency_key=K)`` against
  ``conversations.send(..., recipient_profile_urn=..., idempotency_key=K)``, both on a
  client with ``Limits.documented()``'s layers and a SQLite store (limits state and the
  send ledger), a fresh key per call, so each call is claimed and recorded in the
  ledger and counted in its window (weekly connection requests, daily new
  conversations). The two rates of `Limits.documented` (60 calls a minute per key, 15
  writes a minute per account) are raised so that no call waits (this measures CPU;
  waiting would only add wall time), and the calls rotate over `ACCOUNTS` accounts so
  none reaches its 90 a week. Target: invitation / message <= 1.1.
- **guard**: a reply into a conversation (``conversation_urn=``) with
  ``unless_replied_since=`` a moment after its newest message (the usual follow-up:
  no reply, so the guard reads one empty page and the message goes out), against the
  same reply without the guard, and against the reply plus one
  ``conversations.messages(urn, since=...)`` read of the same page, done by hand. The
  design says the guard's added cost is that one read. Target: guarded / (plain + read)
  <= 1.05; guarded / plain is reported.

Repeat by repeat, the configurations a ratio compares run back to back, order reversed
every other repeat; ratios are taken per repeat and decided as `_paired` explains
(median, min-max, PASS / MISS / UNDECIDED); a group left UNDECIDED gets more repeats,
doubling, up to ``--max-repeats``. Writes ``benchmarks/results/network.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio

import connectsafely
from benchmarks._api_data import API_KEY, NEWEST_MS, RECIPIENT, TEXT, conversation_urn
from benchmarks._common import RESULTS_DIR, ServerProcess, environment, pin, unpin, write_results
from benchmarks._paired import MIN_REPEATS, summarize

REPO = Path(__file__).resolve().parent.parent
ACCOUNTS = 8
THREAD = conversation_urn(200)
SINCE = datetime.fromtimestamp(NEWEST_MS / 1000, timezone.utc) + timedelta(seconds=1)
"""The guard's moment: after the conversation's newest message, so no reply is found."""

GROUPS: dict[str, tuple[str, ...]] = {
    "ledger": ("message", "invitation"),
    "guard": ("plain", "guarded", "plain + read"),
}
TARGETS: tuple[tuple[str, str, str, str, float], ...] = (
    (
        "invitations.send / conversations.send CPU, documented limits + SQLite, keyed",
        "invitation",
        "message",
        "<=",
        1.1,
    ),
    ("guarded send / (plain send + one messages read) CPU", "guarded", "plain + read", "<=", 1.05),
)
"""(target, numerator, denominator, op, limit)."""
REPORTED = (("guarded send / plain send CPU", "guarded", "plain"),)


def _limits() -> connectsafely.Limits:
    import attrs

    fast = connectsafely.RateLimit(1_000_000, per=1.0, burst=1_000_000)
    return attrs.evolve(connectsafely.Limits.documented(), key=fast, account_writes=fast)


async def _run(kind: str, base_url: str, calls: int, warmup: int) -> dict[str, Any]:
    """One configuration in this process: warm-up, then ``calls`` measured calls."""
    with tempfile.TemporaryDirectory(prefix="cs-bench-network-") as folder:
        options: dict[str, Any] = {}
        if kind in GROUPS["ledger"]:
            options = {"limits": _limits(), "store": f"sqlite:///{folder}/state.db"}
        async with connectsafely.AsyncClient(
            api_key=API_KEY, base_url=base_url, **options
        ) as client:
            conversations = client.conversations
            invitations = client.invitations
            count = 0

            async def one() -> None:
                nonlocal count
                count += 1
                account = f"bench-account-{count % ACCOUNTS}"
                if kind == "message":
                    await conversations.send(
                        TEXT,
                        recipient_profile_urn=RECIPIENT,
                        account_id=account,
                        idempotency_key=str(uuid.uuid4()),
                    )
                elif kind == "invitation":
                    await invitations.send(
                        profile_urn=RECIPIENT, account_id=account, idempotency_key=str(uuid.uuid4())
                    )
                elif kind == "plain":
                    await conversations.send(TEXT, conversation_urn=THREAD)
                elif kind == "guarded":
                    await conversations.send(
                        TEXT, conversation_urn=THREAD, unless_replied_since=SINCE
                    )
                else:  # plain + read
                    async for _ in conversations.messages(THREAD, since=SINCE, page_size=50):
                        pass
                    await conversations.send(TEXT, conversation_urn=THREAD)

            for _ in range(warmup):
                await one()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(calls):
                await one()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"kind": kind, "calls": calls, "cpu_us_per_call": cpu / calls * 1e6, "wall_s": wall}


def measure_in_child(kind: str, base_url: str, calls: int, warmup: int) -> dict[str, Any]:
    """`_run` in a fresh interpreter (this checkout's ``connectsafely``)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_network", "--child", kind, base_url,
         str(calls), str(warmup)],
        capture_output=True, text=True, check=False, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"network child {kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(
    *,
    server: str = "uvicorn",
    repeats: int = MIN_REPEATS,
    max_repeats: int = 20,
    calls: int = 300,
    warmup: int = 30,
    progress: Any = print,
) -> dict[str, Any]:
    """Measure both groups, repeat by repeat; a group whose target is UNDECIDED gets
    more repeats (doubling, up to ``max_repeats``). Returns the results."""
    runs: dict[str, list[dict[str, Any]]] = {k: [] for group in GROUPS.values() for k in group}

    def ratios(top: str, bottom: str) -> list[float]:
        return [
            a["cpu_us_per_call"] / b["cpu_us_per_call"]
            for a, b in zip(runs[top], runs[bottom], strict=True)
        ]

    def undecided(group: str) -> bool:
        return any(
            summarize(ratios(top, bottom), op, limit)["status"] == "UNDECIDED"
            for _, top, bottom, op, limit in TARGETS
            if top in GROUPS[group]
        )

    pinned = pin({0})
    try:
        with ServerProcess(server, cpu=1 if pinned else None) as process:
            for name, group in GROUPS.items():
                goal = repeats
                while len(runs[group[0]]) < goal:
                    repeat = len(runs[group[0]])
                    for kind in group[::-1] if repeat % 2 else group:
                        runs[kind].append(measure_in_child(kind, process.base_url, calls, warmup))
                    progress(
                        f"network: {name} repeat {repeat + 1}/{goal}: "
                        + ", ".join(f"{k} {runs[k][-1]['cpu_us_per_call']:.0f} µs" for k in group)
                    )
                    if len(runs[group[0]]) == goal and goal < max_repeats and undecided(name):
                        goal = min(2 * goal, max_repeats)
                        progress(f"network: {name} undecided: measuring up to {goal} repeats")
    finally:
        if pinned:
            unpin()

    targets = [
        {"target": name, "ratio": [top, bottom], **summarize(ratios(top, bottom), op, limit),
         "op": op, "limit": limit}
        for name, top, bottom, op, limit in TARGETS
    ]  # fmt: skip
    reported = [
        {"target": name, "ratio": [top, bottom], **summarize(ratios(top, bottom), "<=", 99.0)}
        for name, top, bottom in REPORTED
    ]
    cpu = {
        kind: summarize([r["cpu_us_per_call"] for r in values], "<=", float("inf"))
        for kind, values in runs.items()
    }
    return {
        "environment": environment(),
        "server": server,
        "pinned": pinned,
        "repeats": {kind: len(values) for kind, values in runs.items()},
        "calls": calls,
        "warmup": warmup,
        "accounts": ACCOUNTS,
        "runs": runs,
        "cpu_us_per_call": cpu,
        "targets": targets,
        "reported": reported,
    }


def report(result: dict[str, Any]) -> None:
    """Print the results as Markdown."""
    print(
        f"\n## network (issue 24): client CPU per call, {result['server']}, "
        f"interleaved repeats of {result['calls']} calls\n"
    )
    print("| configuration | repeats | µs per call, median [min-max] |")
    print("|---|---:|---:|")
    for kind, figures in result["cpu_us_per_call"].items():
        print(
            f"| {kind} | {figures['repeats']} | {figures['median']:,.0f} "
            f"[{figures['min']:,.0f}-{figures['max']:,.0f}] |"
        )
    print()
    for row in result["targets"] + result["reported"]:
        verdict = f" (target {row['op']} {row['limit']:g}: {row['status']})" if "op" in row else ""
        print(
            f"- {row['target']}: median {row['median']:.3f} "
            f"[{row['min']:.3f}-{row['max']:.3f}]{verdict}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=MIN_REPEATS)
    parser.add_argument("--max-repeats", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--server", choices=["responder", "uvicorn"], default="uvicorn")
    args = parser.parse_args(argv)
    result = run(
        server=args.server,
        repeats=args.repeats,
        max_repeats=args.max_repeats,
        calls=args.calls,
        warmup=args.warmup,
    )
    report(result)
    write_results(RESULTS_DIR / "network.json", result)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _kind, _url, _calls, _warmup = sys.argv[2:6]
        print(json.dumps(anyio.run(_run, _kind, _url, int(_calls), int(_warmup))))
    else:
        main()
