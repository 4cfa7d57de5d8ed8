"""Pagination benchmark: messages/s and client memory while walking 100,000 messages.

    python -m benchmarks.bench_pagination                      # 10k and 100k, asyncio and trio
    python -m benchmarks.bench_pagination --messages 100000 --backend trio --page-size 100

The fake API runs in a SEPARATE process (``--serve``): it seeds one conversation per
requested size with `FakeConnectSafely.seed_messages`, serves them with ``fake.serve()``
on a loopback port, and its storage never counts against the client. The client walks
each conversation with ``async for message in client.conversations.messages(urn)``:

- an untraced walk gives wall time -> messages/s;
- a second walk under `tracemalloc` gives the peak of Python allocations above the
  baseline taken after a warm-up page (connection open, modules imported).

The contract is that a walk holds about one page in memory, whatever its length: the
peak for 100,000 messages should match the peak for 10,000. The walk checks every
message arrives in order (strictly older each time) without remembering them.

Results are printed and written to ``benchmarks/results/pagination.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio
import httpx

import connectsafely
from benchmarks._common import (
    RESULTS_DIR,
    child_server,
    enable_nodelay,
    environment,
    write_results,
)

RESULTS = RESULTS_DIR / "pagination.json"
API_KEY = "cs_test_fake_key"  # FakeConnectSafely's default key
_KB = 1024


# -- the server process -------------------------------------------------------------------


def serve(sizes: list[int]) -> None:
    """Seed one conversation per size, serve, print ``READY <port> <urn>...``; stop on EOF."""
    from connectsafely.testing import FakeConnectSafely

    fake = FakeConnectSafely(api_key=API_KEY)
    urns = []
    for size in sizes:
        conversation = fake.add_conversation(recipient_profile_id=f"bench-{size}")
        fake.seed_messages(conversation, size, step_ms=1000)
        urns.append(conversation.urn)

    with fake.serve() as server:
        enable_nodelay(server)
        print("READY", server.port, *(json.dumps(u) for u in urns), flush=True)
        sys.stdin.read()
        print(f"served {len(fake.requests)} requests", file=sys.stderr)


@contextmanager
def server_process(sizes: list[int]) -> Iterator[tuple[str, list[str]]]:
    """The fake in a child process; entering gives ``(base_url, [urn per size])``."""
    messages = ["--messages", *map(str, sizes)]
    with child_server("benchmarks.bench_pagination", *messages, ready="READY") as line:
        port, *urns = line.split(" ")
        yield f"http://127.0.0.1:{int(port)}", [json.loads(u) for u in urns]


# -- measuring ----------------------------------------------------------------------------


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
    return _strip_paths(out.getvalue())


def _strip_paths(text: str) -> str:
    """Shorten site-packages and checkout paths in a pstats listing."""
    import re

    text = re.sub(r"\S*/site-packages/", "", text)
    text = re.sub(r"\S*/(connectsafely|benchmarks)/", r"\1/", text)
    return text.split("\n", 3)[-1] if text.startswith("\n") else text


def measure_in_child(
    base_url: str, urn: str, size: int, page_size: int | None, pythonpath: str, *, traced: bool
) -> dict[str, Any]:
    """`measure` with ``connectsafely`` imported from ``pythonpath`` (the code before a
    change), in a fresh interpreter, against the same server."""
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": pythonpath}
    argv = [base_url, urn, str(size), str(page_size or 0), "1" if traced else "0"]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pagination", "--child", *argv],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=pythonpath.split(os.pathsep, maxsplit=1)[0],  # `-m` puts the working directory first
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(args: argparse.Namespace) -> dict[str, Any]:
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    sizes = sorted(args.messages)
    results: dict[str, Any] = {
        "benchmark": (
            "async for over conversations.messages(urn) over loopback, against raw httpx "
            "calling response.json() per page; fake served in a separate process"
        ),
        "page_size": args.page_size or 50,
        "repeats": args.repeats,
        **environment(),
        "backends": {},
    }
    with server_process(sizes) as (base_url, urns):
        for backend in backends:
            runs = []
            for size, urn in zip(sizes, urns, strict=True):
                # Alternate raw and SDK walks so background load hits both alike.
                raw_runs, sdk_runs, before_runs = [], [], []
                for _ in range(args.repeats):
                    if args.baseline and backend == "asyncio":
                        before_runs.append(
                            measure_in_child(
                                base_url, urn, size, args.page_size, args.baseline, traced=False
                            )
                        )
                    raw_runs.append(
                        anyio.run(measure_raw, base_url, urn, size, args.page_size, backend=backend)
                    )
                    sdk_runs.append(
                        anyio.run(
                            partial(measure, traced=False),
                            base_url,
                            urn,
                            size,
                            args.page_size,
                            backend=backend,
                        )
                    )
                memory = anyio.run(measure, base_url, urn, size, args.page_size, backend=backend)
                outcome = {
                    **memory,
                    "messages_per_s": statistics.median(r["messages_per_s"] for r in sdk_runs),
                    "cpu_us_per_message": statistics.median(
                        r["cpu_us_per_message"] for r in sdk_runs
                    ),
                    "raw_httpx_messages_per_s": statistics.median(
                        r["messages_per_s"] for r in raw_runs
                    ),
                    "raw_httpx_cpu_us_per_message": statistics.median(
                        r["cpu_us_per_message"] for r in raw_runs
                    ),
                    "sdk_runs": sdk_runs,
                    "raw_runs": raw_runs,
                }
                if before_runs:
                    before_memory = measure_in_child(
                        base_url, urn, size, args.page_size, args.baseline, traced=True
                    )
                    outcome["before"] = {
                        "messages_per_s": statistics.median(
                            r["messages_per_s"] for r in before_runs
                        ),
                        "cpu_us_per_message": statistics.median(
                            r["cpu_us_per_message"] for r in before_runs
                        ),
                        "peak_traced_kb": before_memory["peak_traced_kb"],
                        "runs": before_runs,
                    }
                    outcome["before"]["ratio_messages_per_s"] = (
                        outcome["before"]["messages_per_s"] / outcome["raw_httpx_messages_per_s"]
                    )
                    print(
                        f"{backend:<8} {size:>7} messages, code before: "
                        f"{outcome['before']['messages_per_s']:>8} msg/s "
                        f"({outcome['before']['cpu_us_per_message']:.2f} µs CPU/msg), x"
                        f"{outcome['before']['ratio_messages_per_s']:.2f} raw httpx; peak "
                        f"traced {before_memory['peak_traced_kb']} KiB"
                    )
                outcome["ratio_messages_per_s"] = (
                    outcome["messages_per_s"] / outcome["raw_httpx_messages_per_s"]
                )
                outcome["ratio_cpu"] = (
                    outcome["cpu_us_per_message"] / outcome["raw_httpx_cpu_us_per_message"]
                )
                runs.append(outcome)
                print(
                    f"{backend:<8} {size:>7} messages: sdk {outcome['messages_per_s']:>8} msg/s "
                    f"({outcome['cpu_us_per_message']:.2f} µs CPU/msg), raw httpx "
                    f"{outcome['raw_httpx_messages_per_s']:>8} msg/s "
                    f"({outcome['raw_httpx_cpu_us_per_message']:.2f} µs CPU/msg): "
                    f"x{outcome['ratio_messages_per_s']:.2f} msg/s, "
                    f"x{outcome['ratio_cpu']:.2f} CPU; peak traced "
                    f"{outcome['peak_traced_kb']} KiB, retained "
                    f"{outcome['retained_after_walk_kb']} KiB"
                )
            results["backends"][backend] = runs
            if len(runs) > 1:
                growth = runs[-1]["peak_traced_kb"] / max(runs[0]["peak_traced_kb"], 1.0)
                print(
                    f"{backend:<8} peak memory x{growth:.2f} for "
                    f"{sizes[-1] // sizes[0]}x the messages"
                )
        if args.profile:
            text = anyio.run(
                profiled, base_url, urns[-1], args.page_size, args.profile, backend=backends[0]
            )
            results["profile"] = text
            print(f"\ncProfile of one SDK walk of {sizes[-1]} messages ({backends[0]}):")
            print(text)
    return results


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        url, urn, size, page_size, traced = argv[1:6]
        outcome = anyio.run(
            partial(measure, traced=traced == "1"), url, urn, int(size), int(page_size) or None
        )
        print(json.dumps(outcome))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--page-size", type=int, default=None, help="default: the server's 50")
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=3, help="walks per client, alternated")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile one walk, print top N"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="PYTHONPATH",
        help="also walk with the connectsafely found first on this path (asyncio)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.messages)
        return
    results = run(args)
    write_results(RESULTS, results)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
