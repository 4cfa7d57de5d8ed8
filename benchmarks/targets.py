"""The performance targets, checked against one run of ``python -m benchmarks``.

Every figure compared here comes from the same run. A ratio of two clients is decided
as `_paired` explains: per-repeat ratios of the two clients measured back to back, their
median and min-max spread, and a verdict PASS / MISS / UNDECIDED from the confidence
interval of the median (at five repeats: min-max). The targets that need two clients
are checked in each server mode (``responder``, ``uvicorn``). Nothing here fails the
run: the table is for a person to read (timing on a shared 2-core machine is too noisy
for CI to gate on; see docs/performance.md).

Targets from single figures (decode, import, upload, memory) have no spread and are
PASS or MISS on the figure.

"Nothing gets slower" rows need ``--baseline``: the SDK as of another git ref measured
in the same run, each of its rows right after the current code's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._paired import summarize, verdict

NOT_SLOWER = 1.03
"""Now / before may be up to this and count as "costs nothing measurable": the whole
interval must be at most 3 % above the code before (and MISS when all of it is above)."""

NOISE = 1.05
"""Now / before allowance for the single-figure rows (import time)."""

BEFORE = " [before]"

SEND_TARGETS: tuple[tuple[str, str, str, int, str, float], ...] = (
    ("default CPU/call / raw httpx, c=1", "sdk (default)", "httpx (default pool)", 1, "<=", 0.9),
    (
        "default CPU/call / raw httpx, c=256",
        "sdk (default)",
        "httpx (default pool)",
        256,
        "<=",
        0.9,
    ),
    (
        "AioHttpClient CPU/call / raw aiohttp, c=256",
        "sdk + AioHttpClient",
        "aiohttp",
        256,
        "<=",
        1.3,
    ),
    ("AioHttpClient CPU/call / raw aiohttp, c=1", "sdk + AioHttpClient", "aiohttp", 1, "<=", 1.5),
)
"""(target, numerator row, denominator row, concurrency, op, limit): design §17."""

LIKE_FOR_LIKE: tuple[tuple[str, str, str, int, str, float], ...] = (
    (
        "default CPU/call / raw httpx 16 in flight, c=256 (like for like, not in §17)",
        "sdk (default)",
        "httpx (16 in flight)",
        256,
        "<=",
        0.9,
    ),
)
"""Raw httpx kept to the SDK's 16 requests in flight: at c=256 plain raw httpx spends
most of its CPU in httpcore's pool bookkeeping, which says little about the SDK."""

NOT_SLOWER_CLIENTS = ("sdk (default)", "sdk + AioHttpClient", "sdk + limits + sqlite store")
NOT_SLOWER_CONCURRENCIES = (1, 256)
"""The concurrencies of §17's targets: "costs nothing" is decided there (other
concurrencies' ``[before]`` rows are in the send tables and charts only)."""

WALK_TARGET = (">=", 1.2)
"""A walk of 100,000 messages with models: msg/s of the SDK / raw httpx."""

Paired = Callable[[str, str, int], Sequence[float]]
"""``paired(a, b, concurrency)``: the per-repeat CPU ratios a / b of one run."""


def _row(
    name: str, mode: str, ratios: Sequence[float], op: str, limit: float, note: str = ""
) -> dict[str, Any]:
    summary = summarize(ratios, op, limit)
    return {"target": name, "mode": mode, "op": op, "limit": limit, "note": note, **summary}


def _single(name: str, value: float, op: str, limit: float, note: str = "") -> dict[str, Any]:
    status = verdict(value, value, op, limit)
    return {
        "target": name,
        "mode": "",
        "op": op,
        "limit": limit,
        "note": note,
        "median": value,
        "min": value,
        "max": value,
        "low": value,
        "high": value,
        "repeats": 1,
        "status": status,
        "ratios": [value],
    }


def send_targets(
    mode: str,
    paired: Paired,
    clients: Sequence[str],
    concurrencies: Sequence[int],
    *,
    baseline: bool,
) -> list[dict[str, Any]]:
    """The send targets of one server mode."""
    rows = []
    for name, a, b, concurrency, op, limit in SEND_TARGETS + LIKE_FOR_LIKE:
        if a in clients and b in clients and concurrency in concurrencies:
            rows.append(_row(name, mode, paired(a, b, concurrency), op, limit))
        else:
            rows.append(_row(name, mode, [], op, limit, "not measured in this run"))
    for client in NOT_SLOWER_CLIENTS:
        if client not in clients:
            continue
        for concurrency in concurrencies:
            if concurrency not in NOT_SLOWER_CONCURRENCIES:
                continue
            name = f"{client} CPU/call now / before, c={concurrency}"
            if baseline:
                ratios = paired(client, client + BEFORE, concurrency)
                rows.append(_row(name, mode, ratios, "<=", NOT_SLOWER, "third wave: costs nothing"))
            elif client == "sdk (default)":
                rows.append(
                    _row(name, mode, [], "<=", NOT_SLOWER, "run with --baseline <ref before it>")
                )
    return rows


