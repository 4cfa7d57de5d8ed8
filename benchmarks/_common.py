"""Helpers the benchmark scripts share: server processes, pinning, the results files."""

from __future__ import annotations

import json
import os
import platform
import re
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


SERVERS = {"responder": "benchmarks._responder", "uvicorn": "benchmarks._served_api"}
"""The two servers of ``send`` and of the walk, by mode (``--server``)."""


class ServerProcess:
    """One of `SERVERS` in a separate process, pinned to ``cpu`` when given.

    Use as ``with ServerProcess("uvicorn", cpu=1) as server: server.base_url``. The
    child prints ``PORT <n>`` once listening and stops when its stdin closes, which
    leaving the block does.
    """

    def __init__(self, mode: str, cpu: int | None = None) -> None:
        self.mode = mode
        self.cpu = cpu
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        args = [sys.executable, "-m", SERVERS[self.mode], "0"]
        if self.cpu is not None:
            args.append(str(self.cpu))
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self._process.kill()
            self._process.wait()
            raise RuntimeError(f"benchmark server {self.mode} did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{line[1]}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def pin(cpus: set[int]) -> bool:
    """Pin this process to ``cpus`` when the machine has two cores or more."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, cpus)
        return True
    return False


def unpin() -> None:
    """Let this process run on every core again."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def strip_paths(text: str) -> str:
    """Shorten site-packages, standard library and checkout paths in a pstats listing."""
    text = re.sub(r"\S*/site-packages/", "", text)
    text = re.sub(r"\S*/lib/python3\.\d+/", "", text)
    text = re.sub(r"\S*/(connectsafely|benchmarks)/", r"\1/", text)
    return text.strip("\n") + "\n"
