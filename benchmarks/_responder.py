"""A minimal HTTP/1.1 keep-alive responder that answers every request with a canned response.

Why not the fake server (`FakeConnectSafely().serve()` under uvicorn)? The benchmark
measures the *client*. Under uvicorn + h11 + the fake's routing and JSON handling the
server spends roughly as much CPU per request as the fastest clients do, so at high
concurrency the server, not the client, would set the requests/s ceiling and every
client would look alike. This responder is an `asyncio.Protocol` that only finds the end
of each request (headers plus ``Content-Length`` bytes) and writes a prebuilt response
(three headers and a body of `_api_data`: the send's, or a walk's page, built on first
request and then kept): a few microseconds per request, so one core serves far more than
any client here can ask. `_served_api` is the other mode: the same bodies under uvicorn,
with a real API's headers.

Run it as its own process (``python -m benchmarks._responder``): it prints
``PORT <n>`` on stdout once listening and serves until stdin closes or it is killed.
"""

from __future__ import annotations

import asyncio
import os
import sys

from benchmarks._api_data import route

_HEADERS_END = b"\r\n\r\n"
_STATUS = {"missing": b"404 Not Found"}


def _canned(kind: str, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + _STATUS.get(kind, b"200 OK") + b"\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: keep-alive\r\n"
        b"\r\n" + body
    )


_ANSWERS: dict[bytes, bytes] = {}
"""Request line -> the whole response (a walk's pages are built once, then canned)."""


def answer(request_line: bytes) -> bytes:
    """The canned response to one request line (``METHOD target HTTP/1.1``)."""
    response = _ANSWERS.get(request_line)
    if response is None:
        method, target, _ = request_line.decode("latin-1").split(" ", 2)
        if len(_ANSWERS) > 50_000:
            _ANSWERS.clear()
        response = _ANSWERS[request_line] = _canned(*route(method, target))
    return response


class CannedHttp(asyncio.Protocol):
    """Answers each complete HTTP/1.1 request on the connection with its canned response."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        answers: list[bytes] = []
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
            line_end = buffer.find(b"\r\n")
            answers.append(answer(bytes(buffer[:line_end])))
            del buffer[:total]
        if answers and self.transport is not None:
            # Pipelined requests get their answers in one write.
            self.transport.write(b"".join(answers))


async def serve(host: str, port: int) -> None:
    """Listen, announce the port, and serve until stdin reaches EOF."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(CannedHttp, host, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    # The parent holds our stdin open; when it exits (or closes the pipe) we stop.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main() -> None:
    """Entry point: ``python -m benchmarks._responder [port] [cpu]``."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if len(sys.argv) > 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(sys.argv[2])})
    asyncio.run(serve("127.0.0.1", port))


if __name__ == "__main__":
    main()
