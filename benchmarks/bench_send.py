"""``send`` under load: the SDK against hand-written httpx and aiohttp calls.

Every client sends the same request (same JSON body, ``Authorization``, a fresh
``Idempotency-Key`` per call) to the same server in another process (the canned
responder or the API under uvicorn, see `_common.SERVERS`) and decodes the JSON answer.
Client CPU per call is the measuring process's CPU time (``time.process_time``: user +
system, all threads) over the window divided by the calls completed in it, so the
server's work is excluded.

Method: every measurement is one fresh interpreter (``--child``) running one client at
one concurrency: ``concurrency`` workers in a closed loop; after a warm-up (at least one
call per worker, so every connection is open and the pipeline is in steady state) one
window of ``duration`` seconds is measured: calls completed in it, CPU spent in it,
latencies of those calls. A fresh process per measurement gives every client (and the
code of ``--baseline``, which must be imported from elsewhere anyway) the same start:
no heap, garbage collector or import state left by the client before.

`SendGrid` runs the grid repeat by repeat: in each repeat every client at every
concurrency, in an order where the clients a ratio compares are neighbours (`GROUPS`),
reversed every other repeat, so the two sides of a ratio run back to back and in
alternating order. `SendGrid.pair` adds repeats of one pair alone (for a target the
first repeats left undecided, see `_paired`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx

import connectsafely
from benchmarks._api_data import API_KEY, RECIPIENT, TEXT
from benchmarks._api_data import SEND_PATH as PATH
from benchmarks._common import strip_paths

BODY = {"message": TEXT, "recipientProfileUrn": RECIPIENT, "messagingChannel": "auto"}
WARMUP_CAP = 3.0
IN_FLIGHT = 16
"""The SDK's default ``max_concurrent_requests`` (``httpx (16 in flight)`` keeps to it)."""
REPO = Path(__file__).resolve().parent.parent

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


async def httpx_in_flight(stack: AsyncExitStack, base_url: str, concurrency: int) -> Call:
    """Raw `httpx.AsyncClient()`, at most 16 calls on the wire (an anyio semaphore), as
    the SDK's default ``max_concurrent_requests`` keeps them: like for like at c > 16."""
    client = await stack.enter_async_context(httpx.AsyncClient())
    plain = _httpx_call(client, base_url + PATH)
    gate = anyio.Semaphore(IN_FLIGHT)

    async def call() -> Any:
        async with gate:
            return await plain()

    return call


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
    "httpx (default pool)": httpx_default_pool,
    "httpx (16 in flight)": httpx_in_flight,
    "httpx (256 conns)": httpx_256,
    "sdk + AioHttpClient": sdk_aiohttp,
    "httpx + httpx-aiohttp": httpx_aiohttp,
    "aiohttp": raw_aiohttp,
}
"""Every client, by row name. ``httpx (default pool)`` is "raw httpx" in the targets:
``httpx.AsyncClient()`` as a user writes it."""

GROUPS: tuple[tuple[str, ...], ...] = (
    ("httpx (16 in flight)", "httpx (default pool)", "sdk (default)"),
    ("aiohttp", "sdk + AioHttpClient"),
    ("httpx (256 conns)", "httpx + httpx-aiohttp", "sdk + limits + sqlite store"),
)
"""The order of one repeat: the clients a ratio compares are neighbours; an SDK row's
``[before]`` twin (``--baseline``) comes right after it."""

ONLY_ABOVE = {"httpx (16 in flight)": 16}
"""Clients measured only above this concurrency (below it they equal another row)."""

SERVER_CHOICES = ("responder", "uvicorn")


