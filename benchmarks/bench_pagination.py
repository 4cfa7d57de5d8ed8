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
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio

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


async def measure(base_url: str, urn: str, expected: int, page_size: int | None) -> dict[str, Any]:
    """One untraced walk (speed) and one traced walk (memory) on the current backend."""
    async with connectsafely.AsyncClient(
        api_key=API_KEY, base_url=base_url, max_retries=0
    ) as client:
        # Warm up: open the connection and import everything before any baseline.
        await anext(client.conversations.messages(urn, page_size=page_size).pages())

        started = time.perf_counter()
        count = await walk(client, urn, page_size)
        seconds = time.perf_counter() - started
        assert count == expected, (count, expected)

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
        "messages": expected,
        "pages": pages,
        "seconds": round(seconds, 3),
        "messages_per_s": round(expected / seconds),
        "ms_per_page": round(seconds / pages * 1000, 3),
        "peak_traced_kb": round((peak - baseline) / _KB, 1),
        "retained_after_walk_kb": round((after - baseline) / _KB, 1),
        "traced_walk_seconds": round(traced_seconds, 3),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    sizes = sorted(args.messages)
    results: dict[str, Any] = {
        "benchmark": (
            "async for over conversations.messages(urn) over loopback, "
            "fake served in a separate process"
        ),
        "page_size": args.page_size or 50,
        **environment(),
        "backends": {},
    }
    with server_process(sizes) as (base_url, urns):
        for backend in backends:
            runs = []
            for size, urn in zip(sizes, urns, strict=True):
                outcome = anyio.run(measure, base_url, urn, size, args.page_size, backend=backend)
                runs.append(outcome)
                print(
                    f"{backend:<8} {size:>7} messages: {outcome['messages_per_s']:>8} msg/s "
                    f"({outcome['ms_per_page']} ms/page), peak traced "
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
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--page-size", type=int, default=None, help="default: the server's 50")
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
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
