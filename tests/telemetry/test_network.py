"""The network namespaces (design §14) are traced like every other: nothing to add per
namespace, placeholders for the profile in the path, never the note."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import connectsafely
from connectsafely.testing import FakeConnectSafely

from ._support import attributes, children, finished, named, one

pytestmark = pytest.mark.anyio

NOTE = "Hi Jane, loved your talk on async Python at the meetup"


async def test_profiles_and_invitations_are_operations(
    client: connectsafely.AsyncClient, fake: FakeConnectSafely, exporter: InMemorySpanExporter
) -> None:
    fake.add_profile("jane-doe")
    account = fake.default_account_id

    await client.profiles.relationship("jane-doe")
    await client.profiles.relationship("jane-doe", account_id=account)
    await client.invitations.send("jane-doe", note=NOTE)
    [invitation async for invitation in client.invitations.sent()]

    spans = finished(exporter)
    plain, per_account = named(spans, "connectsafely profiles.relationship")
    assert [s.name for s in children(spans, plain)] == ["GET /linkedin/relationship/{profileId}"]
    assert [s.name for s in children(spans, per_account)] == [
        "GET /linkedin/relationship/{accountId}/{profileId}"
    ]
    assert attributes(per_account)["connectsafely.account_id"] == account
    sent = one(spans, "connectsafely invitations.send")
    assert [s.name for s in children(spans, sent)] == ["POST /linkedin/connect"]
    assert named(spans, "connectsafely invitations.sent")  # a page, one operation each
    text = "".join(span.to_json() for span in spans)
    assert NOTE not in text
    assert "jane-doe" not in text
