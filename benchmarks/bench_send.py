"""``send`` under load: the SDK against hand-written httpx and aiohttp calls.

Every client sends the same request (same JSON body, ``Authorization``, a fresh
``Idempotency-Key`` per call) to the same canned responder running in another process,
and decodes the JSON answer. Client CPU per call is this process's CPU time (user +
system, all threads) divided by the calls completed, so the server's work is excluded.

Method: for each (client, concurrency) a fresh client runs ``concurrency`` workers in a
closed loop. After a warm-up (at least one call per worker, so every connection is open
and the pipeline is in steady state) one window of ``duration`` seconds is measured:
calls completed in the window, CPU spent in it, latencies of those calls. The whole
grid is repeated ``repeats`` times, interleaved, so background noise hits every client
alike; the median of the repeats is reported.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import httpx

import connectsafely

API_KEY = "csk_benchmark_0123456789abcdef0123456789abcdef"
RECIPIENT = "urn:li:fsd_profile:ACoAABenchmarkRecipient0000000"
TEXT = "Hello! Quick question about your work."
BODY = {"message": TEXT, "recipientProfileUrn": RECIPIENT, "messagingChannel": "auto"}
PATH = "/linkedin/conversations/send"
WARMUP_CAP = 3.0

Call = Callable[[], Awaitable[Any]]
Factory = Callable[[AsyncExitStack, str, int], Awaitable[Call]]


def _raw_headers() -> dict[str, str]:
    return {
        "Accept": "application/json",
        "User-Agent": "bench/raw",
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": "application/json",
    }


async def sdk_default(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """`AsyncClient` with its default transport and pool limits."""
    client = await stack.enter_async_context(
        connectsafely.AsyncClient(api_key=API_KEY, base_url=base_url)
    )
    send = client.conversations.send

    async def call() -> Any:
        return await send(TEXT, recipient_profile_urn=RECIPIENT)

    return call


async def sdk_aiohttp(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """`AsyncClient(http_client=AioHttpClient())`."""
    client = await stack.enter_async_context(
        connectsafely.AsyncClient(
            api_key=API_KEY, base_url=base_url, http_client=connectsafely.AioHttpClient()
        )
    )
    send = client.conversations.send

    async def call() -> Any:
        return await send(TEXT, recipient_profile_urn=RECIPIENT)

    return call


async def sdk_limits_store(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """`AsyncClient` with limits on every layer (set high enough never to wait) and a
    SQLite store for the limits' state and the send ledger; every send carries its own
    idempotency key, so it goes through the ledger (claim, then deliver)."""
    import tempfile

    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="cs-bench-store-"))
    fast = connectsafely.RateLimit(1_000_000, per=1.0, burst=1_000_000)
    limits = connectsafely.Limits(
        key=fast, account_writes=fast, daily_new_conversations=1_000_000_000
    )
    client = await stack.enter_async_context(
        connectsafely.AsyncClient(
            api_key=API_KEY,
            base_url=base_url,
            limits=limits,
            store=f"sqlite:///{folder}/state.db",
        )
    )
    send = client.conversations.send

    async def call() -> Any:
        return await send(TEXT, recipient_profile_urn=RECIPIENT, idempotency_key=str(uuid.uuid4()))

    return call


def _httpx_call(client: httpx.AsyncClient, url: str) -> Call:
    headers = _raw_headers()

    async def call() -> Any:
        content = json.dumps(BODY, separators=(",", ":")).encode()
        response = await client.post(
            url, content=content, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        response.raise_for_status()
        return json.loads(response.content)

    return call


async def httpx_default_pool(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """Raw `httpx.AsyncClient()` with httpx's default limits (100 connections)."""
    client = await stack.enter_async_context(httpx.AsyncClient())
    return _httpx_call(client, base_url + PATH)


