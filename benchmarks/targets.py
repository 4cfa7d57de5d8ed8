"""The performance targets, checked against one run of ``python -m benchmarks``.

Every figure compared here comes from the same run (ratios within one run, so that a
busy machine slows both sides alike). Nothing here fails the run: the table says PASS
or MISS per target, and MISS rows are for a person to read, not for CI to gate on
(timing on a shared 2-core machine is too noisy for that; see docs/performance.md).

"Nothing gets slower" rows need ``--baseline``: the SDK as of another git ref is
measured in the same run, interleaved. Those allow 5 % for noise.
"""

from __future__ import annotations

import math
from typing import Any

NOISE = 1.05
"""Now / before may be up to this before it counts as slower (shared machine)."""


def _send(suite: dict[str, Any], client: str, concurrency: int, key: str) -> float:
    for row in suite.get("send", {}).get("rows", []):
        if row["client"] == client and row["concurrency"] == concurrency:
            return float(row[key])
    return math.nan


def _row(name: str, value: float, limit: float, op: str, note: str = "") -> dict[str, Any]:
    if math.isnan(value):
        status = "n/a"
    elif op == "<=":
        status = "PASS" if value <= limit else "MISS"
    elif op == "<":
        status = "PASS" if value < limit else "MISS"
    else:
        status = "PASS" if value >= limit else "MISS"
    return {
        "target": name,
        "value": value,
        "op": op,
        "limit": limit,
        "status": status,
        "note": note,
    }


def evaluate(suite: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: its measured value, the limit, PASS / MISS (or n/a)."""
    rows = []
    walk = _walk(suite)
    if walk is not None:
        rows.append(
            _row(
                f"walk {walk['messages']:,} msgs: msg/s SDK / raw httpx",
                walk["ratio_messages_per_s"],
                0.9,
                ">=",
                f"{walk['messages_per_s']:,} vs {walk['raw_httpx_messages_per_s']:,} msg/s",
            )
        )
        rows.append(
            _row(
                "walk: peak traced memory (MB)",
                walk["peak_traced_kb"] / 1024,
                10.0,
                "<",
            )
        )
        if "before" in walk:
            rows.append(
                _row(
                    "walk: peak memory now / before",
                    walk["peak_traced_kb"] / max(walk["before"]["peak_traced_kb"], 1.0),
                    1.25,
                    "<=",
                    "unchanged: within 25 % (a page's worth)",
                )
            )
    decode = suite.get("decode")
    if decode:
        rows.append(
            _row(
                "decode a page: SDK / json.loads",
                decode["ratio_decode_to_loads"],
                1.5,
                "<=",
                "orjson installed" if decode.get("orjson") else "without orjson",
            )
        )
    for concurrency, limit in ((256, 2.0), (1, 2.5)):
        sdk = _send(suite, "sdk + AioHttpClient", concurrency, "cpu_us_per_call")
        raw = _send(suite, "aiohttp", concurrency, "cpu_us_per_call")
        rows.append(
            _row(f"AioHttpClient CPU/call / raw aiohttp, c={concurrency}", sdk / raw, limit, "<=")
        )
    sdk = _send(suite, "sdk (default)", 1, "cpu_us_per_call")
    raw = _send(suite, "httpx (256 conns)", 1, "cpu_us_per_call")
    rows.append(_row("default CPU/call / raw httpx, c=1", sdk / raw, 1.05, "<="))
    rows.extend(_not_slower(suite))
    return rows


def _walk(suite: dict[str, Any]) -> dict[str, Any] | None:
    runs = suite.get("pagination", {}).get("results", {}).get("backends", {}).get("asyncio", [])
    return runs[-1] if runs else None


def _not_slower(suite: dict[str, Any]) -> list[dict[str, Any]]:
    if not suite.get("baseline"):
        return []
    rows = []
    imports = suite.get("import", {})
    if "before_ms" in imports:
        rows.append(
            _row(
                "import connectsafely: now / before",
                imports["connectsafely_ms"] / imports["before_ms"],
                NOISE,
                "<=",
            )
        )
    upload = suite.get("upload", {}).get("results", {})
    upload_before = suite.get("upload_before", {}).get("results", {})
    now_mb, before_mb = _upload_peak(upload), _upload_peak(upload_before)
    if not math.isnan(now_mb) and not math.isnan(before_mb):
        rows.append(
            _row(
                "upload peak RSS (MB): now - before",
                now_mb - before_mb,
                1.0,
                "<=",
                f"{now_mb:.1f} vs {before_mb:.1f} MB above baseline",
            )
        )
    concurrencies = sorted({row["concurrency"] for row in suite.get("send", {}).get("rows", [])})
    for client in ("sdk (default)", "sdk + AioHttpClient", "sdk + limits + sqlite store"):
        for concurrency in concurrencies:
            now = _send(suite, client, concurrency, "cpu_us_per_call")
            before = _send(suite, client + " [before]", concurrency, "cpu_us_per_call")
            if not math.isnan(now) and not math.isnan(before):
                rows.append(
                    _row(
                        f"{client} CPU/call now / before, c={concurrency}",
                        now / before,
                        NOISE,
                        "<=",
                    )
                )
    return rows


def _upload_peak(results: dict[str, Any]) -> float:
    runs = results.get("backends", {}).get("asyncio", {})
    if isinstance(runs, dict):
        value = runs.get("peak_rss_above_baseline_mb", runs.get("peak_rss_mb"))
        if isinstance(value, (int, float)):
            return float(value)
    return math.nan


def print_table(rows: list[dict[str, Any]]) -> None:
    """The targets as a Markdown table."""
    print("\n## targets (this run)\n")
    print("| target | measured | limit | result | note |")
    print("|---|---:|---:|---|---|")
    for row in rows:
        print(
            f"| {row['target']} | {row['value']:.2f} | {row['op']} {row['limit']:g} | "
            f"{row['status']} | {row['note']} |"
        )
