"""What the benchmark servers answer: the bodies and headers of a send and of a message page.

Both servers (`_responder`, canned, and `_served_api`, under uvicorn) answer with these
bodies, so the two modes differ only in what surrounds them: the responder's three
headers in one write, or uvicorn's framing with the header set of the real API.

The bodies follow the composed examples of ``shared/api/connectsafely-messaging.md``:
a send answers with ``success``, ``message``, ``recipientProfileUrn`` and a
``sentMessage`` of seven fields; a message page with 50 messages of nine fields, two
participants, ``hasMore``, ``cursor`` (the ``sentAt`` of the page's oldest message) and
``note``. A walk's conversation is synthetic and deterministic: its URN names its
size, so a server needs no set-up to serve a conversation of any length.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote

API_KEY = "csk_benchmark_0123456789abcdef0123456789abcdef"
RECIPIENT = "urn:li:fsd_profile:ACoAABenchmarkRecipient0000000"
TEXT = "Hello! Quick question about your work."
SEND_PATH = "/linkedin/conversations/send"
CONNECT_PATH = "/linkedin/connect"
MESSAGES_PREFIX = "/linkedin/conversations/"
PAGE_SIZE = 50
OWNER = "ACoAAAm9n8b7v6c5x4z3a2s1d0fGBenchOwner"
OTHER = "ACoAAB1x2y3z4w5v6u7t8s9r0qPoBenchLead"
PHOTO = (
    "https://media.licdn.com/dms/image/v2/D4E03AQHbenchmarkPhoto/profile-displayphoto-"
    "shrink_100_100/profile-displayphoto-shrink_100_100/0/1700000000000?e=1780000000&v=beta"
    "&t=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
)
NEWEST_MS = 1_772_000_000_000
STEP_MS = 61_000

SEND_RESPONSE = {
    "success": True,
    "message": TEXT,
    "recipientProfileUrn": RECIPIENT,
    "sentMessage": {
        "messageUrn": (
            f"urn:li:msg_message:(urn:li:fsd_profile:{OWNER},"
            "2-MTc3MjAwMDAwMDAwMGFiY2QtMTAwXzEwMA==)"
        ),
        "text": TEXT,
        "sentAt": NEWEST_MS,
        "senderProfileId": OWNER,
        "senderName": "Alex Rivera",
        "senderPhoto": PHOTO,
        "isSentByOwner": True,
    },
}
SEND_BODY = json.dumps(SEND_RESPONSE, separators=(",", ":")).encode()
CONNECT_RESPONSE = {
    "success": True,
    "message": "Connection request sent successfully",
    "profileUrn": RECIPIENT,
}
CONNECT_BODY = json.dumps(CONNECT_RESPONSE, separators=(",", ":")).encode()

_TEXTS = (
    "Sure, Tuesday works.",
    "Thanks for connecting! I saw your post about the migration and wanted to ask how "
    "long the cut-over took for your team.",
    "Sounds good — I'll send the deck tonight.",
    "Could you share the pricing sheet? We are comparing three vendors this quarter and "
    "would like to decide before the end of the month, ideally with a short call first.",
    "👍",
)
_PARTICIPANTS = [
    {
        "profileId": OWNER,
        "name": "Alex Rivera",
        "headline": "Founder at Example Labs",
        "profilePicture": PHOTO,
    },
    {
        "profileId": OTHER,
        "name": "Jordan Lee",
        "headline": "Head of Operations at Example Co | Supply chain, ops, automation",
        "profilePicture": PHOTO,
    },
]
_SIZE = re.compile(r"^benchmark-walk-(\d{9})$")


def conversation_urn(size: int) -> str:
    """The URN of the synthetic conversation of ``size`` messages."""
    thread = base64.b64encode(f"benchmark-walk-{size:09d}".encode()).decode()
    return f"urn:li:msg_conversation:(urn:li:fsd_profile:{OWNER},2-{thread})"


def size_of(urn: str) -> int | None:
    """The size named by a `conversation_urn`, else None."""
    head, _, thread = urn.rpartition(",2-")
    if not head or not thread.endswith(")"):
        return None
    try:
        name = base64.b64decode(thread[:-1], validate=True).decode()
    except ValueError:
        return None
    found = _SIZE.match(name)
    return int(found.group(1)) if found else None


def _message(index: int) -> dict[str, object]:
    """Message ``index`` of a conversation (0 = the newest)."""
    mine = index % 2 == 0
    thread_part = base64.b64encode(f"{NEWEST_MS - index * STEP_MS}-{index:08d}".encode()).decode()
    return {
        "messageUrn": f"urn:li:msg_message:(urn:li:fsd_profile:{OWNER},2-{thread_part})",
        "text": _TEXTS[index % len(_TEXTS)],
        "sentAt": NEWEST_MS - index * STEP_MS,
        "senderProfileId": OWNER if mine else OTHER,
        "senderName": "Alex Rivera" if mine else "Jordan Lee",
        "senderPhoto": PHOTO,
        "isSentByOwner": mine,
        "hasAttachment": False,
        "attachments": [],
    }


def page_body(
    size: int, cursor: str | None, count: int = PAGE_SIZE, since: str | None = None
) -> bytes:
    """The page of the ``size``-message conversation after ``cursor`` (newest first).

    As the fake does: the cursor is the ``sentAt`` of the oldest message of the previous
    page, the next page holds the messages strictly older than it; the last page still
    carries a cursor, with ``hasMore: false``. With ``since`` (epoch ms), only messages
    newer than it (the stop-on-reply guard's read).
    """
    first = 0
    if cursor:
        first = max(0, (NEWEST_MS - int(cursor)) // STEP_MS + 1)
    end = size
    if since:
        end = min(size, max(0, -(-(NEWEST_MS - int(since)) // STEP_MS)))
    last = min(end, first + count)
    messages = [_message(index) for index in range(first, last)]
    body = {
        "success": True,
        "messages": messages,
        "participants": _PARTICIPANTS,
        "hasMore": last < end,
        "cursor": str(messages[-1]["sentAt"]) if messages else cursor,
        "note": "",
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def route(method: str, target: str) -> tuple[str, bytes]:
    """The kind (``send``, ``connect``, ``page`` or ``missing``) and body answering ``target``.

    ``target`` is the request target: a path with an optional query string.
    """
    path, _, query = target.partition("?")
    if method == "POST" and path == SEND_PATH:
        return "send", SEND_BODY
    if method == "POST" and path == CONNECT_PATH:
        return "connect", CONNECT_BODY
    if method == "GET" and path.startswith(MESSAGES_PREFIX) and path.endswith("/messages"):
        urn = unquote(path[len(MESSAGES_PREFIX) : -len("/messages")])
        size = size_of(urn)
        if size is not None:
            params = {key: values[-1] for key, values in parse_qs(query).items()}
            count = int(params.get("count", PAGE_SIZE))
            return "page", page_body(size, params.get("cursor"), count, params.get("since"))
    return "missing", b'{"error":"Not found"}'


def walk_pages(size: int) -> Iterator[bytes]:
    """Every page of a walk over the ``size``-message conversation, in order (for tests
    of the servers and for warming a cache)."""
    cursor = None
    while True:
        body = page_body(size, cursor)
        yield body
        decoded = json.loads(body)
        if not decoded["hasMore"]:
            return
        cursor = decoded["cursor"]
