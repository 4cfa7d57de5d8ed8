"""Providers with an in-memory exporter and metric reader, passed to each client.

No test sets the global providers: a client gets them as ``tracer_provider=`` and
``meter_provider=``, so tests stay independent of each other and of the process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import connectsafely


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """Every span the test's client ends."""
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def reader() -> InMemoryMetricReader:
    """The test's client's metrics, collected on demand."""
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(reader: InMemoryMetricReader) -> Iterator[MeterProvider]:
    provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    yield provider
    provider.shutdown()


@pytest.fixture
def make_traced(
    make_client: Any, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Any:
    """``make_client`` (in-process or loopback) with the test's providers."""

    def build(**options: Any) -> connectsafely.AsyncClient:
        options.setdefault("tracer_provider", tracer_provider)
        options.setdefault("meter_provider", meter_provider)
        client: connectsafely.AsyncClient = make_client(**options)
        return client

    return build


@pytest.fixture
async def client(make_traced: Any) -> AsyncIterator[connectsafely.AsyncClient]:
    """A traced client wired to ``fake``; closed after the test."""
    async with make_traced() as opened:
        yield opened