async def httpx_256(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """Raw httpx allowed 256 connections (enough for every worker)."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    client = await stack.enter_async_context(httpx.AsyncClient(limits=limits))
    return _httpx_call(client, base_url + PATH)


async def httpx_aiohttp(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """Raw httpx over the ``httpx-aiohttp`` transport, 256 connections."""
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    transport = AiohttpTransport(limits=limits)
    client = await stack.enter_async_context(httpx.AsyncClient(transport=transport))
    return _httpx_call(client, base_url + PATH)


async def raw_aiohttp(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """Raw `aiohttp.ClientSession`, 256 connections."""
    import aiohttp

    session = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
    )
    url = base_url + PATH
    headers = _raw_headers()

    async def call() -> Any:
        data = json.dumps(BODY, separators=(",", ":")).encode()
        async with session.post(
            url, data=data, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        ) as response:
            response.raise_for_status()
            return json.loads(await response.read())

    return call


CLIENTS: dict[str, Factory] = {
    "sdk (default)": sdk_default,
    "sdk + limits + sqlite store": sdk_limits_store,
    "httpx (256 conns)": httpx_256,
    "httpx (default pool)": httpx_default_pool,
    "sdk + AioHttpClient": sdk_aiohttp,
    "httpx + httpx-aiohttp": httpx_aiohttp,
    "aiohttp": raw_aiohttp,
}


async def measure_one(
    factory: Factory, base_url: str, concurrency: int, duration: float, warmup: float
) -> dict[str, float]:
    """One warm-up plus one measured window for one client at one concurrency."""
    latencies: list[float] = []
    completed = 0
    recording = False
    async with AsyncExitStack() as stack:
        call = await factory(stack, base_url, concurrency)

        all_warm = anyio.Event()

        async def worker() -> None:
            nonlocal completed
            clock = time.perf_counter
            while True:
                started = clock()
                await call()
                completed += 1
                if recording:
                    latencies.append(clock() - started)
                elif completed >= concurrency:
                    all_warm.set()

        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
            # Warm up: every worker has finished a call (all connections are open) and
            # at least `warmup` seconds have passed. The slowest configurations take
            # seconds per call at c=256, so the wait for "every worker" is capped.
            began = time.perf_counter()
            with anyio.move_on_after(WARMUP_CAP):
                await all_warm.wait()
            await anyio.sleep(max(0.0, warmup - (time.perf_counter() - began)))
            recording = True
            start_calls, start_cpu, start_wall = completed, time.process_time(), time.perf_counter()
            await anyio.sleep(duration)
            calls = completed - start_calls
            cpu = time.process_time() - start_cpu
            wall = time.perf_counter() - start_wall
            recording = False
            group.cancel_scope.cancel()
    latencies.sort()
    return {
        "calls": calls,
        "rps": calls / wall,
        "cpu_us_per_call": cpu / calls * 1e6 if calls else float("nan"),
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


BEFORE = " [before]"
"""Suffix of a row measured with the code before the change (``--baseline``)."""


def measure_in_child(
    name: str, base_url: str, concurrency: int, duration: float, warmup: float, pythonpath: str
) -> dict[str, float]:
    """`measure_one` for ``name`` in a fresh interpreter importing ``connectsafely``
    from ``pythonpath`` (the baseline code), so old and new code are measured in the
    same run, interleaved, against the same server."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": pythonpath}
    args = [name, base_url, str(concurrency), str(duration), str(warmup)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_send", "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        # `python -m` puts the working directory first on sys.path: run in the
        # baseline's folder so its `connectsafely` is the one imported.
        cwd=pythonpath.split(os.pathsep, maxsplit=1)[0],
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(
    base_url: str,
    *,
    concurrencies: tuple[int, ...] = (1, 32, 256),
    repeats: int = 3,
    duration: float = 0.8,
    warmup: float = 0.25,
    clients: dict[str, Factory] | None = None,
    progress: Callable[[str], None] = lambda _: None,
    baseline: str | None = None,
) -> dict[str, Any]:
    """Measure every client at every concurrency; returns medians and the raw repeats.

    With ``baseline`` (a ``PYTHONPATH`` whose ``connectsafely`` is the code before a
    change), every SDK row is measured a second time with that code, in a child
    process, right after the current one: rows named ``... [before]``.
    """
    chosen = CLIENTS if clients is None else clients
    samples: dict[tuple[str, int], list[dict[str, float]]] = {}
    for repeat in range(repeats):
        for concurrency in concurrencies:
            for name, factory in chosen.items():
                progress(f"send: repeat {repeat + 1}/{repeats} c={concurrency} {name}")
                result = anyio.run(measure_one, factory, base_url, concurrency, duration, warmup)
                samples.setdefault((name, concurrency), []).append(result)
                if baseline is not None and name.startswith("sdk"):
                    progress(f"send: repeat {repeat + 1}/{repeats} c={concurrency} {name}{BEFORE}")
                    result = measure_in_child(
                        name, base_url, concurrency, duration, warmup, baseline
                    )
                    samples.setdefault((name + BEFORE, concurrency), []).append(result)
    rows = []
    for (name, concurrency), runs in samples.items():
        row: dict[str, Any] = {"client": name, "concurrency": concurrency, "repeats": runs}
        for key in ("rps", "cpu_us_per_call", "p50_ms", "p99_ms"):
            row[key] = statistics.median(run[key] for run in runs)
        rows.append(row)
    return {"rows": rows, "ratios": ratios(rows)}


def ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The target ratios, from the medians of this run."""

    def get(name: str, concurrency: int, key: str) -> float:
        for row in rows:
            if row["client"] == name and row["concurrency"] == concurrency:
                return float(row[key])
        return float("nan")

    out: dict[str, float] = {}
    for concurrency in sorted({int(row["concurrency"]) for row in rows}):
        c = concurrency
        out[f"cpu sdk/httpx(256) c={c}"] = get("sdk (default)", c, "cpu_us_per_call") / get(
            "httpx (256 conns)", c, "cpu_us_per_call"
        )
        out[f"cpu sdk+aiohttp/httpx+httpx-aiohttp c={c}"] = get(
            "sdk + AioHttpClient", c, "cpu_us_per_call"
        ) / get("httpx + httpx-aiohttp", c, "cpu_us_per_call")
        out[f"cpu sdk+aiohttp/aiohttp c={c}"] = get(
            "sdk + AioHttpClient", c, "cpu_us_per_call"
        ) / get("aiohttp", c, "cpu_us_per_call")
        out[f"rps sdk/httpx(256) c={c}"] = get("sdk (default)", c, "rps") / get(
            "httpx (256 conns)", c, "rps"
        )
        out[f"rps sdk+aiohttp/sdk c={c}"] = get("sdk + AioHttpClient", c, "rps") / get(
            "sdk (default)", c, "rps"
        )
    return out


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--child"]:
        _name, _url, _c, _duration, _warmup = sys.argv[2:7]
        _factory = CLIENTS[_name]
        _result = anyio.run(measure_one, _factory, _url, int(_c), float(_duration), float(_warmup))
        print(json.dumps(_result))
