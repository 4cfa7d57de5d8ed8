"""Webhooks: events per second through `WebhookReceiver` over loopback, and parse CPU.

Two measurements, in one run:

1. **throughput**: the receiver (with the default in-memory store and a handler that
   counts) served by uvicorn in a child process; the parent POSTs pre-signed, distinct
   ``message.received`` bodies over keep-alive httpx connections from several workers
   for a fixed window. Every event is verified, parsed, claimed, handled and
   remembered; reported as handled events per second and p50/p99 latency. The same load
   against a bare ASGI app that reads the body and answers 200 gives the floor that
   uvicorn and the httpx client cost by themselves.
2. **CPU of parse_event**: µs per event for `parse_event` (HMAC-SHA256 over the raw body,
   constant-time compare, JSON decode, building the frozen `MessageReceived`) against
   the floor a hand-written receiver pays, bare ``hmac`` + ``compare_digest`` +
   ``json.loads``, on the same body. Target: at most 2x.

``python -m benchmarks.bench_webhooks [--quick]`` writes ``results/webhooks.json``;
``python -m benchmarks --only webhooks`` runs it as part of the suite.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import time
from typing import Any

from benchmarks._common import RESULTS_DIR, child_server, environment, write_results
from connectsafely.webhooks import WebhookReceiver, parse_event, sign

SECRET = "whsec_benchmark_secret_0123456789"


def body_for(n: int) -> bytes:
    """A realistic ``message.received`` body (about 800 bytes), unique per ``n``."""
    urn = f"urn:li:messagingMessage:2-MTc3MjAwMDAwMDAwMGFiY2QtM{n:012d}"
    document = {
        "event": "message.received",
        "object": "event",
        "data": {
            "id": urn,
            "message_urn": urn,
            "account_id": "696ce9e780e0483585e4e553",
            "provider": "LINKEDIN",
            "sender": {
                "id": "urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo",
                "name": "Jordan Lee",
                "profile_url": None,
                "profile_picture": "https://media.licdn.com/dms/image/v2/D4E03AQ/profile-photo",
            },
            "body": "Hey — saw your post about pipeline automation. Tuesday works for a call.",
            "timestamp": "2026-05-12T14:33:21.000Z",
            "conversation_id": (
                "urn:li:messagingThread:2-ODFkYjU4M2ItZDlmYS00YTVjLThlNTQtZjI5YTE4ZWUyZDk5XzEwMA=="
            ),
            "attachments": [],
        },
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


# -- CPU: parse_event against bare hmac + json.loads ------------------------------------------


def bare(body: bytes, signature: str, key: bytes) -> Any:
    """What a minimal hand-written receiver does: HMAC, compare, json.loads."""
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("bad signature")
    return json.loads(body)


def cpu(*, batches: int = 9, loops: int = 20_000) -> dict[str, Any]:
    body = body_for(1)
    signature = sign(body, SECRET)
    headers = {"Content-Type": "application/json", "X-Webhook-Signature": signature}
    key = SECRET.encode()

    def measure(work: Any) -> float:
        samples = []
        for _ in range(batches):
            started = time.process_time()
            for _ in range(loops):
                work()
            samples.append((time.process_time() - started) / loops * 1e6)
        return statistics.median(samples)

    bare_us = measure(lambda: bare(body, signature, key))
    parse_us = measure(lambda: parse_event(body, headers, SECRET))
    return {
        "body_bytes": len(body),
        "bare_hmac_json_us": bare_us,
        "parse_event_us": parse_us,
        "ratio_parse_to_bare": parse_us / bare_us,
    }


# -- throughput over loopback -----------------------------------------------------------------


async def _bare_app(scope: Any, receive: Any, send: Any) -> None:
    """The floor: read the whole body, answer 200 (no verification, no parsing)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})


def serve(kind: str) -> None:
    """Child process: serve a receiver (or the bare app) on 127.0.0.1 until stdin closes."""
    from connectsafely.testing import LoopbackServer

    handled = 0

    async def handler(event: Any) -> None:
        nonlocal handled
        handled += 1

    app = _bare_app if kind == "bare" else WebhookReceiver(SECRET, handler)
    with LoopbackServer(app) as server:
        print(f"ready {server.base_url}", flush=True)
        sys.stdin.read()


async def _load(base_url: str, concurrency: int, duration: float) -> dict[str, Any]:
    import anyio
    import httpx

    bodies = [body_for(n) for n in range(200_000)]
    signed = [(body, sign(body, SECRET)) for body in bodies]
    position = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        deadline = 0.0

        async def worker() -> None:
            nonlocal position
            while time.perf_counter() < deadline:
                body, signature = signed[position]
                position += 1
                started = time.perf_counter()
                response = await http.post(
                    "/",
                    content=body,
                    headers={"Content-Type": "application/json", "X-Webhook-Signature": signature},
                )
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        deadline = time.perf_counter() + 0.3  # warm-up: connections, caches
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
        latencies.clear()
        statuses.clear()
        started = time.perf_counter()
        deadline = started + duration
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
        elapsed = time.perf_counter() - started
    latencies.sort()
    handled = statuses.get(200, 0)
    return {
        "concurrency": concurrency,
        "duration_s": elapsed,
        "events_per_s": handled / elapsed,
        "statuses": statuses,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def throughput(*, concurrency: tuple[int, ...], duration: float) -> list[dict[str, Any]]:
    import anyio

    rows = []
    for kind in ("receiver", "bare"):
        with child_server("benchmarks.bench_webhooks", kind, ready="ready") as base_url:
            for level in concurrency:
                row = anyio.run(_load, base_url, level, duration)
                rows.append({"server": kind, **row})
    return rows


def run(*, quick: bool = False) -> dict[str, Any]:
    """Both measurements; the figures `python -m benchmarks` prints."""
    result = {
        "environment": environment(),
        "cpu": cpu(batches=5 if quick else 9, loops=5_000 if quick else 20_000),
        "loopback": throughput(
            concurrency=(1, 16) if quick else (1, 16, 64), duration=1.0 if quick else 3.0
        ),
    }
    write_results(RESULTS_DIR / "webhooks.json", result)
    return result


def report(result: dict[str, Any]) -> None:
    figures = result["cpu"]
    print("\n## webhooks: verified-and-parsed events\n")
    print("| server over loopback (uvicorn, own process) | c | events/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    names = {"receiver": "WebhookReceiver + MemoryStore", "bare": "bare ASGI app (floor)"}
    for row in result["loopback"]:
        print(
            f"| {names[row['server']]} | {row['concurrency']} | "
            f"{row['events_per_s']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |"
        )
    print(f"\nCPU per event ({figures['body_bytes']}-byte body), µs, median:")
    print(f"bare hmac + compare + json.loads:  {figures['bare_hmac_json_us']:.2f}")
    print(f"parse_event:                       {figures['parse_event_us']:.2f}")
    print(f"ratio parse_event / bare:          {figures['ratio_parse_to_bare']:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=("receiver", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return
    report(run(quick=args.quick))


if __name__ == "__main__":
    main()
