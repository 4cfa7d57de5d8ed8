"""``import connectsafely`` against ``import httpx``, each in fresh interpreters.

Each sample is a new ``python -c`` process that times only the import statement (not
interpreter start-up), so the ratio compares what each import adds. Samples of the two
modules alternate so background load affects both alike; the median is reported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

_SNIPPET = (
    "import time, sys; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t); "
    "print(int('aiohttp' in sys.modules), int('tenacity' in sys.modules), "
    "int('connectsafely.testing' in sys.modules))"
)


def _one(module: str) -> tuple[float, list[int]]:
    out = subprocess.run(
        [sys.executable, "-c", _SNIPPET.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return float(out[0]), [int(flag) for flag in out[1].split()]


def run(*, repeats: int = 15) -> dict[str, Any]:
    """Median import time of each module (ms) and the ratio connectsafely/httpx."""
    times: dict[str, list[float]] = {"httpx": [], "connectsafely": []}
    flags: list[int] = []
    for _ in range(repeats):
        for module, samples in times.items():
            seconds, loaded = _one(module)
            samples.append(seconds * 1000)
            if module == "connectsafely":
                flags = loaded
    httpx_ms = statistics.median(times["httpx"])
    sdk_ms = statistics.median(times["connectsafely"])
    return {
        "httpx_ms": httpx_ms,
        "connectsafely_ms": sdk_ms,
        "ratio": sdk_ms / httpx_ms,
        "repeats": repeats,
        "samples_ms": times,
        "imports_aiohttp": bool(flags[0]),
        "imports_tenacity": bool(flags[1]),
        "imports_testing": bool(flags[2]),
    }


if __name__ == "__main__":
    print(run())