async def measure_one(
    factory: Factory,
    base_url: str,
    concurrency: int,
    duration: float,
    warmup: float,
    profiler: Any = None,
) -> dict[str, float]:
    """One warm-up plus one measured window for one client at one concurrency.

    With ``profiler`` (a `cProfile.Profile`), it runs during the window only.
    """
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
            if profiler is not None:
                profiler.enable()
            start_calls, start_cpu, start_wall = completed, time.process_time(), time.perf_counter()
            await anyio.sleep(duration)
            calls = completed - start_calls
            cpu = time.process_time() - start_cpu
            wall = time.perf_counter() - start_wall
            if profiler is not None:
                profiler.disable()
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
    name: str,
    base_url: str,
    concurrency: int,
    duration: float,
    warmup: float,
    pythonpath: str | None = None,
) -> dict[str, float]:
    """`measure_one` for ``name`` in a fresh interpreter.

    With ``pythonpath`` its ``connectsafely`` is imported from there (the baseline
    code), else from this checkout. The child inherits this process's CPU affinity.
    """
    path = pythonpath or str(REPO)
    env = {**os.environ, "PYTHONPATH": path}
    args = [name, base_url, str(concurrency), str(duration), str(warmup)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_send", "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        # `python -m` puts the working directory first on sys.path: run in the
        # baseline's folder so its `connectsafely` is the one imported.
        cwd=path.split(os.pathsep, maxsplit=1)[0],
    )
    if done.returncode != 0:
        raise RuntimeError(f"send child {name} c={concurrency} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class SendGrid:
    """The send measurements of one server, repeat by repeat (see the module doc).

    ``samples[(row, concurrency)]`` is a list of measurements, each tagged with its
    ``round``: ``r0``, ``r1``, ... for the grid's repeats (every row has one), and
    ``<a>|<b>#n`` for a repeat of one pair alone, which only those two rows have. A
    ratio is taken over the rounds both of its rows have.
    """

    def __init__(
        self,
        base_url: str,
        *,
        clients: list[str],
        concurrencies: tuple[int, ...],
        duration: float,
        warmup: float = 0.25,
        baseline: str | None = None,
        progress: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.base_url = base_url
        self.clients = clients
        self.concurrencies = concurrencies
        self.duration = duration
        self.warmup = warmup
        self.baseline = baseline
        self.progress = progress
        self.samples: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.repeats = 0
        self._extra: dict[tuple[str, str, int], int] = {}

    def order(self, repeat: int) -> list[str]:
        """The rows of one repeat, in measuring order (reversed every other repeat)."""
        rows = []
        for group in GROUPS:
            for name in group:
                if name in self.clients:
                    rows.append(name)
                    if self.baseline is not None and name.startswith("sdk"):
                        rows.append(name + BEFORE)
        rows += [n for n in self.clients if n not in rows]
        return rows[::-1] if repeat % 2 else rows

    def measure(self, row: str, concurrency: int, tag: str) -> None:
        """Measure ``row`` at ``concurrency`` once (in a child) and record it."""
        self.progress(f"send: {tag} c={concurrency} {row}")
        before = row.endswith(BEFORE)
        name = row.removesuffix(BEFORE)
        result = measure_in_child(
            name,
            self.base_url,
            concurrency,
            self.duration,
            self.warmup,
            self.baseline if before else None,
        )
        result["round"] = tag
        self.samples.setdefault((row, concurrency), []).append(result)

    def repeat(self) -> None:
        """One more repeat of the whole grid."""
        index = self.repeats
        for concurrency in self.concurrencies:
            for row in self.order(index):
                if concurrency > ONLY_ABOVE.get(row.removesuffix(BEFORE), 0):
                    self.measure(row, concurrency, f"r{index}")
        self.repeats += 1

    def pair(self, a: str, b: str, concurrency: int) -> None:
        """One more repeat of rows ``a`` and ``b`` alone, back to back, order alternating."""
        key = (a, b, concurrency)
        count = self._extra.get(key, 0)
        self._extra[key] = count + 1
        tag = f"{a}|{b}#{count}"
        first, second = (a, b) if (self.repeats + count) % 2 else (b, a)
        self.measure(first, concurrency, tag)
        self.measure(second, concurrency, tag)

    def rounds(self, row: str, concurrency: int) -> dict[str, dict[str, Any]]:
        """The measurements of ``row`` at ``concurrency`` by round."""
        return {s["round"]: s for s in self.samples.get((row, concurrency), [])}

    def paired(self, a: str, b: str, concurrency: int, key: str = "cpu_us_per_call") -> list[float]:
        """``a / b`` of ``key``, one value per round both rows have."""
        left, right = self.rounds(a, concurrency), self.rounds(b, concurrency)
        return [
            left[tag][key] / right[tag][key] for tag in left if tag in right and right[tag][key]
        ]

    def result(self) -> dict[str, Any]:
        """Rows (medians over the grid's repeats) and every measurement."""
        rows = []
        for (name, concurrency), runs in self.samples.items():
            grid = [r for r in runs if r["round"].startswith("r")] or runs
            row: dict[str, Any] = {"client": name, "concurrency": concurrency, "repeats": runs}
            for key in ("rps", "cpu_us_per_call", "p50_ms", "p99_ms"):
                values = [r[key] for r in grid]
                row[key] = statistics.median(values)
                row[key + "_min"], row[key + "_max"] = min(values), max(values)
            rows.append(row)
        return {"rows": rows, "repeats": self.repeats}


def profile(name: str, base_url: str, concurrency: int, seconds: float, top: int) -> dict[str, Any]:
    """cProfile of ``name`` sending at ``concurrency`` for ``seconds`` after its warm-up,
    in this process: the pstats listing by own time and by cumulative time."""
    import cProfile
    import io
    import pstats

    # CPU time, not wall time: waiting in epoll is not work, and neither is being
    # descheduled on a busy machine.
    profiler = cProfile.Profile(time.process_time)
    outcome = anyio.run(measure_one, CLIENTS[name], base_url, concurrency, seconds, 0.5, profiler)
    texts = {}
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(top)
        texts[order] = strip_paths(out.getvalue())
    return {"client": name, "concurrency": concurrency, "seconds": seconds, **outcome,
            "profile": texts, "stats": profiler}  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _name, _url, _c, _duration, _warmup = sys.argv[2:7]
        _factory = CLIENTS[_name]
        _result = anyio.run(measure_one, _factory, _url, int(_c), float(_duration), float(_warmup))
        print(json.dumps(_result))
