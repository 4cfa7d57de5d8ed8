"""The fake server's view of HTTP: recorded requests, responses and error bodies."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import unquote

import attrs
import httpx

__all__ = [
    "ConnectionDropped",
    "ErrorStyle",
    "FakeHTTPError",
    "FakeResponse",
    "RecordedRequest",
    "error_body",
    "json_object",
]

ErrorStyle = Literal["error", "code_message", "success_error", "zod"]
"""The documented error body shapes the fake can answer with."""


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the fake app to cut the connection instead of answering.

    In-process (ASGI transport) it reaches the client as the same `httpx` transport error
    a real dropped connection raises; over a socket the loopback server closes the TCP
    connection.
    """


class FakeHTTPError(Exception):
    """Raised by a route to answer with an API error in the fake's error style.

    The core turns it into the error body of ``error_style`` (see `error_body`), so a
    route never needs to know which style the fake answers in. ``field``, ``expected``
    and ``received`` describe a validation failure (the zod style's issue).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "error",
        headers: dict[str, str] | None = None,
        field: str | None = None,
        expected: str | None = None,
        received: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.field = field
        self.expected = expected
        self.received = received


@attrs.define
class RecordedRequest:
    """One request as the fake server received it.

    Attributes:
        method: HTTP method.
        path: The decoded path segments joined with ``/`` (URNs appear unescaped).
        raw_path: The path exactly as sent, still percent-encoded.
        segments: The decoded path segments.
        query: Query parameters (last value wins).
        headers: Request headers, names lower-cased.
        body: The raw body.
        received_at: `time.monotonic` when the request arrived.
        raw_headers: Every header as sent, in order, repeats included.
    """

    method: str
    path: str
    raw_path: str
    segments: tuple[str, ...]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    received_at: float = attrs.field(factory=time.monotonic)
    raw_headers: tuple[tuple[str, str], ...] = ()

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    @property
    def idempotency_key(self) -> str | None:
        """The ``Idempotency-Key`` header, if any."""
        return self.headers.get("idempotency-key")

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any], body: bytes) -> RecordedRequest:
        """Build from an ASGI HTTP scope and its body."""
        raw = scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw else scope["path"]
        raw_path = raw_path.split("?", 1)[0]
        segments = tuple(unquote(part) for part in raw_path.strip("/").split("/") if part)
        query: dict[str, str] = {}
        query_string = scope.get("query_string", b"").decode("latin-1")
        for name, value in httpx.QueryParams(query_string).multi_items():
            query[name] = value
        raw_headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        headers = {name.lower(): value for name, value in raw_headers}
        return cls(
            method=scope["method"],
            path="/" + "/".join(segments),
            raw_path=raw_path,
            segments=segments,
            query=query,
            headers=headers,
            body=body,
            raw_headers=raw_headers,
        )


@attrs.define
class FakeResponse:
    """A response a route handler or a fault produces.

    Attributes:
        status: HTTP status.
        body: A JSON-serialisable object, raw bytes, or ``None`` for an empty body.
        headers: Extra response headers.
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = attrs.field(factory=dict)

    def encode(self) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The body bytes and the full header list for the wire."""
        if self.body is None:
            payload, content_type = b"", None
        elif isinstance(self.body, (bytes, bytearray)):
            payload, content_type = bytes(self.body), "application/octet-stream"
        elif isinstance(self.body, str):
            payload, content_type = self.body.encode(), "text/plain; charset=utf-8"
        else:
            payload = json.dumps(self.body, separators=(",", ":")).encode()
            content_type = "application/json"
        headers = {k.lower(): v for k, v in self.headers.items()}
        if content_type and "content-type" not in headers:
            headers["content-type"] = content_type
        headers["content-length"] = str(len(payload))
        return payload, [(k.encode(), v.encode()) for k, v in headers.items()]


def error_body(
    style: ErrorStyle,
    message: str,
    *,
    code: str = "error",
    field: str | None = None,
    expected: str | None = None,
    received: str | None = None,
) -> dict[str, Any]:
    """An error body in one of the shapes the real API uses.

    In the zod style a failure with ``expected``/``received`` is an ``invalid_type``
    issue; ``field`` (dotted for nested values, ``attachments.0``) is the issue's path.
    """
    if style == "error":
        return {"error": message}
    if style == "code_message":
        return {"success": False, "code": code, "message": message}
    if style == "success_error":
        return {"success": False, "error": message}
    path: list[str | int] = []
    for part in field.split(".") if field else ():
        path.append(int(part) if part.isdigit() else part)
    typed = expected is not None
    return {
        "success": False,
        "error": {
            "name": "ZodError",
            "issues": [
                {
                    "code": "invalid_type" if typed else "custom",
                    "expected": expected if typed else "valid",
                    "received": received if received is not None else "invalid",
                    "path": path,
                    "message": message,
                }
            ],
        },
    }


def json_object(request: RecordedRequest) -> dict[str, Any]:
    """The request body as a JSON object; 400 (`FakeHTTPError`) for anything else."""
    try:
        body = json.loads(request.body) if request.body else None
    except ValueError:
        raise FakeHTTPError(400, "Body is not valid JSON", code="invalid_json") from None
    if not isinstance(body, dict):
        raise FakeHTTPError(400, "Body must be a JSON object", code="invalid_json")
    return body
