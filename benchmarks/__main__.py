"""The benchmark suite: ``python -m benchmarks`` (or ``nox -s bench``).

Measures, in one run, the SDK against raw httpx and aiohttp: ``send`` at several
concurrencies, decoding a 100-message page, pagination, a 200 MB upload and import time;
the limits per layer (``bench_limits``: pacing 8 accounts, holds, 429 counts, the
gate's CPU); and what telemetry costs per send (``bench_telemetry``: without
OpenTelemetry, with only its API, with the SDK recording), each with its target and
PASS/MISS.
Prints tables and writes ``benchmarks/results/suite.json`` (git-ignored). Nothing here
passes or fails on timing; it reports. ``--quick`` runs a shorter version.

``send`` and the walk run against each server of ``--server`` in another process (see
`SERVER_CHOICE`), repeat by repeat, each ratio decided as `benchmarks._paired` explains
(PASS / MISS / UNDECIDED, with more repeats for the undecided). ``--profile send-cN``
profiles one client instead of running the suite; ``--markdown FILE`` writes the run's
tables for docs/performance.md; ``--charts FOLDER`` draws them.
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

from benchmarks import report, targets
from benchmarks._common import RESULTS_DIR, ServerProcess, pin, unpin, write_results

SERVER_CHOICE = (
    "send and the walk run against two servers in another process, pinned to the second "
    "core (the client to the first): benchmarks/_responder.py, a minimal asyncio Protocol "
    "answering with canned responses and three headers (the client's cost alone), and "
    "benchmarks/_served_api.py, the same bodies from an ASGI app under uvicorn with a "
    "real API's headers (what users meet). Ratios are per-repeat medians with their "
    "min-max spread (benchmarks/_paired.py)."
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


def send_section(args: argparse.Namespace) -> dict[str, Any]:
    """``send`` in every server mode of ``--server``: the grid, then more repeats for
    each target left UNDECIDED (doubling, up to ``--max-repeats``)."""
    from benchmarks import bench_send

    clients = list(bench_send.CLIENTS)
    if importlib.util.find_spec("aiohttp") is None or not importlib.util.find_spec("httpx_aiohttp"):
        print("send: aiohttp / httpx-aiohttp not installed: their rows are not available")
        for name in ("sdk + AioHttpClient", "httpx + httpx-aiohttp", "aiohttp"):
            clients.remove(name)
    clients = [name for name in clients if name not in args.skip_clients]
    concurrencies = tuple(args.concurrency)
    out: dict[str, Any] = {}
    pinned = pin({0})
    try:
        for mode in args.servers:
            with ServerProcess(mode, cpu=1 if pinned else None) as server:
                grid = bench_send.SendGrid(
                    server.base_url,
                    clients=clients,
                    concurrencies=concurrencies,
                    duration=args.duration,
                    baseline=args.baseline_path,
                    progress=lambda line, mode=mode: print(
                        f"  {mode}: {line}", file=sys.stderr, flush=True
                    ),
                )
                for _ in range(args.repeats):
                    grid.repeat()
                rows = _decide(args, mode, grid, clients, concurrencies)
            result = grid.result()
            result.update(targets=rows, server=mode, pinned=pinned, duration_s=args.duration)
            out[mode] = result
            report.print_send(mode, result)
    finally:
        if pinned:
            unpin()
    return out


def _decide(
    args: argparse.Namespace,
    mode: str,
    grid: Any,
    clients: list[str],
    concurrencies: tuple[int, ...],
) -> list[dict[str, Any]]:
    """The send targets of ``grid``, re-measuring undecided pairs until decided or capped."""
    baseline = args.baseline_path is not None
    while True:
        rows = targets.send_targets(mode, grid.paired, clients, concurrencies, baseline=baseline)
        grown = False
        for a, b, concurrency in targets.send_pairs(rows):
            have = len(grid.paired(a, b, concurrency))
            goal = min(2 * have, args.max_repeats)
            if have >= goal:
                continue
            print(
                f"  {mode}: {a} / {b} at c={concurrency} undecided after {have} repeats: "
                f"measuring up to {goal}",
                file=sys.stderr,
                flush=True,
            )
            for _ in range(goal - have):
                grid.pair(a, b, concurrency)
            grown = True
        if not grown:
            return rows


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


def telemetry_section(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import bench_telemetry

    result = bench_telemetry.run(
        repeats=5 if args.quick else 9,
        max_repeats=args.max_repeats,
        progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
    )
    bench_telemetry.report(result)
    return result


def pipeline_section(args: argparse.Namespace) -> dict[str, Any]:
    """The SDK's own cost of a send without I/O (``bench_pipeline``), now and before."""
    from benchmarks import bench_pipeline

    result = bench_pipeline.run(
        repeats=args.repeats,
        baseline=args.baseline_path,
        progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
    )
    bench_pipeline.report(result)
    return result


def network_section(args: argparse.Namespace) -> dict[str, Any]:
    """Issue 24's costs (``bench_network``) against the API under uvicorn."""
    from benchmarks import bench_network

    server = "uvicorn" if "uvicorn" in args.servers else args.servers[0]
    result = bench_network.run(
        server=server,
        repeats=args.repeats,
        max_repeats=args.max_repeats,
        calls=150 if args.quick else 300,
        progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
    )
    bench_network.report(result)
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
    name: str,
    argv: list[str],
    results_file: str,
    baseline: str | None = None,
    label: str = "",
) -> dict[str, Any]:
    """Run a benchmark module as a subprocess and collect its JSON.

    With ``baseline`` (a ``PYTHONPATH``), the module runs with that ``connectsafely``.
    """
    module = f"benchmarks.{name}"
    print(f"\n## {name}{f' ({label})' if label else ''}{' (code before)' if baseline else ''}\n")
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


