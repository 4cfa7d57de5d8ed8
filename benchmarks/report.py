"""What a run prints and what ``--markdown FILE`` writes for docs/performance.md.

The Markdown is generated from the run's results (``suite.json``), so the page's tables
are the run's output, pasted: ``python -m benchmarks.report [suite.json] [out.md]``
writes it again from a saved run.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import targets

BEFORE = " [before]"

ORDER = [
    "sdk (default)",
    "httpx (default pool)",
    "httpx (16 in flight)",
    "sdk + AioHttpClient",
    "aiohttp",
    "httpx + httpx-aiohttp",
    "httpx (256 conns)",
    "sdk + limits + sqlite store",
]


def _order(row: dict[str, Any]) -> tuple[int, int, int]:
    name = row["client"].removesuffix(BEFORE)
    index = ORDER.index(name) if name in ORDER else len(ORDER)
    return row["concurrency"], index, name != row["client"]


def send_table(result: dict[str, Any]) -> list[str]:
    """One server mode's send rows: medians over the grid's repeats, CPU spread."""
    out = [
        "| client | c | req/s | client CPU µs/call | min-max | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(result["rows"], key=_order):
        low, high = row.get("cpu_us_per_call_min", 0), row.get("cpu_us_per_call_max", 0)
        spread = f"{low:,.0f}-{high:,.0f}"
        out.append(
            f"| {row['client']} | {row['concurrency']} | {row['rps']:,.0f} | "
            f"{row['cpu_us_per_call']:,.0f} | {spread} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} |"
        )
    return out


def print_send(mode: str, result: dict[str, Any]) -> None:
    """The send rows and targets of one server mode, on stdout."""
    print(f"\n## send, {mode} (medians of {result['repeats']} repeats)\n")
    for line in send_table(result):
        print(line)
    print()
    for line in targets.table(result["targets"]):
        print(line)


def walk_table(suite: dict[str, Any]) -> list[str]:
    """The walks of every server mode."""
    out = [
        "| server | messages | SDK msg/s | SDK µs CPU/msg | raw httpx msg/s | "
        "raw µs CPU/msg | msg/s ratio (min-max) | CPU ratio | peak traced KiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, section in suite.get("pagination", {}).items():
        for walk in section.get("results", {}).get("backends", {}).get("asyncio", []):
            ratios = walk.get("ratios_messages_per_s", [])
            spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "—"
            out.append(
                f"| {mode} | {walk['messages']:,} | {walk['messages_per_s']:,.0f} | "
                f"{walk['cpu_us_per_message']:.2f} | {walk['raw_httpx_messages_per_s']:,.0f} | "
                f"{walk['raw_httpx_cpu_us_per_message']:.2f} | "
                f"{walk['ratio_messages_per_s']:.2f} ({spread}) | {walk['ratio_cpu']:.2f} | "
                f"{walk['peak_traced_kb']:,.0f} |"
            )
            if "before" in walk:
                before = walk["before"]
                out.append(
                    f"| {mode}, code before | {walk['messages']:,} | "
                    f"{before['messages_per_s']:,.0f} | {before['cpu_us_per_message']:.2f} | "
                    "| | | | |"
                )
    return out


def markdown(suite: dict[str, Any]) -> str:
    """The run as Markdown: how it was run, the targets, send per mode, the walks."""
    machine = suite.get("machine", {})
    versions = machine.get("versions", {})
    load = suite.get("load_before", [0, 0, 0]), suite.get("load_after", [0, 0, 0])
    lines = [
        f"Run: `python -m benchmarks {' '.join(suite.get('argv', []))}` at "
        f"`{suite.get('commit', '?')}`, started {suite.get('started', '?')}, "
        f"{suite.get('seconds', 0) / 60:.1f} min; `nproc` = {machine.get('nproc')}, "
        f"{machine.get('cpu')}, Python {machine.get('python')}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if v)
        + f". Load average (1 min) {load[0][0]:.2f} at the start, {load[1][0]:.2f} at the end.",
        "",
        "### Targets",
        "",
        *targets.table(suite.get("targets", [])),
        "",
    ]
    for mode, result in suite.get("send", {}).items():
        lines += [
            f"### send, {mode} (medians of {result['repeats']} repeats)",
            "",
            *send_table(result),
            "",
        ]
    if suite.get("pagination"):
        lines += ["### Walks (asyncio, medians)", "", *walk_table(suite), ""]
    lines += _other_sections(suite)
    return "\n".join(lines)


def _printed(report: Callable[[dict[str, Any]], Any], result: dict[str, Any]) -> list[str]:
    """What a benchmark's own ``report`` prints, with its ``##`` headings one level down."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        report(result)
    lines = out.getvalue().strip("\n").splitlines()
    return [f"#{line}" if line.startswith("## ") else line for line in lines] + [""]


def _other_sections(suite: dict[str, Any]) -> list[str]:
    """Decode, import, upload, telemetry, network, webhooks and limits of the run."""
    lines: list[str] = []
    decode = suite.get("decode")
    if decode:
        lines += [
            "### Decode, import, upload",
            "",
            f"- decode a 100-message page: {decode['sdk_decode_us_per_message']:.2f} µs per "
            f"message, x{decode['ratio_decode_to_loads']:.2f} `json.loads` "
            f"({decode['json_loads_us_per_message']:.2f} µs); orjson installed: "
            f"{decode['orjson']}",
        ]
    imports = suite.get("import")
    if imports:
        lines.append(
            f"- `import connectsafely` {imports['connectsafely_ms']:.1f} ms, `import httpx` "
            f"{imports['httpx_ms']:.1f} ms (x{imports['ratio']:.2f})"
            + (f"; code before {imports['before_ms']:.1f} ms" if "before_ms" in imports else "")
        )
    upload = suite.get("upload", {}).get("results", {}).get("backends", {}).get("asyncio")
    if isinstance(upload, dict):
        lines.append(
            f"- upload: {upload['throughput_mb_s']['median']:.1f} MB/s (median), peak RSS "
            f"+{upload.get('peak_rss_above_baseline_mb', float('nan')):.1f} MB"
        )
    if lines:
        lines.append("")
    from benchmarks import (
        bench_limits,
        bench_network,
        bench_pipeline,
        bench_telemetry,
        bench_webhooks,
    )

    for key, report in (
        ("pipeline", bench_pipeline.report),
        ("telemetry", bench_telemetry.report),
        ("network", bench_network.report),
        ("webhooks", bench_webhooks.report),
    ):
        if suite.get(key):
            lines += _printed(report, suite[key])
    if suite.get("limits"):
        lines += ["### limits", "", *bench_limits.report(suite["limits"]), ""]
    return lines


def profile_text(result: dict[str, Any], mode: str, commit: str) -> str:
    """A ``--profile`` run: what was profiled, its figures, the two listings."""
    head = (
        f"cProfile of {result['client']!r} sending at c={result['concurrency']} against "
        f"{mode}, {result['seconds']:.1f} s window, at {commit}: {result['calls']} calls, "
        f"{result['cpu_us_per_call']:.0f} µs CPU/call under the profiler "
        f"({result['rps']:.0f} req/s)"
    )
    return (
        f"{head}\n\n-- by own time (tottime) --\n{result['profile']['tottime']}\n"
        f"-- by cumulative time --\n{result['profile']['cumulative']}"
    )


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else Path(__file__).parent / "results" / "suite.json"
    suite = json.loads(source.read_text())
    text = markdown(suite)
    if len(argv) > 1:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
