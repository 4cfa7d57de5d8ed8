"""Spans (design §16): one INTERNAL operation per SDK call, one CLIENT span per attempt.

Every test runs on asyncio and Trio, in-process and over a loopback socket, against the
fake, with the providers passed to the client (never the global ones).
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import connectsafely
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND, UPLOAD

from ._support import (
    MESSAGES_TEMPLATE,
    SEND_ATTEMPT,
    SEND_SPAN,
    attributes,
    children,
    finished,
    named,
    one,
)

pytestmark = pytest.mark.anyio


def server(client: connectsafely.AsyncClient) -> tuple[str, int]:
    url = client.base_url
    return url.host, url.port or 443


async def test_a_retried_send_is_one_operation_over_two_attempts(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    urn = fake.add_conversation(recipient_profile_id="jane-doe").urn
    fake.fail_next(503, path=SEND)

    await client.conversations.send("Following up", conversation_urn=urn)

    spans = finished(exporter)
    operation = one(spans, SEND_SPAN)
    assert operation.kind is SpanKind.INTERNAL
    assert operation.parent is None
    assert operation.status.status_code is StatusCode.UNSET  # retried, then fine
    assert "error.type" not in attributes(operation)
    first, second = children(spans, operation)
    host, port = server(client)
    assert first.name == second.name == SEND_ATTEMPT
    assert first.kind is second.kind is SpanKind.CLIENT
    assert attributes(first) == {
        "http.request.method": "POST",
        "server.address": host,
        "server.port": port,
        "url.template": "/linkedin/conversations/send",
        "http.response.status_code": 503,
        "error.type": "503",
    }
    assert first.status.status_code is StatusCode.ERROR
    assert attributes(second)["http.request.resend_count"] == 1
    assert attributes(second)["http.response.status_code"] == 200
    assert "error.type" not in attributes(second)
    assert second.status.status_code is StatusCode.UNSET
    assert named(spans, "connectsafely limits.wait") == []  # nothing made it wait


async def test_the_default_base_url_is_port_443(
    fake: FakeConnectSafely, tracer_provider: Any, exporter: InMemorySpanExporter
) -> None:
    async with fake.client(tracer_provider=tracer_provider) as client:
        await client.conversations.exists("jane-doe")
    (attempt,) = [s for s in finished(exporter) if s.kind is SpanKind.CLIENT]
    assert attributes(attempt)["server.address"] == "api.connectsafely.ai"
    assert attributes(attempt)["server.port"] == 443


async def test_a_failed_call_is_an_error_with_the_status_as_error_type(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    fake.fail_next(404, path="/linkedin/conversations/exists")
    with pytest.raises(connectsafely.NotFoundError):
        await client.conversations.exists("jane-doe")

    spans = finished(exporter)
    operation = one(spans, "connectsafely conversations.exists")
    assert operation.status.status_code is StatusCode.ERROR
    assert attributes(operation)["error.type"] == "404"
    (attempt,) = children(spans, operation)
    assert attempt.name == "GET /linkedin/conversations/exists/{profileId}"
    assert attributes(attempt)["error.type"] == "404"
    assert "jane-doe" not in str(attributes(attempt))


async def test_a_connection_failure_is_named_by_its_exception_class(
    make_traced: Any, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    # A POST: aiohttp (the CI's aiohttp pass) repeats a GET on a dropped connection itself.
    fake.drop_next(path="/linkedin/conversations/sync")
    async with make_traced(max_retries=0) as client:
        with pytest.raises(connectsafely.APIConnectionError):
            await client.conversations.sync()

    spans = finished(exporter)
    operation = one(spans, "connectsafely conversations.sync")
    (attempt,) = children(spans, operation)
    assert attributes(attempt)["error.type"] == "APIConnectionError"
    assert "http.response.status_code" not in attributes(attempt)
    assert attempt.status.status_code is StatusCode.ERROR
    assert attributes(operation)["error.type"] == "APIConnectionError"
    assert operation.status.status_code is StatusCode.ERROR


async def test_an_argument_error_is_an_error_too(
    client: connectsafely.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(ValueError, match="message"):
        await client.conversations.send("", recipient_profile_id="jane-doe")
    operation = one(finished(exporter), SEND_SPAN)
    assert attributes(operation) == {"error.type": "ValueError"}  # no message, no text
    assert operation.status.description is None


async def test_the_operation_names_its_account(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    account = fake.default_account_id
    await client.conversations.send("Hi", recipient_profile_id="jane-doe", account_id=account)
    await client.accounts.quota(account)

    spans = finished(exporter)
    assert attributes(one(spans, SEND_SPAN))["connectsafely.account_id"] == account
    quota = one(spans, "connectsafely accounts.quota")
    assert attributes(quota)["connectsafely.account_id"] == account
    (attempt,) = children(spans, quota)
    assert attempt.name == "GET /linkedin/account/{accountId}/quota"


async def test_each_page_is_one_operation_with_the_template_not_the_urn(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    urn = fake.add_conversation(recipient_profile_id="jane-doe").urn
    fake.seed_messages(urn, 5)

    seen = [m async for m in client.conversations.messages(urn, page_size=2)]

    assert len(seen) == 5
    spans = finished(exporter)
    pages = named(spans, "connectsafely conversations.messages")
    assert len(pages) == 3
    for page in pages:
        (attempt,) = children(spans, page)
        assert attempt.name == f"GET {MESSAGES_TEMPLATE}"
        assert attributes(attempt)["url.template"] == MESSAGES_TEMPLATE
    assert [s.parent for s in pages] == [None, None, None]
    for span in spans:
        assert "urn:li" not in span.name and "urn%3A" not in str(attributes(span))


async def test_pages_of_a_pager_walked_with_pages(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    urn = fake.add_conversation(recipient_profile_id="jane-doe").urn
    fake.seed_messages(urn, 3)
    pager = client.conversations.messages(urn, page_size=2)
    assert len([page async for page in pager.pages()]) == 2
    assert len(named(finished(exporter), "connectsafely conversations.messages")) == 2


async def test_a_download_is_one_operation_for_its_block(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    url = fake.add_media(b"\x89PNG" + b"x" * 5000)
    account = fake.default_account_id
    async with client.conversations.download_media(url, account_id=account) as media:
        assert finished(exporter)[-1].kind is SpanKind.CLIENT  # the block's span is open
        body = b"".join([chunk async for chunk in media.aiter_bytes()])
    assert len(body) == 5004

    spans = finished(exporter)
    operation = one(spans, "connectsafely conversations.download_media")
    assert attributes(operation)["connectsafely.account_id"] == account
    (attempt,) = children(spans, operation)
    assert attempt.name == "POST /linkedin/conversations/download-media"
    assert attributes(attempt)["http.response.status_code"] == 200
    assert url not in str([attributes(s) for s in spans])


async def test_a_failed_download_ends_its_operation_as_an_error(
    client: connectsafely.AsyncClient, exporter: InMemorySpanExporter, fake: FakeConnectSafely
) -> None:
    download = client.conversations.download_media(
        "https://media.licdn.com/missing.png", account_id=fake.default_account_id
    )
    with pytest.raises(connectsafely.NotFoundError):
        async with download:
            pass
    operation = one(finished(exporter), "connectsafely conversations.download_media")
    assert attributes(operation)["error.type"] == "404"


async def test_an_upload_and_a_send_with_it(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    fake.fail_next(503, path=UPLOAD)
    attachment = await client.attachments.upload(b"%PDF-1.4 quarterly", filename="q3-plan.pdf")
    await client.conversations.send(
        "See attached", recipient_profile_id="jane-doe", attachments=[attachment]
    )

    spans = finished(exporter)
    upload = one(spans, "connectsafely attachments.upload")
    first, second = children(spans, upload)
    assert first.name == second.name == "POST /linkedin/conversations/upload-attachment"
    assert attributes(second)["http.request.resend_count"] == 1
    assert "q3-plan" not in str([(s.name, attributes(s)) for s in spans])  # a query value
    assert len(children(spans, one(spans, SEND_SPAN))) == 1


async def test_a_copy_from_with_options_shares_the_providers(
    client: connectsafely.AsyncClient, exporter: InMemorySpanExporter
) -> None:
    await client.with_options(max_retries=0).conversations.exists("jane-doe")
    assert names_of(finished(exporter)) == [
        "GET /linkedin/conversations/exists/{profileId}",
        "connectsafely conversations.exists",
    ]


def names_of(spans: list[Any]) -> list[str]:
    return [s.name for s in spans]
