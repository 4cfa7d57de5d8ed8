"""Helpers the benchmark scripts share: the fake in a child process, the results files."""

from __future__ import annotations

import json
import platform
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import connectsafely

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@contextmanager
def child_server(module: str, *args: str, ready: str) -> Iterator[str]:
    """Run ``python -m <module> --serve <args>`` and yield the rest of its ready line.

    The child serves the fake in its own process, so the server's CPU does not compete
    with the measured client under one GIL. It prints ``<ready> ...`` once listening and
    stops when its stdin closes, which leaving the block does.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--serve", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line.startswith(ready + " "):
            process.kill()
            raise RuntimeError(f"server did not start: {line!r}")
        yield line[len(ready) + 1 :].rstrip("\n")
    finally:
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def enable_nodelay(server: Any) -> None:
    """Turn on TCP_NODELAY for the connections the fake accepts.

    The loopback server's listening socket is created without ``IPPROTO_TCP``, so
    asyncio does not enable TCP_NODELAY on accepted connections; uvicorn writes a
    response's headers and body separately, and Nagle plus the client's delayed ACK
    then add ~40 ms to every response. Accepted sockets inherit the listener's option
    (Linux), so setting it here is enough. Harmless once the server does it itself.
    """
    for listener in getattr(server._server, "servers", ()):
        for sock in listener.sockets:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def environment() -> dict[str, str]:
    """Python, platform and SDK versions, recorded with every result."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "connectsafely": connectsafely.__version__,
    }


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write ``results`` as indented JSON, creating the results directory if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
