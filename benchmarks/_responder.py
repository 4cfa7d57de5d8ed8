"""A minimal HTTP/1.1 keep-alive responder that answers every request with a canned body.

Why not the fake server (`FakeConnectSafely().serve()` under uvicorn)? The benchmark
measures the *client*. Under uvicorn + h11 + the fake's routing and JSON handling the
server spends roughly as much CPU per request as the fastest clients do, so at high
concurrency the server, not the client, would set the requests/s ceiling and every
client would look alike. This responder is an `asyncio.Protocol` that only finds the end
of each request (headers plus ``Content-Length`` bytes) and writes a prebuilt response:
a few microseconds per request, so one core serves far more than any client here can ask.

Run it as its own process (``python -m benchmarks._responder``): it prints
``PORT <n>`` on stdout once listening and serves until stdin closes or it is killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from types import TracebackType

SEND_RESPONSE = {
    "success": True,
    "message": "Message sent successfully",
    "recipientProfileUrn": "urn:li:fsd_profile:ACoAABenchmarkRecipient0000000",
    "sentMessage": {
        "messageUrn": "urn:li:msg_message:(urn:li:fsd_profile:ACoAABench,2-bench)",
        "text": "Hello! Quick question about your work.",
        "sentAt": 1_732_550_400_000,
        "conversationUrn": "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAABench,2-b==)",
    },
}

_BODY = json.dumps(SEND_RESPONSE, separators=(",", ":")).encode()
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n"
    b"Connection: keep-alive\r\n"
    b"\r\n" + _BODY
)
_HEADERS_END = b"\r\n\r\n"


class CannedHttp(asyncio.Protocol):
    """Answers each complete HTTP/1.1 request on the connection with `_RESPONSE`."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        answered = 0
        while True:
            end = buffer.find(_HEADERS_END)
            if end < 0:
                break
            head = bytes(buffer[:end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else None])
            total = end + 4 + length
            if len(buffer) < total:
                break
            del buffer[:total]
            answered += 1
        if answered and self.transport is not None:
            # Pipelined requests get their answers in one write.
            self.transport.write(_RESPONSE * answered)


async def serve(host: str, port: int) -> None:
    """Listen, announce the port, and serve until stdin reaches EOF."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(CannedHttp, host, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    # The parent holds our stdin open; when it exits (or closes the pipe) we stop.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class ResponderProcess:
    """Starts the responder in a separate process (pinned to ``cpu`` when given).

    Use as ``with ResponderProcess(cpu=1) as server: server.base_url``.
    """

    def __init__(self, cpu: int | None = None) -> None:
        self.cpu = cpu
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ResponderProcess:
        args = [sys.executable, "-m", "benchmarks._responder", "0"]
        if self.cpu is not None:
            args.append(str(self.cpu))
        self._process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self._process.kill()
            raise RuntimeError(f"benchmark responder did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{line[1]}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()


def main() -> None:
    """Entry point: ``python -m benchmarks._responder [port] [cpu]``."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if len(sys.argv) > 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(sys.argv[2])})
    asyncio.run(serve("127.0.0.1", port))


if __name__ == "__main__":
    main()
