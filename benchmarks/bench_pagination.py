"""Pagination benchmark: messages/s and client memory while walking 100,000 messages.

    python -m benchmarks.bench_pagination                      # 10k and 100k, asyncio and trio
    python -m benchmarks.bench_pagination --server uvicorn --messages 100000 --backend asyncio

The API runs in a SEPARATE process (``--server``: the canned responder, or the API under
uvicorn with a real API's headers; see `_common.SERVERS`), pinned to the second core
when there are two, the walks to the first. Both serve the synthetic conversation of
`_api_data` whose URN names its size (50 messages a page, timestamp cursors), so a
walk needs no set-up and its server never counts against the client.

Each walk runs in a fresh interpreter (``--child``): the SDK walks with
``async for message in client.conversations.messages(urn)`` (full models); raw httpx
follows the cursor and parses each page with ``response.json()``, no models. Both check
every message arrives in order (strictly older each time) without remembering them.
The walks alternate repeat by repeat (raw, SDK, then SDK, raw; with ``--baseline`` the
code before walks right after the SDK), the ratio of messages/s is taken per repeat, and
while the 1.2x target is UNDECIDED (see `_paired`) more repeats are added, doubling, up
to ``--max-repeats``.

One more SDK walk runs under `tracemalloc` for the peak of Python allocations above the
baseline taken after a warm-up page: a walk holds about one page, whatever its length,
so the peak for 100,000 messages should match the peak for 10,000.

Results are printed and written to ``benchmarks/results/pagination[-<server>].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio
import httpx

import connectsafely
from benchmarks._api_data import API_KEY, conversation_urn
from benchmarks._common import (
    RESULTS_DIR,
    ServerProcess,
    environment,
    pin,
    strip_paths,
    write_results,
)
from benchmarks._paired import MIN_REPEATS, summarize
from benchmarks.targets import NOT_SLOWER, WALK_TARGET

_KB = 1024
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def results_path(server: str) -> Any:
    """Where a run against ``server`` writes its results."""
    return RESULTS_DIR / f"pagination-{server}.json"


# -- measuring (in the child) -------------------------------------------------------------


async def walk(client: connectsafely.AsyncClient, urn: str, page_size: int | None) -> int:
    """Iterate every message; check order in O(1) memory; return how many arrived."""
    count = 0
    previous = None
    async for message in client.conversations.messages(urn, page_size=page_size):
        assert message.sent_at is not None
        assert previous is None or message.sent_at < previous, "out of order or repeated"
        previous = message.sent_at
        count += 1
    return count


async def raw_walk(http: httpx.AsyncClient, url: str, page_size: int | None) -> int:
    """The floor: hand-written httpx that only calls ``response.json()`` per page.

    Follows ``cursor`` while ``hasMore``, and checks the order of ``sentAt`` (epoch ms)
    like `walk` does, without building any model.
    """
    count = 0
    previous = None
    params: dict[str, str] = {} if page_size is None else {"count": str(page_size)}
    while True:
        response = await http.get(url, params=params)
        response.raise_for_status()
        body = response.json()
        for message in body["messages"]:
            sent_at = message["sentAt"]
            assert previous is None or sent_at < previous, "out of order or repeated"
            previous = sent_at
            count += 1
        cursor = body.get("cursor")
        if not body["messages"] or not body.get("hasMore") or not cursor:
            return count
        params = {**params, "cursor": cursor}


async def measure_raw(
    base_url: str, urn: str, expected: int, page_size: int | None
) -> dict[str, Any]:
    """The same walk by raw httpx (wall time and CPU), for the ratio."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}
    url = f"{base_url}/linkedin/conversations/{quote(urn, safe='')}/messages"
    async with httpx.AsyncClient(headers=headers) as http:
        await http.get(url, params={"count": "1"})  # warm-up: open the connection
        started, cpu = time.perf_counter(), time.process_time()
        count = await raw_walk(http, url, page_size)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert count == expected, (count, expected)
    return _speed(expected, seconds, cpu)


def _speed(messages: int, seconds: float, cpu: float) -> dict[str, Any]:
    return {
        "messages": messages,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "messages_per_s": round(messages / seconds),
        "cpu_us_per_message": round(cpu / messages * 1e6, 3),
    }


