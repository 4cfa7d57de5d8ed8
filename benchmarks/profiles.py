"""Reading ``--profile`` results: CPU per call by package, and one profile against another.

``python -m benchmarks --profile send-c256`` writes ``profile-<what>.pstats`` (cProfile
with a CPU-time timer, so waiting in ``epoll`` and being descheduled on a busy machine
are not counted) and ``profile-<what>.json`` (the calls completed in the window, the
CPU per call without the profiler's cost unknown: see below). Then::

    python -m benchmarks.profiles benchmarks/results/profile-send-c256-uvicorn
    python -m benchmarks.profiles A B     # A against B: per-call differences

prints the CPU per completed call by package (``connectsafely``, ``httpx``,
``httpcore``, ``h11``, ``anyio``, ``asyncio``, builtins as ``~``) and, for two
profiles, the functions whose own time per call differs most. The profiler costs about
the same per Python function call whatever the function, so it inflates call-heavy
code more than C code: compare profiles with each other, not with unprofiled figures.
"""

from __future__ import annotations

import json
import pstats
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

Key = tuple[str, int, str]


def load(stem: str | Path) -> tuple[dict[Key, tuple[float, float, float]], dict[str, Any]]:
    """``stem.pstats`` as {function: (entries, own µs, cumulative µs)}, each per
    *completed API call*, and ``stem.json``. (cProfile counts every resumption of a
    coroutine as an entry.)"""
    stem = Path(str(stem).removesuffix(".pstats").removesuffix(".json"))
    meta = json.loads(stem.with_suffix(".json").read_text())
    calls = max(1, int(meta["calls"]))
    stats = pstats.Stats(str(stem.with_suffix(".pstats")))
    rows = {}
    for key, (_, ncalls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows[key] = (ncalls / calls, own / calls * 1e6, cumulative / calls * 1e6)
    return rows, meta


def package(filename: str) -> str:
    """The package a profiled function belongs to."""
    found = re.search(r"site-packages/([^/]+)/", filename)
    if found:
        return found.group(1)
    if "/connectsafely/" in filename or "connectsafely" in filename:
        return "connectsafely"
    if "/benchmarks/" in filename:
        return "benchmarks"
    found = re.search(r"python3\.\d+/([^/]+?)(\.py|/)", filename)
    if found:
        return found.group(1)
    return "~" if filename == "~" else "other"


def by_package(rows: dict[Key, tuple[float, float, float]]) -> Counter[str]:
    """Own µs per API call, summed by package."""
    out: Counter[str] = Counter()
    for (filename, _, _), (_, own, _) in rows.items():
        out[package(filename)] += own
    return out


def _name(key: Key) -> str:
    filename, line, function = key
    short = re.sub(r".*/(site-packages|python3\.\d+)/", "", filename)
    short = re.sub(r".*/(connectsafely|benchmarks)/", r"\1/", short)
    return f"{short}:{line}({function})" if filename != "~" else function


def package_table(profiles: dict[str, dict[Key, tuple[float, float, float]]]) -> list[str]:
    """Markdown: own µs per API call by package, one column per profile."""
    sums = {label: by_package(rows) for label, rows in profiles.items()}
    packages = sorted(
        {p for s in sums.values() for p in s}, key=lambda p: -max(s[p] for s in sums.values())
    )
    labels = list(profiles)
    out = ["| package | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for name in packages:
        if max(s[name] for s in sums.values()) < 5:
            continue
        out.append(f"| {name} | " + " | ".join(f"{sums[k][name]:,.0f}" for k in labels) + " |")
    out.append(
        "| **total** | " + " | ".join(f"**{sum(sums[k].values()):,.0f}**" for k in labels) + " |"
    )
    return out


def difference(
    a: dict[Key, tuple[float, float, float]], b: dict[Key, tuple[float, float, float]], top: int
) -> list[str]:
    """The functions whose own µs per API call differ most, A - B."""
    keys = set(a) | set(b)
    diffs = sorted(
        keys, key=lambda k: -abs(a.get(k, (0, 0.0, 0.0))[1] - b.get(k, (0, 0.0, 0.0))[1])
    )
    out = ["| function | A µs/call | B µs/call | A - B |", "|---|---:|---:|---:|"]
    for key in diffs[:top]:
        own_a, own_b = a.get(key, (0, 0.0, 0.0))[1], b.get(key, (0, 0.0, 0.0))[1]
        out.append(f"| `{_name(key)}` | {own_a:.1f} | {own_b:.1f} | {own_a - own_b:+.1f} |")
    return out


def own_functions(rows: dict[Key, tuple[float, float, float]], top: int) -> list[str]:
    """The SDK's own functions by own µs per API call (with cumulative)."""
    mine = [k for k in rows if package(k[0]) == "connectsafely"]
    mine.sort(key=lambda k: -rows[k][1])
    out = ["| function | entries/call | own µs | cumulative µs |", "|---|---:|---:|---:|"]
    for key in mine[:top]:
        entries, own, cumulative = rows[key]
        out.append(f"| `{_name(key)}` | {entries:.1f} | {own:.1f} | {cumulative:.1f} |")
    return out


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    loaded = {Path(stem).name: load(stem) for stem in argv}
    profiles = {label: rows for label, (rows, _) in loaded.items()}
    for label, (_, meta) in loaded.items():
        print(f"{label}: {meta['calls']} calls, {meta['cpu_us_per_call']:.0f} µs CPU/call profiled")
    print()
    print("\n".join(package_table(profiles)))
    first = next(iter(profiles.values()))
    print("\n" + "\n".join(own_functions(first, 25)))
    if len(profiles) == 2:
        a, b = profiles.values()
        print("\n" + "\n".join(difference(a, b, 30)))


if __name__ == "__main__":
    main(sys.argv[1:])
