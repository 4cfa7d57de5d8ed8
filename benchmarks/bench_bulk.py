"""``send_many`` against a hand-written anyio semaphore loop over the same SDK.

Both variants send the same N replies (``SendRequest(text, conversation_urn=...)``, so
``send_many`` takes its duplicate-safe path) through one `AsyncClient` at the same
concurrency, to `FakeConnectSafely` served on a loopback port by a SEPARATE process (so
the server's CPU does not compete with the client under one GIL). The baseline is what
a careful user would write by hand::

    async with anyio.create_task_group() as group:
        for request in requests:
            await limiter.acquire()
            group.start_soon(one, request)     # one() sends, records, releases

Runs alternate (baseline, send_many, baseline, ...) and the median items/s of each is
reported, with the ratio. ``python -m benchmarks.bench_bulk [--items 10000]
[--concurrency 64] [--repeats 3] [--backend asyncio|trio]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio

import connectsafely
from benchmarks._common import child_server, enable_nodelay
from connectsafely import SendRequest

# -- the server process -------------------------------------------------------------------


def serve(conversations: int) -> None:
    """Create the conversations, serve the fake, print ``READY <port> <urns>``; stop on EOF."""
    from connectsafely.testing import FakeConnectSafely

    fake = FakeConnectSafely()
    urns = [fake.add_conversation(recipient_profile_id=f"p-{i}").urn for i in range(conversations)]
    with fake.serve() as server:
        # Without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms to each response.
        enable_nodelay(server)
        print("READY", server.port, json.dumps(urns), flush=True)
        sys.stdin.read()


@contextmanager
def server_process(conversations: int) -> Iterator[tuple[str, list[str]]]:
    """The fake in its own process on 127.0.0.1; entering gives ``(base_url, urns)``."""
    with child_server("benchmarks.bench_bulk", str(conversations), ready="READY") as line:
        port, urns = line.split(" ", 1)
        yield f"http://127.0.0.1:{port}", json.loads(urns)


# -- the two variants ---------------------------------------------------------------------


async def with_send_many(
    client: connectsafely.AsyncClient, requests: list[SendRequest], concurrency: int
) -> int:
    ok = 0
    async with client.conversations.send_many(requests, concurrency=concurrency) as outcomes:
        async for outcome in outcomes:
            ok += outcome.ok
    return ok


async def with_semaphore_loop(
    client: connectsafely.AsyncClient, requests: list[SendRequest], concurrency: int
) -> int:
    limiter = anyio.CapacityLimiter(concurrency)
    results: list[Any] = []
    send = client.conversations.send

    async def one(request: SendRequest) -> None:
        try:
            results.append(await send(request.message, conversation_urn=request.conversation_urn))
        except Exception as exc:  # same contract as send_many: one failure stops nothing
            results.append(exc)
        finally:
            limiter.release_on_behalf_of(request)

    async with anyio.create_task_group() as group:
        for request in requests:
            await limiter.acquire_on_behalf_of(request)
            group.start_soon(one, request)
    return sum(not isinstance(r, Exception) for r in results)


async def timed(
    variant: Any, base_url: str, requests: list[SendRequest], concurrency: int
) -> float:
    async with connectsafely.AsyncClient(api_key="cs_test_fake_key", base_url=base_url) as client:
        await variant(client, requests[: concurrency * 2], concurrency)  # warm the pool
        started = time.perf_counter()
        ok = await variant(client, requests, concurrency)
        elapsed = time.perf_counter() - started
    if ok != len(requests):
        raise RuntimeError(f"{variant.__name__}: only {ok} of {len(requests)} succeeded")
    return len(requests) / elapsed


def run(args: argparse.Namespace) -> dict[str, Any]:
    conversations = min(args.items, 2000)
    with server_process(conversations) as (base_url, urns):
        requests = [
            SendRequest(f"Hello #{i}", conversation_urn=urns[i % len(urns)])
            for i in range(args.items)
        ]
        rates: dict[str, list[float]] = {"semaphore_loop": [], "send_many": []}
        for _ in range(args.repeats):
            for name, variant in (
                ("semaphore_loop", with_semaphore_loop),
                ("send_many", with_send_many),
            ):
                rate = anyio.run(
                    timed, variant, base_url, requests, args.concurrency, backend=args.backend
                )
                rates[name].append(rate)
    baseline = statistics.median(rates["semaphore_loop"])
    bulk = statistics.median(rates["send_many"])
    return {
        "items": args.items,
        "concurrency": args.concurrency,
        "backend": args.backend,
        "repeats": args.repeats,
        "items_per_s": {"semaphore_loop": round(baseline, 1), "send_many": round(bulk, 1)},
        "runs": {k: [round(v, 1) for v in vs] for k, vs in rates.items()},
        "ratio": round(bulk / baseline, 3),
        "server": "FakeConnectSafely on loopback (uvicorn), separate process",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return
    result = run(args)
    print(json.dumps(result, indent=2))
    print(
        f"send_many: {result['items_per_s']['send_many']} items/s, hand-written loop: "
        f"{result['items_per_s']['semaphore_loop']} items/s -> ratio {result['ratio']:.3f}"
    )


if __name__ == "__main__":
    main()