async def measure(
    base_url: str, urn: str, expected: int, page_size: int | None, *, traced: bool = True
) -> dict[str, Any]:
    """One untraced walk (speed) and one traced walk (memory) on the current backend."""
    async with connectsafely.AsyncClient(
        api_key=API_KEY, base_url=base_url, max_retries=0
    ) as client:
        # Warm up: open the connection and import everything before any baseline.
        await anext(client.conversations.messages(urn, page_size=page_size).pages())

        started, cpu = time.perf_counter(), time.process_time()
        count = await walk(client, urn, page_size)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert count == expected, (count, expected)
        if not traced:
            return _speed(expected, seconds, cpu)

        tracemalloc.start()
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        traced_started = time.perf_counter()
        count = await walk(client, urn, page_size)
        traced_seconds = time.perf_counter() - traced_started
        after, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == expected, (count, expected)
    pages = -(-expected // (page_size or 50))
    return {
        **_speed(expected, seconds, cpu),
        "pages": pages,
        "ms_per_page": round(seconds / pages * 1000, 3),
        "peak_traced_kb": round((peak - baseline) / _KB, 1),
        "retained_after_walk_kb": round((after - baseline) / _KB, 1),
        "traced_walk_seconds": round(traced_seconds, 3),
    }


async def profiled(base_url: str, urn: str, page_size: int | None, top: int) -> str:
    """cProfile of one SDK walk (after a warm-up page): the top entries by own time."""
    import cProfile
    import io
    import pstats

    async with connectsafely.AsyncClient(
        api_key=API_KEY, base_url=base_url, max_retries=0
    ) as client:
        await anext(client.conversations.messages(urn, page_size=page_size).pages())
        profile = cProfile.Profile()
        profile.enable()
        await walk(client, urn, page_size)
        profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return strip_paths(out.getvalue())


def measure_in_child(
    kind: str,
    base_url: str,
    size: int,
    page_size: int | None,
    *,
    traced: bool = False,
    backend: str = "asyncio",
    pythonpath: str | None = None,
) -> dict[str, Any]:
    """One walk (``kind``: ``sdk`` or ``raw``) in a fresh interpreter, with the
    ``connectsafely`` found first on ``pythonpath`` (the code before a change) or this
    checkout's; it inherits this process's CPU affinity."""
    path = pythonpath or REPO
    env = {**os.environ, "PYTHONPATH": path}
    argv = [kind, base_url, str(size), str(page_size or 0), "1" if traced else "0", backend]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pagination", "--child", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=path.split(os.pathsep, maxsplit=1)[0],  # `-m` puts the working directory first
    )
    if done.returncode != 0:
        raise RuntimeError(f"walk child {kind} {size} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _child(argv: list[str]) -> None:
    kind, url, size, page_size, traced, backend = argv[:6]
    urn = conversation_urn(int(size))
    if kind == "raw":
        outcome = anyio.run(
            measure_raw, url, urn, int(size), int(page_size) or None, backend=backend
        )
    else:
        outcome = anyio.run(
            partial(measure, traced=traced == "1"),
            url,
            urn,
            int(size),
            int(page_size) or None,
            backend=backend,
        )
    print(json.dumps(outcome))


# -- the run (in the parent) --------------------------------------------------------------


class Walks:
    """The walks of one size on one backend, repeat by repeat, order alternating."""

    def __init__(self, args: argparse.Namespace, base_url: str, size: int, backend: str) -> None:
        self.args = args
        self.base_url = base_url
        self.size = size
        self.backend = backend
        self.kinds = ["raw", "sdk"]
        if args.baseline and backend == "asyncio":
            self.kinds.append("before")
        self.runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in self.kinds}

    def repeat(self) -> None:
        """One more walk of each kind, back to back (reversed every other repeat)."""
        order = self.kinds if len(self.runs["raw"]) % 2 == 0 else self.kinds[::-1]
        for kind in order:
            self.runs[kind].append(
                measure_in_child(
                    "raw" if kind == "raw" else "sdk",
                    self.base_url,
                    self.size,
                    self.args.page_size,
                    backend=self.backend,
                    pythonpath=self.args.baseline if kind == "before" else None,
                )
            )

    def ratios(self, top: str, bottom: str, key: str = "messages_per_s") -> list[float]:
        """``top / bottom`` of ``key``, repeat by repeat."""
        return [a[key] / b[key] for a, b in zip(self.runs[top], self.runs[bottom], strict=True)]

    def undecided(self) -> bool:
        """Whether a target of these walks is still UNDECIDED."""
        op, limit = WALK_TARGET
        if summarize(self.ratios("sdk", "raw"), op, limit)["status"] == "UNDECIDED":
            return True
        return "before" in self.runs and (
            summarize(self.ratios("sdk", "before"), ">=", 1 / NOT_SLOWER)["status"] == "UNDECIDED"
        )

    def measure(self) -> None:
        """The first repeats, then doubling while undecided, up to the cap."""
        for _ in range(self.args.repeats):
            self.repeat()
        while self.undecided() and len(self.runs["raw"]) < self.args.max_repeats:
            target = min(2 * len(self.runs["raw"]), self.args.max_repeats)
            print(f"{self.backend} {self.size}: undecided, walking to {target} repeats")
            while len(self.runs["raw"]) < target:
                self.repeat()


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = sorted(r[key] for r in runs)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _outcome(walks: Walks, memory: dict[str, Any]) -> dict[str, Any]:
    runs = walks.runs
    ratios = walks.ratios("sdk", "raw")
    outcome = {
        **memory,
        "messages_per_s": _median(runs["sdk"], "messages_per_s"),
        "cpu_us_per_message": _median(runs["sdk"], "cpu_us_per_message"),
        "raw_httpx_messages_per_s": _median(runs["raw"], "messages_per_s"),
        "raw_httpx_cpu_us_per_message": _median(runs["raw"], "cpu_us_per_message"),
        "ratios_messages_per_s": ratios,
        "ratios_cpu": walks.ratios("sdk", "raw", "cpu_us_per_message"),
        "sdk_runs": runs["sdk"],
        "raw_runs": runs["raw"],
    }
    outcome["ratio_messages_per_s"] = summarize(ratios, *WALK_TARGET)["median"]
    outcome["ratio_cpu"] = summarize(outcome["ratios_cpu"], "<=", 1.0)["median"]
    if "before" in runs:
        outcome["before"] = {
            "messages_per_s": _median(runs["before"], "messages_per_s"),
            "cpu_us_per_message": _median(runs["before"], "cpu_us_per_message"),
            "ratios_now_before": walks.ratios("sdk", "before"),
            "runs": runs["before"],
        }
    return outcome


