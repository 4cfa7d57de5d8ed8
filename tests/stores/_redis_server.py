"""A throwaway ``redis-server`` for tests: its own free 127.0.0.1 port and directory.

Started with ``--save "" --appendonly no`` (nothing written to disk), waited for until it
answers ``PING``, and stopped (terminate, then kill) when done, so no server outlives
its tests. Without the binary the tests that need it skip, except under CI (``CI=true``),
where they fail: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

INSTALL = "apt-get install redis-server"


def redis_binary() -> str:
    """The ``redis-server`` path; skips the test (fails it under ``CI=true``) without it."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"redis-server is not installed, and CI=true: the Redis tests must run in CI "
                f"({INSTALL}; .ci/run does it).",
                pytrace=False,
            )
        pytest.skip(f"redis-server not installed ({INSTALL})")
    return binary


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; ``url`` reaches it (with the password, if any)."""

    def __init__(self, directory: Path, *, password: str | None = None) -> None:
        self.directory = directory
        self.password = password
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        binary = redis_binary()
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            command = [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--logfile", str(self.directory / f"redis-{self.port}.log"),
            ]  # fmt: skip
            if self.password:
                command += ["--requirepass", self.password]
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
            )
            if self._wait_ready(timeout):
                return self
            self.stop()
        log = self.directory / f"redis-{self.port}.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"redis-server did not start on 127.0.0.1:{self.port}:\n{tail}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
                    conn.sendall(b"PING\r\n")
                    reply = conn.recv(64)
                # Up: PONG, or a request to authenticate first.
                if reply.startswith((b"+PONG", b"-NOAUTH")):
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crashed or stopped server: connections drop at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # in case a test froze it
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        else:
            process.wait()
