"""``from connectsafely import AsyncClient`` against ``import httpx``, in fresh interpreters.

``import connectsafely`` alone loads only the version (every public name is loaded on
first access), so the SDK's figure is the import a program that uses it makes: the
client, which brings httpx, anyio, attrs and cattrs along.

Each sample is a new ``python -c`` process that times only the import statement (not
interpreter start-up), so the ratio compares what each import adds. Samples of the two
modules alternate so background load affects both alike; the median is reported.

Both are measured with compiled bytecode available, as after ``pip install`` (which
byte-compiles) and as httpx is here: the children write and read their ``.pyc`` files
under a temporary ``PYTHONPYCACHEPREFIX`` (one warm-up round fills it), so a
``PYTHONDONTWRITEBYTECODE`` environment or an editable checkout without ``__pycache__``
does not make the SDK pay for compiling its source on every import while httpx does
not. That compile-every-time figure is reported too (``*_uncached_ms``), because it is
what a source checkout with bytecode writing disabled sees.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

_SNIPPET = (
    "import time, sys; t = time.perf_counter(); {statement}; "
    "print(time.perf_counter() - t); "
    "print(int('aiohttp' in sys.modules), int('tenacity' in sys.modules), "
    "int('connectsafely.testing' in sys.modules))"
)

_MODULES = ("httpx", "connectsafely")

_STATEMENTS = {"httpx": "import httpx", "connectsafely": "from connectsafely import AsyncClient"}


def _one(module: str, env: dict[str, str], cwd: str | None = None) -> tuple[float, list[int]]:
    out = subprocess.run(
        [sys.executable, "-c", _SNIPPET.format(statement=_STATEMENTS[module])],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=cwd,
    ).stdout.split("\n")
    return float(out[0]), [int(flag) for flag in out[1].split()]


def _medians(
    repeats: int, env: dict[str, str], baseline: str | None = None
) -> tuple[dict[str, list[float]], list[int]]:
    times: dict[str, list[float]] = {module: [] for module in _MODULES}
    if baseline is not None:
        times["before"] = []
    flags: list[int] = []
    for _ in range(repeats):
        for module, samples in times.items():
            if module == "before":
                assert baseline is not None
                # `python -c` puts the working directory first on sys.path.
                before_env = {**env, "PYTHONPATH": baseline}
                seconds, _ = _one("connectsafely", before_env, baseline.split(os.pathsep)[0])
            else:
                seconds, loaded = _one(module, env)
            samples.append(seconds * 1000)
            if module == "connectsafely":
                flags = loaded
    return times, flags


def run(*, repeats: int = 15, baseline: str | None = None) -> dict[str, Any]:
    """Median import time of each module (ms) and the ratio connectsafely/httpx.

    With ``baseline`` (a ``PYTHONPATH`` whose ``connectsafely`` is the code before a
    change) that import is timed too, interleaved with the others: ``before_ms``.
    """
    with tempfile.TemporaryDirectory(prefix="cs-bench-pyc-") as cache:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        _medians(1, cached, baseline)  # warm-up: compiles and caches the bytecode
        times, flags = _medians(repeats, cached, baseline)
    uncached = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    uncached.pop("PYTHONPYCACHEPREFIX", None)
    cold, _ = _medians(max(3, repeats // 3), uncached)
    httpx_ms = statistics.median(times["httpx"])
    sdk_ms = statistics.median(times["connectsafely"])
    before = {"before_ms": statistics.median(times["before"])} if baseline else {}
    return {
        **before,
        "httpx_ms": httpx_ms,
        "connectsafely_ms": sdk_ms,
        "ratio": sdk_ms / httpx_ms,
        "repeats": repeats,
        "samples_ms": times,
        "httpx_uncached_ms": statistics.median(cold["httpx"]),
        "connectsafely_uncached_ms": statistics.median(cold["connectsafely"]),
        "ratio_uncached": statistics.median(cold["connectsafely"])
        / statistics.median(cold["httpx"]),
        "imports_aiohttp": bool(flags[0]),
        "imports_tenacity": bool(flags[1]),
        "imports_testing": bool(flags[2]),
    }


if __name__ == "__main__":
    print(run())
