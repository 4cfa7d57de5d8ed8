"""The benchmark API served the way users meet it: an ASGI app under uvicorn, own process.

`_responder` isolates the client's cost (three headers, one write, microseconds per
request); this server shows what a client pays against a real server: uvicorn's
HTTP/1.1 framing (h11, as uvicorn picks it when httptools is not installed; headers and
body written separately) and the header set an API behind a CDN sends. The bodies are
those of `_api_data`, the same the responder sends.

The headers (names and sizes as an Express app behind Cloudflare sends them; the
messaging facts document only the ``X-RateLimit-*`` ones, on action calls):

- every response: ``date`` (uvicorn's), ``content-type``, ``content-length``,
  ``connection``, ``server``, ``cf-ray``, ``cf-cache-status``, ``x-powered-by``,
  ``access-control-allow-origin``, ``x-request-id`` (a fresh UUID), ``etag``,
  ``vary``, ``strict-transport-security``, ``alt-svc``: 14 headers;
- a send (an action) also: ``x-ratelimit-action``, ``-limit``, ``-used``,
  ``-remaining``, ``-reset`` (ISO, the next 00:00 UTC): the daily new-conversation
  quota as the fake reports it, far enough away that the SDK learns no pace from it
  (so the benchmark measures sending, not waiting); a connection request the same for
  the weekly ``CONNECT`` window (90, reset the next Monday 00:00 UTC). A message page
  (an inbox read, unlimited) has none.

The server's own CPU does not count (the client's process CPU is measured), but it
runs on its own core, so at high concurrency it may bound requests/s.

Run it as ``python -m benchmarks._served_api [port] [cpu]`` (or through
`_common.ServerProcess`): it prints ``PORT <n>`` once listening and serves until stdin
closes.
"""

from __future__ import annotations

import hashlib
import os
import random
import socket
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from benchmarks._api_data import route

_COMMON = [
    (b"server", b"cloudflare"),
    (b"cf-cache-status", b"DYNAMIC"),
    (b"x-powered-by", b"Express"),
    (b"access-control-allow-origin", b"*"),
    (b"vary", b"Origin, Accept-Encoding"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"alt-svc", b'h3=":443"; ma=86400'),
]
_QUOTAS = {"send": (b"MESSAGE", 150), "connect": (b"CONNECT", 90)}
"""Per action kind: the ``X-RateLimit-Action`` and its limit."""


def _next_reset(kind: str) -> bytes:
    """The next 00:00 UTC (a send), or the next Monday 00:00 UTC (a connection request)."""
    now = datetime.now(timezone.utc)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "connect":
        midnight += timedelta(days=(7 - midnight.weekday()) % 7)
    if (midnight - now).total_seconds() < 300:  # never a near window: see the module doc
        midnight += timedelta(days=7 if kind == "connect" else 1)
    return midnight.strftime("%Y-%m-%dT%H:%M:%S.000Z").encode()


class ServedApi:
    """The ASGI app: a send, a connection request and message pages (see
    `_api_data.route`), real headers."""

    def __init__(self) -> None:
        self.sent = 0
        self._random = random.Random(27)

    def headers(self, kind: str, body: bytes) -> list[tuple[bytes, bytes]]:
        """The response headers of one answer of ``kind`` with ``body``."""
        ray = f"{self._random.getrandbits(64):016x}-FRA".encode()
        tag = hashlib.sha1(body).hexdigest()[:27].encode()
        out = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"keep-alive"),
            *_COMMON,
            (b"cf-ray", ray),
            (b"x-request-id", str(uuid.uuid4()).encode()),
            (b"etag", b'W/"' + format(len(body), "x").encode() + b"-" + tag + b'"'),
        ]
        if kind in _QUOTAS:
            action, quota = _QUOTAS[kind]
            self.sent += 1
            used = 1 + self.sent % (quota - 1)
            out += [
                (b"x-ratelimit-action", action),
                (b"x-ratelimit-limit", str(quota).encode()),
                (b"x-ratelimit-used", str(used).encode()),
                (b"x-ratelimit-remaining", str(quota - used).encode()),
                (b"x-ratelimit-reset", _next_reset(kind)),
            ]
        return out

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:  # read (and drop) the request body
            message = await receive()
            more = message.get("more_body", False)
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        kind, body = route(scope["method"], target)
        status = 404 if kind == "missing" else 200
        await send(
            {"type": "http.response.start", "status": status, "headers": self.headers(kind, body)}
        )
        await send({"type": "http.response.body", "body": body})


def serve(port: int) -> None:
    """Listen, announce the port, and serve until stdin reaches EOF."""
    import uvicorn

    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets; set on the
    # listener as well (inherited on Linux): uvicorn writes headers and body apart.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        ServedApi(),
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,  # the app sends its own `server`
        date_header=True,
        timeout_keep_alive=30,
        backlog=4096,
    )
    server = uvicorn.Server(config)

    def stop_on_eof() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=stop_on_eof, daemon=True).start()
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])


def main() -> None:
    """Entry point: ``python -m benchmarks._served_api [port] [cpu]``."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if len(sys.argv) > 2 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(sys.argv[2])})
    serve(port)


if __name__ == "__main__":
    main()
