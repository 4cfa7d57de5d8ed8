"""Upload benchmark: throughput and client memory while streaming a large file.

    python -m benchmarks.bench_upload                 # 200 MB, asyncio and trio, 3 runs each
    python -m benchmarks.bench_upload --size-mb 50 --backend trio --repeat 1

The fake API is served by uvicorn in a SEPARATE process, so the bytes it receives (it
keeps a whole request body in memory while handling it) never count against the client.
The client uploads a file from disk with ``client.attachments.upload(path)`` over a real
loopback socket and we record:

- wall time per upload -> throughput in MB/s (1 MB = 10**6 bytes);
- peak resident memory above the baseline taken just before the upload, sampled every
  couple of milliseconds from ``/proc/self/statm`` (whole process, C allocations included);
- peak Python allocations during one extra upload traced by ``tracemalloc``.

The contract (design.md §4) is that a file is streamed in chunks, never read whole:
peak memory must stay under 16 MB above the baseline for a 200 MB file.

Results are printed and written to ``benchmarks/results/upload.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

import connectsafely
from benchmarks._common import RESULTS_DIR, child_server, environment, write_results
from connectsafely._uploads import CHUNK_SIZE

RESULTS = RESULTS_DIR / "upload.json"
MEMORY_LIMIT_MB = 16.0
_MB = 1_000_000
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# -- the server process -------------------------------------------------------------------


def serve() -> None:
    """Serve the fake on a loopback port; print ``PORT <n>``; stop when stdin closes."""
    from connectsafely.testing import FakeConnectSafely

    class ForgetfulFake(FakeConnectSafely):
        """The real fake, minus keeping every uploaded byte forever."""

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await super().__call__(scope, receive, send)
            self.requests.clear()
            for upload in self.uploads.values():
                upload.data = b""

    with ForgetfulFake().serve() as server:
        print(f"PORT {server.port}", flush=True)
        sys.stdin.read()


@contextmanager
def server_process() -> Iterator[str]:
    """The fake in a child process (``python -m benchmarks.bench_upload --serve``)."""
    with child_server("benchmarks.bench_upload", ready="PORT") as port:
        yield f"http://127.0.0.1:{int(port)}"


# -- measuring ----------------------------------------------------------------------------


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


class PeakRss:
    """Samples RSS in a background thread; ``peak`` is the highest value seen."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def make_file(directory: str, size: int) -> Path:
    """A file of ``size`` pseudo-random bytes, written 1 MiB at a time."""
    path = Path(directory) / "upload.bin"
    block = os.urandom(1 << 20)
    with path.open("wb") as file:
        remaining = size
        while remaining:
            piece = block[: min(len(block), remaining)]
            file.write(piece)
            remaining -= len(piece)
    return path


async def measure(base_url: str, path: Path, size: int, repeat: int) -> dict[str, Any]:
    """Upload ``path`` ``repeat`` times (plus one traced run) on the current backend."""
    api_key = "cs_test_fake_key"  # FakeConnectSafely's default key
    async with connectsafely.AsyncClient(
        api_key=api_key, base_url=base_url, timeout=120, max_retries=0
    ) as client:
        # Warm up: connection open, every module imported, before the baseline.
        await client.attachments.upload(b"warm-up", filename="warm.txt")
        seconds: list[float] = []
        rss_deltas: list[float] = []
        for _ in range(repeat):
            baseline = rss_bytes()
            with PeakRss() as sampler:
                started = time.perf_counter()
                attachment = await client.attachments.upload(path)
                seconds.append(time.perf_counter() - started)
            assert attachment.byte_size == size, attachment
            rss_deltas.append((sampler.peak - baseline) / _MB)
        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        await client.attachments.upload(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    throughputs = [size / s / _MB for s in seconds]
    return {
        "seconds": [round(s, 3) for s in seconds],
        "throughput_mb_s": {
            "median": round(statistics.median(throughputs), 1),
            "best": round(max(throughputs), 1),
        },
        "peak_rss_above_baseline_mb": round(max(rss_deltas), 2),
        "peak_python_allocations_mb": round((peak - before) / _MB, 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = int(args.size_mb * _MB)
    backends = ["asyncio", "trio"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {
        "benchmark": "attachments.upload(path) over loopback, fake served in a separate process",
        "file_bytes": size,
        "chunk_bytes": CHUNK_SIZE,
        "repeat": args.repeat,
        "memory_limit_mb": MEMORY_LIMIT_MB,
        **environment(),
        "backends": {},
    }
    with tempfile.TemporaryDirectory() as directory, server_process() as base_url:
        path = make_file(directory, size)
        for backend in backends:
            outcome = anyio.run(measure, base_url, path, size, args.repeat, backend=backend)
            outcome["within_memory_limit"] = (
                outcome["peak_rss_above_baseline_mb"] < MEMORY_LIMIT_MB
                and outcome["peak_python_allocations_mb"] < MEMORY_LIMIT_MB
            )
            results["backends"][backend] = outcome
            print(
                f"{backend:>8}: {outcome['throughput_mb_s']['median']:7.1f} MB/s median "
                f"({outcome['throughput_mb_s']['best']:.1f} best), peak RSS "
                f"+{outcome['peak_rss_above_baseline_mb']:.1f} MB, peak Python allocations "
                f"{outcome['peak_python_allocations_mb']:.1f} MB "
                f"({'ok' if outcome['within_memory_limit'] else 'OVER LIMIT'})",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200.0, help="file size in MB")
    parser.add_argument("--repeat", type=int, default=3, help="timed uploads per backend")
    parser.add_argument("--backend", choices=["asyncio", "trio", "both"], default="both")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write JSON")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    print(f"Uploading {args.size_mb:g} MB ({CHUNK_SIZE // 1024} KiB chunks)...", flush=True)
    results = run(args)
    write_results(args.output, results)
    print(f"Wrote {args.output}")
    if not all(b["within_memory_limit"] for b in results["backends"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