def pagination_section(args: argparse.Namespace) -> dict[str, Any]:
    """The walks (``bench_pagination``, its own process) against every server mode."""
    from benchmarks.bench_pagination import results_path

    sizes = ["10000"] if args.quick else ["10000", "100000"]
    out = {}
    for mode in args.servers:
        walk_argv = ["--messages", *sizes, "--backend", "asyncio", "--server", mode]
        walk_argv += ["--repeats", str(args.repeats), "--max-repeats", str(args.max_repeats)]
        if mode == args.servers[-1]:
            walk_argv += ["--profile", "25"]
        if args.baseline_path:
            walk_argv += ["--baseline", args.baseline_path]
        out[mode] = external_section(
            "bench_pagination", walk_argv, results_path(mode).name, label=mode
        )
    return out


SECTIONS = [
    "send",
    "decode",
    "pagination",
    "upload",
    "import",
    "webhooks",
    "limits",
    "telemetry",
    "network",
    "pipeline",
]


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="connectsafely benchmark suite")
    parser.add_argument("--quick", action="store_true", help="shorter run")
    parser.add_argument(
        "--repeats", type=int, default=5, help="send and walk: first repeats (at least 5)"
    )
    parser.add_argument(
        "--max-repeats", type=int, default=10, help="cap for an undecided target's repeats"
    )
    parser.add_argument("--duration", type=float, default=None, help="send: window seconds")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument(
        "--server",
        choices=["responder", "uvicorn", "both"],
        default="both",
        help="send and walk: against the canned responder, the API under uvicorn, or both",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS)
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
    parser.add_argument(
        "--markdown",
        metavar="FILE",
        default=None,
        help="write this run's tables as Markdown for docs/performance.md",
    )
    parser.add_argument(
        "--profile",
        metavar="send-cN",
        default=None,
        help="instead of the suite: cProfile one client sending at concurrency N "
        "(e.g. send-c256) against the server of --server (uvicorn for both)",
    )
    parser.add_argument("--profile-client", default="sdk (default)", help="client to profile")
    parser.add_argument("--profile-seconds", type=float, default=3.0)
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--skip-clients", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.max_repeats < args.repeats:
        parser.error("need 1 <= --repeats <= --max-repeats")
    if args.duration is None:
        args.duration = 0.4 if args.quick else 0.8
    args.servers = ["responder", "uvicorn"] if args.server == "both" else [args.server]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.profile:
        profile_main(args)
        return
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
    suite: dict[str, Any] = {
        "machine": info,
        "quick": args.quick,
        "argv": sys.argv[1:] if argv is None else argv,
        "servers": args.servers,
        "commit": _commit(),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": os.getloadavg(),
    }
    if "send" in args.only:
        suite["send"] = send_section(args)
    if "decode" in args.only:
        suite["decode"] = decode_section(args)
    if "pagination" in args.only:
        suite["pagination"] = pagination_section(args)
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
    if "telemetry" in args.only:
        suite["telemetry"] = telemetry_section(args)
    if "network" in args.only:
        suite["network"] = network_section(args)
    if "pipeline" in args.only:
        suite["pipeline"] = pipeline_section(args)
    suite["seconds"] = time.perf_counter() - started
    suite["load_after"] = os.getloadavg()
    suite["baseline"] = args.baseline
    suite["targets"] = targets.evaluate(suite)
    targets.print_table(suite["targets"])
    out = RESULTS_DIR / ("suite-quick.json" if args.quick else "suite.json")
    write_results(out, suite)
    if args.charts:
        from benchmarks import charts

        for path in charts.draw(suite, Path(args.charts)):
            print(f"chart: {path}")
    if args.markdown:
        Path(args.markdown).write_text(report.markdown(suite), encoding="utf-8")
        print(f"markdown: {args.markdown}")
    if baseline_folder is not None:
        baseline_folder.cleanup()
    print(f"\nDone in {suite['seconds']:.0f} s; results in {out}")


def profile_main(args: argparse.Namespace) -> None:
    """``--profile send-cN``: cProfile one client's sends at concurrency N, in this
    process (pinned to the first core), against one server in another."""
    from benchmarks import bench_send

    kind, _, concurrency = args.profile.partition("-c")
    if kind != "send" or not concurrency.isdigit():
        raise SystemExit(f"--profile: expected send-cN (e.g. send-c256), got {args.profile!r}")
    mode = "uvicorn" if args.server == "both" else args.server
    pinned = pin({0})
    try:
        with ServerProcess(mode, cpu=1 if pinned else None) as server:
            result = bench_send.profile(
                args.profile_client,
                server.base_url,
                int(concurrency),
                args.profile_seconds,
                args.profile_top,
            )
    finally:
        if pinned:
            unpin()
    stem = f"profile-{args.profile}-{mode}"
    if args.profile_client != "sdk (default)":
        stem += "-" + "".join(c if c.isalnum() else "-" for c in args.profile_client)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result.pop("stats").dump_stats(RESULTS_DIR / f"{stem}.pstats")
    text = report.profile_text(result, mode, _commit())
    meta = {k: v for k, v in result.items() if k != "profile"}
    write_results(RESULTS_DIR / f"{stem}.json", {**meta, "server": mode, "commit": _commit()})
    (RESULTS_DIR / f"{stem}.txt").write_text(text, encoding="utf-8")
    print(text)
    print(f"written: {RESULTS_DIR / stem}.txt, .json and .pstats")
    print(f"by package: python -m benchmarks.profiles {RESULTS_DIR / stem}")


def _commit() -> str:
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        check=False,
        cwd=repo,
        capture_output=True,
        text=True,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        check=False,
        cwd=repo,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


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
