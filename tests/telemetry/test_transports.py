"""Attempt spans whichever client moves the bytes: aiohttp's direct route, and an httpx
client the user instruments with opentelemetry-instrumentation-httpx (not doubled)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import connectsafely
from connectsafely.testing import FakeConnectSafely, LoopbackServer
from tests._support import SEND

from ._support import SEND_ATTEMPT, SEND_SPAN, attributes, children, finished, one

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(fake: FakeConnectSafely, loopback: tuple[LoopbackServer, Any]) -> LoopbackServer:
    server, app = loopback
    app.target = fake
    return server


async def test_the_aiohttp_transport_gets_attempt_spans(
    anyio_backend: str,
    fake: FakeConnectSafely,
    served: LoopbackServer,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    pytest.importorskip("httpx_aiohttp")
    urn = fake.add_conversation(recipient_profile_id="jane-doe").urn
    fake.seed_messages(urn, 3)
    fake.fail_next(503, path=SEND)
    async with connectsafely.AsyncClient(
        api_key=fake.api_key,
        base_url=served.base_url,
        http_client=connectsafely.AioHttpClient(),
        tracer_provider=tracer_provider,
    ) as client:
        await client.conversations.send("Hi", conversation_urn=urn)  # the direct route
        async with client.conversations.download_media(  # httpx's route, streamed
            fake.add_media(b"GIF89a"), account_id=fake.default_account_id
        ) as media:
            await media.response.aread()

    spans = finished(exporter)
    first, second = children(spans, one(spans, SEND_SPAN))
    assert (first.name, second.name) == (SEND_ATTEMPT, SEND_ATTEMPT)
    assert attributes(first)["http.response.status_code"] == 503
    assert attributes(second)["http.request.resend_count"] == 1
    assert attributes(second)["server.port"] == served.port
    download = one(spans, "connectsafely conversations.download_media")
    assert [s.kind for s in children(spans, download)] == [SpanKind.CLIENT]


async def test_the_httpx_instrumentation_does_not_double_attempt_spans(
    fake: FakeConnectSafely, tracer_provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    http_client = httpx.AsyncClient(transport=fake.transport())
    HTTPXClientInstrumentor.instrument_client(http_client, tracer_provider=tracer_provider)
    try:
        async with connectsafely.AsyncClient(
            api_key=fake.api_key, http_client=http_client, tracer_provider=tracer_provider
        ) as client:
            await client.conversations.exists("jane-doe")
        # The instrumentation is live: a request of the user's own gets its span.
        await http_client.get("https://api.connectsafely.ai/linkedin/conversations/sync/status")
    finally:
        HTTPXClientInstrumentor.uninstrument_client(http_client)
        await http_client.aclose()

    spans = finished(exporter)
    clients = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert [s.name for s in clients] == ["GET /linkedin/conversations/exists/{profileId}", "GET"]
    operation = one(spans, "connectsafely conversations.exists")
    assert children(spans, operation) == [clients[0]]
