"""Reading what the in-memory exporter and metric reader captured."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

SEND_SPAN = "connectsafely conversations.send"
SEND_ATTEMPT = "POST /linkedin/conversations/send"
MESSAGES_TEMPLATE = "/linkedin/conversations/{conversationUrn}/messages"


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Every span ended so far, in the order they ended."""
    return list(exporter.get_finished_spans())


def named(spans: Iterable[ReadableSpan], name: str) -> list[ReadableSpan]:
    """The spans called ``name``, in start order."""
    return sorted((s for s in spans if s.name == name), key=lambda s: s.start_time or 0)


def one(spans: Iterable[ReadableSpan], name: str) -> ReadableSpan:
    """The single span called ``name``."""
    found = named(spans, name)
    assert len(found) == 1, f"expected one {name!r}, got {[s.name for s in spans]}"
    return found[0]


def children(spans: Iterable[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    """The direct children of ``parent``, in start order."""
    assert parent.context is not None
    span_id = parent.context.span_id
    return sorted(
        (s for s in spans if s.parent is not None and s.parent.span_id == span_id),
        key=lambda s: s.start_time or 0,
    )


def attributes(span: ReadableSpan) -> dict[str, Any]:
    """A span's attributes as a plain dict."""
    return dict(span.attributes or {})


def points(reader: InMemoryMetricReader, name: str) -> list[tuple[dict[str, Any], Any]]:
    """(attributes, data point) of every point of the metric ``name``."""
    return [
        (dict(p.attributes or {}), p)
        for metric in metrics(reader, name)
        for p in metric.data.data_points
    ]


def metrics(reader: InMemoryMetricReader, name: str | None = None) -> list[Any]:
    """The collected metrics (of one name)."""
    data = reader.get_metrics_data()
    found = []
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            found.extend(m for m in scope.metrics if name is None or m.name == name)
    return found


def total(reader: InMemoryMetricReader, name: str, **where: Any) -> int:
    """The sum of a counter's points whose attributes include ``where``."""
    return sum(
        point.value
        for attrs, point in points(reader, name)
        if all(attrs.get(key) == value for key, value in where.items())
    )


def names(spans: Sequence[ReadableSpan]) -> list[str]:
    """The spans' names, in the order they ended."""
    return [s.name for s in spans]
