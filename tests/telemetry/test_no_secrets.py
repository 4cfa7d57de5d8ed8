"""Nothing secret or personal in any span, event, link or metric point (design §16).

A run like the demo's (an invitation with a note, an upload and a send with it, a
retried 503, paging, a 429, a webhook delivery, a `send_many` batch, a download with a
signed URL), then every span and every metric point serialised to text and searched.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import connectsafely
from connectsafely import SendRequest, collect_in_order
from connectsafely.testing import FakeConnectSafely
from connectsafely.webhooks import WebhookReceiver
from tests._support import SEND

from ._support import finished

pytestmark = pytest.mark.anyio

API_KEY = "sk_live_telemetry_3c1f9a0b7e2d"
WEBHOOK_SECRET = "whsec_telemetry_9f8e7d6c"
TEXT = "Private pricing for Acme: 40 percent off"
BATCH_TEXT = "Confidential follow-up number"
REPLY_TEXT = "Let us talk on Tuesday at my home number"
SUBJECT = "Secret subject line"
FILENAME = "board-minutes-draft.pdf"
MEDIA_TOKEN = "e=1760000000&t=SignedTokenValue123"
PROSPECT = "prospect-slug-zq"
NOTE = "Loved your post about our mutual friend Dana"


async def test_a_full_run_leaves_no_secret_in_spans_or_metrics(
    make_traced: Any,
    fake: FakeConnectSafely,
    exporter: InMemorySpanExporter,
    reader: InMemoryMetricReader,
    meter_provider: MeterProvider,
) -> None:
    fake.api_key = API_KEY
    conversation = fake.add_conversation(recipient_profile_id=PROSPECT)
    urn = conversation.urn
    fake.seed_messages(urn, 5)
    media_url = fake.add_media(b"GIF89a", url=f"https://media.licdn.com/dms/x.gif?{MEDIA_TOKEN}")

    async def on_event(event: Any) -> None:
        pass

    receiver = WebhookReceiver(WEBHOOK_SECRET, on_event, meter_provider=meter_provider)
    fake.add_webhook(receiver, WEBHOOK_SECRET, retry_delays=(0, 0))

    fake.add_profile(PROSPECT)
    async with make_traced(api_key=API_KEY) as client:
        await client.invitations.send(PROSPECT, note=NOTE)
        attachment = await client.attachments.upload(b"%PDF-1.4 minutes", filename=FILENAME)
        fake.fail_next(503, path=SEND)
        await client.conversations.send(
            TEXT,
            recipient_profile_id=PROSPECT,
            subject=SUBJECT,
            attachments=[attachment],
            idempotency_key="campaign-1:prospect",
        )
        [m async for m in client.conversations.messages(urn, page_size=2)]
        fake.rate_limit_next(retry_after=0, path="/linkedin/conversations/exists")
        await client.conversations.exists(PROSPECT)
        since = fake.clock.now() - timedelta(milliseconds=1)
        await fake.receive_message(conversation, REPLY_TEXT)
        with pytest.raises(connectsafely.ProspectRepliedError):  # the guarded follow-up
            await client.conversations.send(
                TEXT,
                conversation_urn=conversation.urn,
                idempotency_key="campaign-1:prospect:2",
                unless_replied_since=since,
            )
        requests = [SendRequest(f"{BATCH_TEXT} {n}", conversation_urn=urn) for n in range(3)]
        await collect_in_order(client.conversations.send_many(requests))
        async with client.conversations.download_media(
            media_url, account_id=fake.default_account_id
        ) as media:
            await media.response.aread()

    spans = finished(exporter)
    data = reader.get_metrics_data()
    assert data is not None
    text = "\n".join(span.to_json() for span in spans) + data.to_json()
    # The run did produce what is searched: every kind of span and metric.
    for expected in (
        "connectsafely invitations.send",
        "connectsafely attachments.upload",
        "http.request.resend_count",
        "connectsafely conversations.messages",
        "connectsafely conversations.send_many",
        "skipped_reply",
        "connectsafely.rate_limited",
        "connectsafely.webhooks.events",
        "connectsafely conversations.download_media",
    ):
        assert expected in text
    for secret in (
        API_KEY,
        "Bearer",
        WEBHOOK_SECRET,
        TEXT,
        BATCH_TEXT,
        REPLY_TEXT,
        SUBJECT,
        NOTE,
        FILENAME,
        "SignedTokenValue123",
        "media.licdn.com",
        PROSPECT,
        "urn:li:",
        "urn%3Ali",
        "campaign-1:prospect",  # the caller's idempotency keys
    ):
        assert secret not in text, secret