def _report(backend: str, size: int, outcome: dict[str, Any]) -> None:
    spread = summarize(outcome["ratios_messages_per_s"], *WALK_TARGET)
    print(
        f"{backend:<8} {size:>7} messages: sdk {outcome['messages_per_s']:>8,.0f} msg/s "
        f"({outcome['cpu_us_per_message']:.2f} µs CPU/msg), raw httpx "
        f"{outcome['raw_httpx_messages_per_s']:>8,.0f} msg/s "
        f"({outcome['raw_httpx_cpu_us_per_message']:.2f} µs CPU/msg): "
        f"x{spread['median']:.2f} msg/s ({spread['min']:.2f}-{spread['max']:.2f}, "
        f"{spread['repeats']} repeats: {spread['status']}), x{outcome['ratio_cpu']:.2f} CPU; "
        f"peak traced {outcome['peak_traced_kb']} KiB"
    )
    if "before" in outcome:
        before = summarize(outcome["before"]["ratios_now_before"], ">=", 1 / NOT_SLOWER)
        print(
            f"{backend:<8} {size:>7} messages, now / before msg/s: x{before['median']:.2f} "
            f"({before['min']:.2f}-{before['max']:.2f}: {before['status']})"
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    sizes = sorted(args.messages)
    results: dict[str, Any] = {
        "benchmark": (
            "async for over conversations.messages(urn) over loopback, against raw httpx "
            "calling response.json() per page; each walk in its own process, the server "
            "in another"
        ),
        "server": args.server,
        "page_size": args.page_size or 50,
        "repeats": args.repeats,
        **environment(),
        "backends": {},
    }
    pinned = pin({0})
    with ServerProcess(args.server, cpu=1 if pinned else None) as server:
        base_url = server.base_url
        for backend in backends:
            runs = []
            for size in sizes:
                walks = Walks(args, base_url, size, backend)
                walks.measure()
                memory = measure_in_child(
                    "sdk", base_url, size, args.page_size, traced=True, backend=backend
                )
                outcome = _outcome(walks, memory)
                runs.append(outcome)
                _report(backend, size, outcome)
            results["backends"][backend] = runs
            if len(runs) > 1:
                growth = runs[-1]["peak_traced_kb"] / max(runs[0]["peak_traced_kb"], 1.0)
                print(
                    f"{backend:<8} peak memory x{growth:.2f} for "
                    f"{sizes[-1] // sizes[0]}x the messages"
                )
        if args.profile:
            text = anyio.run(
                profiled,
                base_url,
                conversation_urn(sizes[-1]),
                args.page_size,
                args.profile,
                backend=backends[0],
            )
            results["profile"] = text
            print(f"\ncProfile of one SDK walk of {sizes[-1]} messages ({backends[0]}):")
            print(text)
    return results


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--page-size", type=int, default=None, help="default: the server's 50")
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--server", choices=["responder", "uvicorn"], default="uvicorn")
    parser.add_argument(
        "--repeats", type=int, default=MIN_REPEATS, help="walks per client, alternated"
    )
    parser.add_argument(
        "--max-repeats", type=int, default=20, help="cap when a target stays undecided"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile one walk, print top N"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="PYTHONPATH",
        help="also walk with the connectsafely found first on this path (asyncio)",
    )
    args = parser.parse_args(argv)
    results = run(args)
    path = results_path(args.server)
    write_results(path, results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