def send_pairs(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """The (numerator, denominator, concurrency) behind each UNDECIDED send row."""
    wanted = []
    for row in rows:
        if row["status"] != "UNDECIDED":
            continue
        for name, a, b, concurrency, *_ in SEND_TARGETS + LIKE_FOR_LIKE:
            if name == row["target"]:
                wanted.append((a, b, concurrency))
        for client in NOT_SLOWER_CLIENTS:
            prefix = f"{client} CPU/call now / before, c="
            if row["target"].startswith(prefix):
                wanted.append((client, client + BEFORE, int(row["target"][len(prefix) :])))
    return wanted


def walk_target(mode: str, walk: dict[str, Any]) -> dict[str, Any]:
    """The walk target of one server mode, from bench_pagination's result for a size."""
    op, limit = WALK_TARGET
    note = f"{walk['messages_per_s']:,.0f} vs {walk['raw_httpx_messages_per_s']:,.0f} msg/s"
    name = f"walk {walk['messages']:,} msgs with models: msg/s SDK / raw httpx"
    return _row(name, mode, walk.get("ratios_messages_per_s", []), op, limit, note)


def evaluate(suite: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the run: send and walk per server mode, then the single figures."""
    rows: list[dict[str, Any]] = []
    for send in suite.get("send", {}).values():
        rows.extend(send.get("targets", []))
    for mode, section in suite.get("pagination", {}).items():
        walk = _walk(section)
        if walk is None:
            continue
        rows.append(walk_target(mode, walk))
        memory = _single("walk: peak traced memory (MB)", walk["peak_traced_kb"] / 1024, "<", 10)
        rows.append({**memory, "mode": mode})
        if "before" in walk:
            before = walk["before"]
            ratios = before.get("ratios_now_before", [])
            name = "walk msg/s now / before"
            rows.append(_row(name, mode, ratios, ">=", 1 / NOT_SLOWER, "third wave: costs nothing"))
    decode = suite.get("decode")
    if decode:
        note = "orjson installed" if decode.get("orjson") else "without orjson"
        name = "decode a page: SDK / json.loads"
        if decode.get("ratios_decode_to_loads"):  # per batch, paired
            rows.append(_row(name, "", decode["ratios_decode_to_loads"], "<=", 1.5, note))
        else:
            rows.append(_single(name, decode["ratio_decode_to_loads"], "<=", 1.5, note))
    imports = suite.get("import", {})
    if "before_ms" in imports:
        name = "from connectsafely import AsyncClient: now / before"
        samples = imports.get("samples_ms", {})
        if samples.get("before"):  # round by round, paired
            ratios = [
                now / before
                for now, before in zip(samples["connectsafely"], samples["before"], strict=True)
            ]
            rows.append(_row(name, "", ratios, "<=", NOISE))
        else:
            rows.append(
                _single(name, imports["connectsafely_ms"] / imports["before_ms"], "<=", NOISE)
            )
    upload = suite.get("upload", {}).get("results", {})
    upload_before = suite.get("upload_before", {}).get("results", {})
    now_mb, before_mb = _upload_peak(upload), _upload_peak(upload_before)
    if not math.isnan(now_mb) and not math.isnan(before_mb):
        rows.append(
            _single(
                "upload peak RSS (MB): now - before",
                now_mb - before_mb,
                "<=",
                1.0,
                f"{now_mb:.1f} vs {before_mb:.1f} MB above baseline",
            )
        )
    telemetry = suite.get("telemetry")
    if telemetry:
        ratios = telemetry["api_to_none"]["ratios"]
        sdk = telemetry["ratio_sdk_to_none"]
        note = f"reported: with the SDK recording, x{sdk:.2f}"
        name = "CPU/send, opentelemetry-api and no SDK / no OpenTelemetry"
        mode = "responder" if "pinned" in telemetry else "in-process fake"
        rows.append(_row(name, mode, ratios, "<=", telemetry["target_api_to_none"], note))
    pipeline = suite.get("pipeline")
    if pipeline and "now_before" in pipeline:
        calls = f"Python calls per send x{pipeline['calls_now_before']:.2f}"
        name = "SDK pipeline alone (no I/O): CPU/send now / before"
        rows.append(_row(name, "no I/O", pipeline["now_before"]["ratios"], "<=", NOT_SLOWER, calls))
    network = suite.get("network")
    if network:
        server = network.get("server", "")
        for row in network.get("targets", []):
            rows.append(_row(row["target"], server, row["ratios"], row["op"], row["limit"]))
        for row in network.get("reported", []):
            reported = _row(row["target"], server, row["ratios"], "<=", math.inf)
            rows.append({**reported, "status": "reported", "note": "no target"})
    return rows


def _walk(section: dict[str, Any]) -> dict[str, Any] | None:
    runs = section.get("results", {}).get("backends", {}).get("asyncio", [])
    return runs[-1] if runs else None


def _upload_peak(results: dict[str, Any]) -> float:
    runs = results.get("backends", {}).get("asyncio", {})
    if isinstance(runs, dict):
        value = runs.get("peak_rss_above_baseline_mb", runs.get("peak_rss_mb"))
        if isinstance(value, (int, float)):
            return float(value)
    return math.nan


def _limit(row: dict[str, Any]) -> str:
    return "—" if math.isinf(row["limit"]) else f"{row['op']} {row['limit']:g}"


def _fmt(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}"


def table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The targets as Markdown table lines."""
    out = [
        "| target | server | median | min-max | decided on | repeats | limit | result | note |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        spread = "—" if row["repeats"] <= 1 else f"{_fmt(row['min'])}-{_fmt(row['max'])}"
        decided = "—" if row["repeats"] <= 1 else f"{_fmt(row['low'])}-{_fmt(row['high'])}"
        out.append(
            f"| {row['target']} | {row['mode'] or '—'} | {_fmt(row['median'])} | {spread} | "
            f"{decided} | {row['repeats'] or '—'} | {_limit(row)} | "
            f"{row['status']} | {row['note']} |"
        )
    return out


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    """The targets as a Markdown table, on stdout."""
    print("\n## targets (this run)\n")
    for line in table(rows):
        print(line)
