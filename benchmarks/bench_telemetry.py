"""What telemetry costs (issue 26): CPU per send without OpenTelemetry, with only its API,
and with the SDK recording.

Three configurations, each in a fresh interpreter per repeat, interleaved (the order
rotates every repeat) so a busy machine slows them alike:

- ``none``: OpenTelemetry cannot be imported (``sys.modules["opentelemetry"] = None``
  before ``import connectsafely``), as without the ``otel`` extra;
- ``api``: ``opentelemetry.trace`` and ``opentelemetry.metrics`` imported (say, by
  another library) but no SDK configured: the client looks at the global providers on
  its first call, finds the API's proxies and turns telemetry off;
- ``sdk``: `TracerProvider` with a `SimpleSpanProcessor` into an `InMemorySpanExporter`
  and a `MeterProvider` with an `InMemoryMetricReader`, passed to the client.

Each run sends with the default client, one call at a time, to the canned responder
(`_responder`) in another process, pinned to the second core (the runs to the first),
so the process CPU measured is the client's alone: 200 sends to warm up, then ``blocks``
blocks of ``calls`` sends, ``time.process_time`` per block; the run reports its fastest
block (other processes on a shared machine only ever add to a block's CPU time: caches,
frequency). Across runs: median, min and max per configuration, and the
per-repeat ratios (each repeat's ``api`` over its own ``none``) decided as `_paired`
does (median, min-max, PASS / MISS / UNDECIDED from the median's interval).
Target: ``api`` / ``none`` <= 1.03; ``sdk`` / ``none`` is reported.

While that is UNDECIDED, repeats are added (doubling, up to ``--max-repeats``).

Run: ``python -m benchmarks.bench_telemetry [--repeats N] [--max-repeats N] [--calls N]
[--blocks N]``;
writes ``benchmarks/results/telemetry.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS_DIR, ServerProcess, environment, pin, unpin, write_results
from benchmarks._paired import summarize

CONFIGS = ("none", "api", "sdk")
TARGET = 1.03
"""``api`` / ``none``: CPU per send with the API installed and no SDK configured."""

_PRELUDE = {
    "none": "import sys\nsys.modules['opentelemetry'] = None\n",
    "api": "import opentelemetry.metrics, opentelemetry.trace\n",
    "sdk": "",
}

_RUN = """
import json, time
import anyio
import connectsafely
from benchmarks._api_data import API_KEY, RECIPIENT, TEXT

def providers():
    if {config!r} != "sdk":
        return {{}}
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    global exporter
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {{"tracer_provider": tracer_provider, "meter_provider": meter_provider}}

async def main():
    blocks = []
    async with connectsafely.AsyncClient(
        api_key=API_KEY, base_url={base_url!r}, **providers()
    ) as client:
        send = client.conversations.send
        for _ in range(200):
            await send(TEXT, recipient_profile_urn=RECIPIENT)
        for _ in range({blocks}):
            began = time.process_time()
            for _ in range({calls}):
                await send(TEXT, recipient_profile_urn=RECIPIENT)
            blocks.append((time.process_time() - began) / {calls} * 1e6)
            if {config!r} == "sdk":
                exporter.clear()  # keep memory flat; spans were exported already
        recording = client._core.pool.telemetry is not None
    print(json.dumps({{"us_per_send": min(blocks), "recording": recording}}))

anyio.run(main)
"""


def _one(config: str, base_url: str, calls: int, blocks: int) -> dict[str, Any]:
    code = _PRELUDE[config] + _RUN.format(
        config=config, base_url=base_url, calls=calls, blocks=blocks
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _api_to_none(runs: dict[str, list[float]]) -> dict[str, Any]:
    ratios = [a / b for a, b in zip(runs["api"], runs["none"], strict=True)]
    return summarize(ratios, "<=", TARGET)


def run(
    *,
    repeats: int = 7,
    max_repeats: int | None = None,
    calls: int = 200,
    blocks: int = 5,
    progress: Any = print,
) -> dict[str, Any]:
    """Measure the three configurations, interleaved; returns the results.

    While ``api`` / ``none`` is UNDECIDED after ``repeats``, more repeats are measured
    (doubling, up to ``max_repeats``; none with ``None``)."""
    runs: dict[str, list[float]] = {config: [] for config in CONFIGS}
    recording: dict[str, bool] = {}
    goal = repeats
    pinned = pin({0})
    try:
        with ServerProcess("responder", cpu=1 if pinned else None) as server:
            repeat = 0
            while repeat < goal:
                order = CONFIGS[repeat % 3 :] + CONFIGS[: repeat % 3]
                for config in order:
                    measured = _one(config, server.base_url, calls, blocks)
                    runs[config].append(measured["us_per_send"])
                    recording[config] = measured["recording"]
                repeat += 1
                progress(
                    f"telemetry: repeat {repeat}/{goal}: "
                    + ", ".join(f"{c} {runs[c][-1]:.1f} µs" for c in CONFIGS)
                )
                cap = max_repeats or goal
                if repeat == goal < cap and _api_to_none(runs)["status"] == "UNDECIDED":
                    goal = min(2 * goal, cap)
    finally:
        if pinned:
            unpin()
    medians = {config: statistics.median(values) for config, values in runs.items()}
    api = _api_to_none(runs)
    sdk = [a / b for a, b in zip(runs["sdk"], runs["none"], strict=True)]
    return {
        "environment": environment(),
        "repeats": goal,
        "calls_per_block": calls,
        "blocks_per_run": blocks,
        "us_per_send": {
            config: {"median": medians[config], "min": min(runs[config]), "max": max(runs[config])}
            for config in CONFIGS
        },
        "runs": runs,
        "telemetry_on": recording,
        "ratio_api_to_none": api["median"],
        "api_to_none": api,
        "ratio_sdk_to_none": statistics.median(sdk),
        "ratios_sdk_to_none": sdk,
        "target_api_to_none": TARGET,
        "status": api["status"],
        "pinned": pinned,
        "note": "client CPU per send, default client, the canned responder in another process",
    }


def report(result: dict[str, Any]) -> None:
    """Print the results as Markdown."""
    print(
        f"\n## telemetry: CPU per send (µs, {result['repeats']} interleaved runs, "
        "median [min-max])\n"
    )
    print("| configuration | telemetry on | µs per send |")
    print("|---|---|---:|")
    labels = {
        "none": "OpenTelemetry not installed",
        "api": "opentelemetry-api imported, no SDK",
        "sdk": "SDK: in-memory exporter + metric reader",
    }
    for config in CONFIGS:
        figures = result["us_per_send"][config]
        print(
            f"| {labels[config]} | {result['telemetry_on'][config]} | "
            f"{figures['median']:.1f} [{figures['min']:.1f}-{figures['max']:.1f}] |"
        )
    api = result["api_to_none"]
    sdk = result["ratios_sdk_to_none"]
    print(
        f"\napi / none, per repeat: median {api['median']:.3f} [{api['min']:.3f}-"
        f"{api['max']:.3f}] (target <= {TARGET}: {api['status']}); "
        f"sdk / none: median {result['ratio_sdk_to_none']:.2f} [{min(sdk):.2f}-{max(sdk):.2f}]"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-repeats", type=int, default=None)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(
        repeats=args.repeats, max_repeats=args.max_repeats, calls=args.calls, blocks=args.blocks
    )
    report(result)
    write_results(RESULTS_DIR / "telemetry.json", result)


if __name__ == "__main__":
    main()
