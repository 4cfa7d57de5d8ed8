"""The benchmark suite: ``python -m benchmarks`` (or ``nox -s bench``).

Measures, in one run, the SDK against raw httpx and aiohttp: ``send`` at several
concurrencies, decoding a 100-message page, pagination, a 200 MB upload and import time;
and the limits per layer (``bench_limits``: pacing 8 accounts, holds, 429 counts, the
gate's CPU), each with its target and PASS/MISS.
Prints tables and writes ``benchmarks/results/suite.json`` (git-ignored). Nothing here
passes or fails on timing; it reports. ``--quick`` runs a shorter version.

The server for ``send`` is `benchmarks._responder` (a canned asyncio responder) in its
own process, pinned to its own core when the machine has two or more; the pagination and
upload benchmarks serve `FakeConnectSafely` in their own process (they need its routes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import targets
from benchmarks._common import RESULTS_DIR, write_results

SERVER_CHOICE = (
    "send is measured against benchmarks/_responder.py, a minimal asyncio Protocol "
    "HTTP/1.1 keep-alive responder returning a canned send response, in a separate "
    "process: uvicorn + the fake spend about as much CPU per request as the fastest "
    "client, so they would cap the fast rows and hide the client differences."
)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("connectsafely", "httpx", "httpcore", "aiohttp", "httpx-aiohttp", "anyio"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _pin(cpus: set[int]) -> bool:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, cpus)
        return True
    return False


def send_section(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import bench_send
    from benchmarks._responder import ResponderProcess

    clients = dict(bench_send.CLIENTS)
    if importlib.util.find_spec("aiohttp") is None or not importlib.util.find_spec("httpx_aiohttp"):
        print("send: aiohttp / httpx-aiohttp not installed: their rows are not available")
        for name in ("sdk + AioHttpClient", "httpx + httpx-aiohttp", "aiohttp"):
            clients.pop(name)
    if args.skip_clients:
        for name in args.skip_clients:
            clients.pop(name, None)
    pinned = _pin({0})
    with ResponderProcess(cpu=1 if pinned else None) as server:
        result = bench_send.run(
            server.base_url,
            concurrencies=tuple(args.concurrency),
            repeats=args.repeats,
            duration=args.duration,
            clients=clients,
            progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
            baseline=args.baseline_path,
        )
    if pinned:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    result["server"] = SERVER_CHOICE
    result["pinned"] = pinned
    result["duration_s"] = args.duration
    print_send(result)
    return result


def print_send(result: dict[str, Any]) -> None:
    print(f"\n## send (median of {len(result['rows'][0]['repeats'])} repeats)\n")
    print("| client | c | req/s | client CPU µs/call | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in sorted(result["rows"], key=lambda r: (r["concurrency"], list_order(r))):
        print(
            f"| {row['client']} | {row['concurrency']} | {row['rps']:,.0f} | "
            f"{row['cpu_us_per_call']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} |"
        )
    print("\n| ratio | value |\n|---|---:|")
    for name, value in result["ratios"].items():
        print(f"| {name} | {value:.2f} |")


def list_order(row: dict[str, Any]) -> int:
    from benchmarks.bench_send import CLIENTS

    names = list(CLIENTS)
    name = row["client"].removesuffix(bench_send_before())
    index = names.index(name) if name in names else len(names)
    return 2 * index + (name != row["client"])


def bench_send_before() -> str:
    from benchmarks.bench_send import BEFORE

    return BEFORE


def decode_section(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import bench_decode

    batches = 5 if args.quick else 9
    result = bench_decode.run(batches=batches)
    if args.baseline_path:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_decode", str(batches)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": args.baseline_path},
            cwd=args.baseline_path.split(os.pathsep)[0],
        )
        result["before"] = json.loads(done.stdout.strip().splitlines()[-1])
    print("\n## decode a 100-message page (µs per message, median)\n")
    print(f"orjson installed:       {result['orjson']}")
    print(f"json.loads alone:       {result['json_loads_us_per_message']:.2f}")
    print(
        f"SDK decode from bytes:  {result['sdk_decode_us_per_message']:.2f} "
        f"(x{result['ratio_decode_to_loads']:.2f} json.loads)"
    )
    if "before" in result:
        before = result["before"]
        print(
            f"  code before:          {before['sdk_decode_us_per_message']:.2f} "
            f"(x{before['ratio_decode_to_loads']:.2f} json.loads in its process)"
        )
    print(f"structure into models:  {result['structure_us_per_message']:.2f}")
    print(f"loads + structure:      {result['loads_plus_structure_us_per_message']:.2f}")
    print(f"ratio structure/loads:  {result['ratio_structure_to_loads']:.2f}")
    return result


def import_section(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import bench_import

    result = bench_import.run(repeats=7 if args.quick else 15, baseline=args.baseline_path)
    print("\n## import time (fresh interpreters, median)\n")
    print(f"import httpx:          {result['httpx_ms']:.1f} ms")
    print(f"import connectsafely:  {result['connectsafely_ms']:.1f} ms")
    print(f"ratio:                 {result['ratio']:.2f}")
    if "before_ms" in result:
        print(
            f"import connectsafely, code before: {result['before_ms']:.1f} ms "
            f"(now/before x{result['connectsafely_ms'] / result['before_ms']:.2f})"
        )
    print(
        "import connectsafely loads aiohttp / tenacity / connectsafely.testing: "
        f"{result['imports_aiohttp']} / {result['imports_tenacity']} / "
        f"{result['imports_testing']}"
    )
    return result


def webhooks_section(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import bench_webhooks

    result = bench_webhooks.run(quick=args.quick)
    bench_webhooks.report(result)
    return result


def limits_section(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import bench_limits

    result = bench_limits.run(
        quick=args.quick, progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True)
    )
    print(
        "\n## limits (issue 15): 8 accounts x 15 sends per 3 s, key 160 per 3 s, "
        "send_many(concurrency=16), the fake on loopback in its own process\n"
    )
    for line in bench_limits.report(result):
        print(line)
    return result


def external_section(
    name: str, argv: list[str], results_file: str, baseline: str | None = None
) -> dict[str, Any]:
    """Run a benchmark module as a subprocess and collect its JSON.

    With ``baseline`` (a ``PYTHONPATH``), the module runs with that ``connectsafely``.
    """
    module = f"benchmarks.{name}"
    print(f"\n## {name}{' (code before)' if baseline else ''}\n")
    if importlib.util.find_spec(module) is None:
        print(f"{name}: not available (benchmarks/{name}.py is missing)")
        return {"available": False}
    started = time.perf_counter()
    env = None if baseline is None else {**os.environ, "PYTHONPATH": baseline}
    cwd = None if baseline is None else baseline.split(os.pathsep)[0]
    done = subprocess.run([sys.executable, "-m", module, *argv], check=False, env=env, cwd=cwd)
    if done.returncode != 0:
        print(f"{name}: failed with exit code {done.returncode}")
        return {"available": True, "returncode": done.returncode}
    path = RESULTS_DIR / results_file
    data = json.loads(path.read_text()) if path.exists() else {}
    return {
        "available": True,
        "argv": argv,
        "seconds": time.perf_counter() - started,
        "results": data,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="connectsafely benchmark suite")
    parser.add_argument("--quick", action="store_true", help="shorter run (about a minute)")
    parser.add_argument("--repeats", type=int, default=None, help="send: repeats (default 3)")
    parser.add_argument("--duration", type=float, default=None, help="send: window seconds")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["send", "decode", "pagination", "upload", "import", "webhooks", "limits"],
        default=["send", "decode", "pagination", "upload", "import", "webhooks", "limits"],
    )
    parser.add_argument(
        "--baseline",
        metavar="GIT_REF",
        default=None,
        help="also measure the SDK as of this git ref (e.g. main), interleaved, same run",
    )
    parser.add_argument(
        "--charts",
        metavar="FOLDER",
        default=None,
        help="draw SVG charts of this run into FOLDER (e.g. docs/images)",
    )
    parser.add_argument("--skip-clients", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    if args.duration is None:
        args.duration = 0.4 if args.quick else 0.8

    args.baseline_path = None
    baseline_folder = None
    if args.baseline:
        baseline_folder = tempfile.TemporaryDirectory(prefix="cs-bench-baseline-")
        args.baseline_path = checkout(args.baseline, Path(baseline_folder.name))
    info = machine()
    print(
        f"# connectsafely benchmarks: {info['nproc']} cores, {info['cpu']}, "
        f"Python {info['python']}, {json.dumps(info['versions'])}"
    )
    print(SERVER_CHOICE)
    started = time.perf_counter()
    suite: dict[str, Any] = {"machine": info, "quick": args.quick, "argv": sys.argv[1:]}
    if "send" in args.only:
        suite["send"] = send_section(args)
    if "decode" in args.only:
        suite["decode"] = decode_section(args)
    if "pagination" in args.only:
        sizes = ["10000"] if args.quick else ["10000", "100000"]
        walk_argv = ["--messages", *sizes, "--backend", "asyncio"]
        walk_argv += ["--repeats", "3" if args.quick else "5", "--profile", "25"]
        if args.baseline_path:
            walk_argv += ["--baseline", args.baseline_path]
        suite["pagination"] = external_section("bench_pagination", walk_argv, "pagination.json")
    if "upload" in args.only:
        upload_argv = [
            "--size-mb",
            "50" if args.quick else "200",
            "--repeat",
            "1" if args.quick else "2",
            "--backend",
            "asyncio",
        ]
        suite["upload"] = external_section("bench_upload", upload_argv, "upload.json")
        if args.baseline_path:
            suite["upload_before"] = external_section(
                "bench_upload", upload_argv, "upload.json", baseline=args.baseline_path
            )
    if "import" in args.only:
        suite["import"] = import_section(args)
    if "webhooks" in args.only:
        suite["webhooks"] = webhooks_section(args)
    if "limits" in args.only:
        suite["limits"] = limits_section(args)
    suite["seconds"] = time.perf_counter() - started
    suite["baseline"] = args.baseline
    suite["targets"] = targets.evaluate(suite)
    targets.print_table(suite["targets"])
    out = RESULTS_DIR / ("suite-quick.json" if args.quick else "suite.json")
    write_results(out, suite)
    if args.charts:
        from benchmarks import charts

        for path in charts.draw(suite, Path(args.charts)):
            print(f"chart: {path}")
    if baseline_folder is not None:
        baseline_folder.cleanup()
    print(f"\nDone in {suite['seconds']:.0f} s; results in {out}")


def checkout(ref: str, folder: Path) -> str:
    """``connectsafely/`` as of git ``ref``, extracted into ``folder``; returns the
    ``PYTHONPATH`` that imports it (with this checkout's ``benchmarks`` after it)."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "archive", ref, "connectsafely"], cwd=repo, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return f"{folder}{os.pathsep}{repo}"


if __name__ == "__main__":
    main()
