"""The SDK's own cost of a send, without any I/O: the pipeline alone, now and before.

    python -m benchmarks.bench_pipeline                      # this checkout
    python -m benchmarks.bench_pipeline --baseline 229f9c5   # and the code at that ref

A ``send`` costs the SDK's own work (argument checks, body, limits gate, retry wrapper,
decoding into models, the telemetry test) plus the HTTP library's. Against a server the
second dominates and moves with the load of the machine, so the first is hard to see.
Here the pool's sender is replaced by one that answers at once with the benchmark
send's body and the real API's headers (`_served_api`), so what is measured is
everything the SDK does per call and nothing of httpx, httpcore or a socket:

- CPU µs per send: each run is a fresh interpreter, 2,000 sends to warm up, then 5
  blocks of 4,000, ``time.process_time`` per block; the run reports its fastest block;
- Python function calls per send: one more block under `cProfile` (deterministic: the
  same code makes the same calls however busy the machine is), the profile's count
  divided by the sends.

With ``--concurrency N`` (a power of two) N senders share the client and the sender
yields once per send, as a socket wait would, so the in-flight queue and the scheduling
of many calls are in the figures.

With ``--baseline GIT_REF`` the code at that ref runs in the same way, right after the
current code in every repeat (the order alternating), and the ratio now / before is
taken repeat by repeat and decided as `_paired` explains. Writes
``benchmarks/results/pipeline.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS_DIR, environment, write_results
from benchmarks._paired import MIN_REPEATS, summarize

REPO = Path(__file__).resolve().parent.parent
NOT_SLOWER = 1.03

_RUN = """
import cProfile, json, time
import anyio
import connectsafely
from connectsafely._http._sender import BodyReply
from benchmarks._api_data import API_KEY, RECIPIENT, SEND_BODY, TEXT
from benchmarks._served_api import ServedApi

HEADERS = {k.decode(): v.decode() for k, v in ServedApi().headers("send", SEND_BODY)}


class AtOnce:
    async def send(self, method, url, *, params, body, headers, timeout):
        if CONCURRENCY > 1:
            await anyio.sleep(0)  # let the other senders in, as a socket wait would
        return BodyReply(200, HEADERS, SEND_BODY, None)


CONCURRENCY = {concurrency}


async def sends(send, count):
    if CONCURRENCY == 1:
        for _ in range(count):
            await send(TEXT, recipient_profile_urn=RECIPIENT)
        return

    async def worker():
        for _ in range(count // CONCURRENCY):
            await send(TEXT, recipient_profile_urn=RECIPIENT)

    async with anyio.create_task_group() as group:
        for _ in range(CONCURRENCY):
            group.start_soon(worker)


async def main():
    made = connectsafely.AsyncClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    async with made as client:
        client._core.pool.sender()  # binds the pool to this loop
        client._core.pool._sender = AtOnce()
        send = client.conversations.send
        await sends(send, 2048)
        blocks = []
        for _ in range(5):
            began = time.process_time()
            await sends(send, 4096)
            blocks.append((time.process_time() - began) / 4096 * 1e6)
        profiler = cProfile.Profile()
        profiler.enable()
        await sends(send, 1024)
        profiler.disable()
        profiler.create_stats()
        calls = sum(entry[1] for entry in profiler.stats.values())
    out = {"us_per_send": min(blocks), "blocks": blocks, "calls_per_send": calls / 1024}
    print(json.dumps(out))


anyio.run(main)
"""


def _one(pythonpath: str, concurrency: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN.replace("{concurrency}", str(concurrency))],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": pythonpath},
        cwd=pythonpath.split(os.pathsep, maxsplit=1)[0],
    )
    if done.returncode != 0:
        raise RuntimeError(f"pipeline run failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(
    *,
    repeats: int = MIN_REPEATS,
    baseline: str | None = None,
    concurrency: int = 1,
    progress: Any = print,
) -> dict[str, Any]:
    """Measure this checkout (and ``baseline``, a ``PYTHONPATH``), interleaved, with
    ``concurrency`` senders (a power of two; each yields once per send when above 1)."""
    sides = {"now": str(REPO)} | ({"before": baseline} if baseline else {})
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for repeat in range(repeats):
        order = list(sides)[::-1] if repeat % 2 else list(sides)
        for side in order:
            runs[side].append(_one(sides[side], concurrency))
        progress(
            f"pipeline: repeat {repeat + 1}/{repeats}: "
            + ", ".join(
                f"{side} {runs[side][-1]['us_per_send']:.1f} µs, "
                f"{runs[side][-1]['calls_per_send']:.0f} calls"
                for side in sides
            )
        )
    figures = {
        side: {
            "us_per_send": summarize([r["us_per_send"] for r in values], "<=", float("inf")),
            "calls_per_send": values[-1]["calls_per_send"],
        }
        for side, values in runs.items()
    }
    result: dict[str, Any] = {
        "environment": environment(),
        "repeats": repeats,
        "concurrency": concurrency,
        "runs": runs,
        "figures": figures,
    }
    if baseline:
        ratios = [
            a["us_per_send"] / b["us_per_send"]
            for a, b in zip(runs["now"], runs["before"], strict=True)
        ]
        result["now_before"] = summarize(ratios, "<=", NOT_SLOWER)
        result["calls_now_before"] = (
            figures["now"]["calls_per_send"] / figures["before"]["calls_per_send"]
        )
    return result


def report(result: dict[str, Any]) -> None:
    """Print the results as Markdown."""
    print(
        f"\n## the SDK pipeline alone (a sender answering at once), "
        f"c={result.get('concurrency', 1)}, {result['repeats']} interleaved runs\n"
    )
    print("| code | CPU µs per send, median [min-max] | Python function calls per send |")
    print("|---|---:|---:|")
    for side, figures in result["figures"].items():
        cpu = figures["us_per_send"]
        print(
            f"| {side} | {cpu['median']:.1f} [{cpu['min']:.1f}-{cpu['max']:.1f}] | "
            f"{figures['calls_per_send']:.0f} |"
        )
    if "now_before" in result:
        ratio = result["now_before"]
        print(
            f"\nnow / before, per repeat: median {ratio['median']:.3f} [{ratio['min']:.3f}-"
            f"{ratio['max']:.3f}] (<= {NOT_SLOWER}: {ratio['status']}); function calls "
            f"x{result['calls_now_before']:.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=MIN_REPEATS)
    parser.add_argument("--baseline", metavar="GIT_REF", default=None)
    parser.add_argument("--concurrency", type=int, default=1, help="senders at once")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cs-bench-baseline-") as folder:
        baseline = None
        if args.baseline:
            from benchmarks.__main__ import checkout

            baseline = checkout(args.baseline, Path(folder))
        result = run(repeats=args.repeats, baseline=baseline, concurrency=args.concurrency)
    result["baseline"] = args.baseline
    report(result)
    write_results(RESULTS_DIR / "pipeline.json", result)


if __name__ == "__main__":
    main()
