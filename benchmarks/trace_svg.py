"""The trace of one retried send, drawn from a real run: ``docs/images/trace-retried-send.svg``.

``python -m benchmarks.trace_svg [out.svg]`` sends one reply with an idempotency key
through the fake (in-process, 40 ms of server latency), whose first answer is a 503
after the message was stored: the SDK reads the conversation back before it sends again
(the ledger's check), finds nothing newer, and the second attempt succeeds. The spans
come from opentelemetry-sdk's in-memory exporter and are drawn as a waterfall, one row
per span, with plain string formatting (like `benchmarks.charts`).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path

import anyio
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from connectsafely.testing import FakeConnectSafely

OUT = Path("docs/images/trace-retried-send.svg")
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
WIDTH, ROW, TOP, LABEL, RIGHT = 980, 46, 70, 420, 70
COLOUR = {SpanKind.INTERNAL: "#5b6abf", SpanKind.CLIENT: "#2ca02c"}
ERROR = "#d62728"
SHOWN = (
    "http.response.status_code",
    "http.request.resend_count",
    "error.type",
    "connectsafely.ledger.outcome",
)


async def record(latency: float = 0.04) -> list[ReadableSpan]:
    """Run the retried send and return its finished spans."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    fake = FakeConnectSafely()
    fake.latency = latency
    urn = fake.add_conversation(recipient_profile_id="jordan-lee").urn
    fake.fail_next(503, path="/linkedin/conversations/send")
    random.seed(26)  # the backoff's jitter: the same picture every run
    async with fake.client(tracer_provider=provider) as client:
        await client.conversations.send(
            "Following up on Tuesday", conversation_urn=urn, idempotency_key="follow-up-1"
        )
    provider.shutdown()
    return list(exporter.get_finished_spans())


def _ordered(spans: Sequence[ReadableSpan]) -> list[tuple[int, ReadableSpan]]:
    """Depth-first, children in start order: (depth, span)."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        by_parent.setdefault(parent, []).append(span)
    rows: list[tuple[int, ReadableSpan]] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in sorted(by_parent.get(parent, []), key=lambda s: s.start_time or 0):
            rows.append((depth, span))
            assert span.context is not None
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return rows


def _tick(duration_ns: int) -> int:
    """A round step (nanoseconds) that puts about six ticks on the axis."""
    for milliseconds in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if duration_ns / (milliseconds * 1e6) <= 8:
            return milliseconds * 1_000_000
    return 10_000_000_000


def render(spans: Sequence[ReadableSpan]) -> str:
    """The spans as a waterfall SVG (time runs left to right)."""
    rows = _ordered(spans)
    start = min(span.start_time or 0 for span in spans)
    end = max(span.end_time or 0 for span in spans)
    scale = (WIDTH - LABEL - RIGHT) / max(end - start, 1)
    height = TOP + ROW * len(rows) + 40
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='12'>",
        f"<rect width='{WIDTH}' height='{height}' fill='white'/>",
        "<text x='16' y='26' font-size='16' font-weight='bold'>"
        "One send, retried after a 503, checked before it was sent again</text>",
    ]
    step = _tick(end - start)
    for tick in range(0, int(end - start) + 1, step):
        x = LABEL + tick * scale
        out += [
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{TOP - 12}' y2='{TOP + ROW * len(rows) - 6}' "
            "stroke='#ddd'/>",
            f"<text x='{x:.1f}' y='{TOP - 16}' text-anchor='middle' font-size='10' "
            f"fill='#666'>{tick / 1e6:.0f} ms</text>",
        ]
    for index, (depth, span) in enumerate(rows):
        y = TOP + index * ROW
        x = LABEL + ((span.start_time or 0) - start) * scale
        width = max(((span.end_time or 0) - (span.start_time or 0)) * scale, 2.0)
        failed = span.status.status_code is StatusCode.ERROR
        colour = ERROR if failed else COLOUR.get(span.kind, "#7f7f7f")
        attributes = dict(span.attributes or {})
        detail = "  ".join(f"{key}={attributes[key]}" for key in SHOWN if key in attributes)
        milliseconds = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        indent = 16 + depth * 18
        out += [
            f"<line x1='16' x2='{WIDTH - 16}' y1='{y + ROW - 6}' y2='{y + ROW - 6}' "
            "stroke='#eee'/>",
            f"<text x='{indent}' y='{y + 14}'>{escape(span.name)}</text>",
            f"<text x='{indent}' y='{y + 30}' font-size='10' fill='#666'>"
            f"{escape(span.kind.name)}  {escape(detail)}</text>",
            f"<rect x='{x:.1f}' y='{y + 4}' width='{width:.1f}' height='18' rx='3' "
            f"fill='{colour}'/>",
            f"<text x='{x + width + 6:.1f}' y='{y + 17}' fill='#333'>{milliseconds:.0f} ms</text>",
        ]
    out += [
        f"<text x='16' y='{height - 14}' fill='#555'>Drawn by python -m benchmarks.trace_svg "
        "from opentelemetry-sdk's in-memory exporter; the fake answers in 40 ms; the gap "
        "before the second attempt is the retry backoff.</text>",
        "</svg>",
    ]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str]) -> None:
    """Record the run and write the SVG (default `OUT`)."""
    path = Path(argv[0]) if argv else OUT
    path.write_text(render(anyio.run(record)), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
