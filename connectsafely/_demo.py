"""``python -m connectsafely demo``: a complete outreach flow against the embedded fake.

The fake API is served by uvicorn on a free ``127.0.0.1`` port (in-process when uvicorn
is not installed) and driven through an ordinary `AsyncClient`, exactly as production
code would use the real API:

1. two seeded prospects: one in a standard inbox thread, one in a Sales Navigator thread;
2. upload a generated PDF and PNG (raw-body uploads);
3. send a message with an attachment to each (one injected 503 shows a logged retry);
4. read both conversations back with ``conversations.messages`` and print a transcript;
5. the outreach loop (`_demo_campaign`): a new prospect's relationship, a connection
   request with a note, the fake accepting it, the first message;
6. the reply side: that prospect answers, and the fake delivers a signed
   ``message.received`` webhook to a `WebhookReceiver` served on its own ``127.0.0.1``
   port (called in-process without uvicorn), whose handler prints the reply;
7. the follow-up, guarded by ``unless_replied_since``: not sent, since they replied.
"""

from __future__ import annotations

import json
import logging
import struct
import sys
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio

from ._client import AsyncClient
from ._demo_campaign import first_steps, follow_up

if TYPE_CHECKING:
    from .testing import FakeConnectSafely

__all__ = ["run_demo"]

SEND_PATH = "/linkedin/conversations/send"
WEBHOOK_SECRET = "whsec_demo_only"  # noqa: S105 - a throwaway secret shared with the fake
REPLY = "Thanks! Tuesday at 10 works for me."


class _RetryLog(logging.Handler):
    """Counts the SDK's retry log lines (for the transcript) and echoes them."""

    def __init__(self, echo: bool) -> None:
        super().__init__(logging.INFO)
        self.retries = 0
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Retrying"):
            self.retries += 1
            if self.echo:
                print(f"  log  connectsafely: {message}")


def run_demo(*, as_json: bool = False, backend: str = "asyncio") -> int:
    """Run the demo; returns the process exit code.

    The fake is served on a real ``127.0.0.1`` socket when uvicorn is installed (the
    ``server`` extra); on a plain ``pip install connectsafely`` the same flow runs over
    the in-process transport instead, and one line says so.
    """
    from .testing import FakeConnectSafely

    fake = FakeConnectSafely()
    retry_log = _RetryLog(echo=not as_json)
    logger = logging.getLogger("connectsafely")
    previous_level = logger.level
    logger.addHandler(retry_log)
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    try:
        served = _has_uvicorn()
        if served:
            with fake.serve() as server:
                if not as_json:
                    print(
                        f"Fake ConnectSafely API listening on {server.base_url} "
                        f"(backend: {backend})"
                    )
                base_url = server.base_url

                def over_socket() -> AsyncClient:
                    return AsyncClient(api_key=fake.api_key, base_url=base_url)

                events = anyio.run(
                    _flow, fake, over_socket, retry_log, as_json, True, backend=backend
                )
        else:
            # In JSON mode stdout carries only events, so the notice goes to stderr.
            print(
                "uvicorn is not installed (pip install 'connectsafely[server]'), so the fake "
                f"API runs in-process instead of on a 127.0.0.1 port (backend: {backend})",
                file=sys.stderr if as_json else sys.stdout,
            )
            events = anyio.run(_flow, fake, fake.client, retry_log, as_json, False, backend=backend)
    finally:
        logger.removeHandler(retry_log)
        logger.setLevel(previous_level)
    if as_json:
        for event in events:
            print(json.dumps(event))
    else:
        ending = "the fake server is shut down" if served else "the fake ran in-process"
        print(f"Done in {time.perf_counter() - started:.2f} s; {ending}.")
    return 0


def _has_uvicorn() -> bool:
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        return False
    return True


async def _flow(
    fake: FakeConnectSafely,
    make_client: Callable[[], AsyncClient],
    retry_log: _RetryLog,
    as_json: bool,
    over_socket: bool,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def show(event: dict[str, Any], line: str) -> None:
        events.append(event)
        if not as_json:
            print(line)

    # -- seed the fake: two prospects, each with a short history --------------------------
    navigator = fake.add_account(name="Morgan Blake", sales_navigator=True)
    inbox_thread = fake.add_conversation(recipient_profile_id="jordan-lee")
    navigator_thread = fake.add_conversation(
        account_id=navigator.account_id,
        kind="sales_navigator",
        recipient_profile_id="priya-shah",
        headline="VP Sales at Northwind",
    )
    fake.add_message(inbox_thread, "Thanks for connecting! What are you working on?")
    fake.add_message(navigator_thread, "Hi Morgan, saw your InMail. Tell me more.")

    async with make_client() as client:
        navigator_client = client.with_options(account_id=navigator.account_id)

        # -- upload ------------------------------------------------------------------
        pdf = await client.attachments.upload(_make_pdf(), filename="q3-report.pdf")
        png = await navigator_client.attachments.upload(_make_png(), filename="pipeline.png")
        for attachment in (pdf, png):
            show(
                {
                    "event": "uploaded",
                    "name": attachment.name,
                    "media_type": attachment.media_type,
                    "bytes": attachment.byte_size,
                    "asset_urn": attachment.asset_urn,
                },
                f"  upload {attachment.name} ({attachment.media_type}, {attachment.byte_size} "
                f"bytes) -> {attachment.asset_urn}",
            )

        # -- send (the first send meets one injected 503 and is retried) --------------------
        fake.fail_next(503, path=SEND_PATH)
        sends = [
            (
                client,
                inbox_thread.urn,
                "Here is the Q3 report we discussed.",
                pdf,
                "linkedin_inbox",
            ),
            (
                navigator_client,
                navigator_thread.urn,
                "Sharing our pipeline chart, Priya.",
                png,
                "sales_navigator",
            ),
        ]
        for sender, urn, text, attachment, channel in sends:
            before = retry_log.retries
            result = await sender.conversations.send(
                text, conversation_urn=urn, attachments=[attachment], messaging_channel=channel
            )
            attempts = 1 + retry_log.retries - before
            show(
                {
                    "event": "sent",
                    "channel": channel,
                    "conversation_urn": urn,
                    "text": text,
                    "attachment": attachment.name,
                    "attempts": attempts,
                    "thread_id": result.thread_id,
                },
                f"  send   via {channel:<15} {text!r} + {attachment.name} (attempts: {attempts})",
            )

        # -- read both conversations back ------------------------------------------------------
        for reader, thread, channel in (
            (client, inbox_thread, "linkedin_inbox"),
            (navigator_client, navigator_thread, "sales_navigator"),
        ):
            if not as_json:
                print(f"\n  {channel} conversation {thread.urn}")
            history = [m async for m in reader.conversations.messages(thread.urn, page_size=10)]
            for message in reversed(history):  # the API pages newest first
                files = ", ".join(a.get("name", "file") for a in message.attachments)
                show(
                    {
                        "event": "message",
                        "channel": channel,
                        "conversation_urn": thread.urn,
                        "from": message.sender_name,
                        "at": message.sent_at.isoformat() if message.sent_at else None,
                        "text": message.text,
                        "attachments": files or None,
                    },
                    f"    {_clock(message.sent_at)}  {message.sender_name:<12} {message.text}"
                    + (f"  [{files}]" if files else ""),
                )

        # -- the outreach loop: a stranger invited, accepted, messaged, then replies ------
        thread_urn, first_sent = await first_steps(client, fake, show)
        # The reply side: the prospect answers and a webhook brings it to "our service".
        await _reply_side(fake, thread_urn, show, as_json, over_socket)
        await follow_up(client, first_sent, show)  # guarded: not sent after the reply
    return events


async def _reply_side(
    fake: FakeConnectSafely,
    conversation_urn: str,
    show: Callable[[dict[str, Any], str], None],
    as_json: bool,
    over_socket: bool,
) -> None:
    from .testing import LoopbackServer
    from .webhooks import MessageReceived, WebhookEvent, WebhookReceiver

    replies: list[MessageReceived] = []

    async def on_event(event: WebhookEvent) -> None:
        if isinstance(event, MessageReceived):
            replies.append(event)

    receiver = WebhookReceiver(secret=WEBHOOK_SECRET, handler=on_event)
    if not as_json:
        print("\n  reply side: the prospect answers; ConnectSafely POSTs a signed webhook")
    if over_socket:
        async with LoopbackServer(receiver) as server:
            endpoint = f"{server.base_url}/webhooks/connectsafely"
            fake.add_webhook(endpoint, WEBHOOK_SECRET)
            await fake.receive_message(conversation_urn, REPLY)
    else:
        endpoint = "in-process receiver"
        fake.add_webhook(receiver, WEBHOOK_SECRET)
        await fake.receive_message(conversation_urn, REPLY)
    for delivery in fake.webhook_deliveries:
        show(
            {
                "event": "webhook",
                "endpoint": endpoint,
                "attempt": delivery.attempt,
                "status": delivery.status,
                "message_urn": delivery.message_urn,
            },
            f"  webhook POST {endpoint} -> {delivery.status} "
            f"(attempt {delivery.attempt}, signature verified)",
        )
    for reply in replies:
        show(
            {
                "event": "reply",
                "from": reply.sender.name,
                "text": reply.text,
                "at": reply.timestamp.isoformat(),
                "message_urn": reply.message_urn,
                "conversation_id": reply.conversation_id,
            },
            f"  reply  {_clock(reply.timestamp)}  {reply.sender.name}: {reply.text}",
        )


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S") if moment else "--:--:--"


def _make_png(width: int = 16, height: int = 16) -> bytes:
    """A small valid PNG: a blue-to-green gradient."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((0, 16 * x, 255 - 16 * y)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _make_pdf() -> bytes:
    """A one-page valid PDF saying "Q3 report"."""
    stream = b"BT /F1 24 Tf 72 720 Td (Q3 report) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo())
