"""parse_event: verify the raw bytes first, then decode the documented event shape."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import attrs
import pytest

from connectsafely.webhooks import (
    MessageReceived,
    UnknownWebhookEvent,
    WebhookSender,
    WebhookVerificationError,
    parse_event,
    sign,
)
from tests.webhooks._support import MESSAGE_URN, SECRET, event_body, event_data, headers_for


def parse(body: bytes) -> object:
    return parse_event(body, headers_for(body), SECRET)


def test_a_message_received_event_is_decoded() -> None:
    event = parse(event_body())
    assert event == MessageReceived(
        id=MESSAGE_URN,
        message_urn=MESSAGE_URN,
        account_id="696ce9e780e0483585e4e553",
        provider="LINKEDIN",
        sender=WebhookSender(
            id="urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo",
            name="Jordan Lee",
            profile_url=None,
            profile_picture="https://media.licdn.com/dms/image/jordan",
        ),
        text="Sure, Tuesday works.",
        timestamp=datetime(2026, 5, 12, 14, 33, 21, tzinfo=timezone.utc),
        conversation_id="urn:li:messagingThread:2-ODFkYjU4M2ItZDlmYS00YTVj==",
        attachments=(),
    )
    assert isinstance(event, MessageReceived) and event.event == "message.received"
    assert event.timestamp.utcoffset() is not None


def test_events_are_frozen() -> None:
    event = parse(event_body())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.text = "changed"  # type: ignore[attr-defined]


def test_the_header_is_found_in_any_spelling() -> None:
    body = event_body()
    for name in ("X-Webhook-Signature", "x-webhook-signature", "X-WEBHOOK-SIGNATURE"):
        assert isinstance(parse_event(body, {name: sign(body, SECRET)}, SECRET), MessageReceived)


def test_the_signature_is_checked_before_anything_is_decoded() -> None:
    with pytest.raises(WebhookVerificationError):
        parse_event(b"not json at all", {"X-Webhook-Signature": "sha256=" + "0" * 64}, SECRET)
    with pytest.raises(WebhookVerificationError, match="missing"):
        parse_event(event_body(), {}, SECRET)


def test_a_reencoded_body_fails_verification() -> None:
    body = event_body(text="Hey — saw your post")  # an em dash, as in the docs' example
    reencoded = json.dumps(json.loads(body)).encode()  # what a framework might hand over
    with pytest.raises(WebhookVerificationError):
        parse_event(reencoded, headers_for(body), SECRET)


def test_unknown_event_types_are_returned_not_refused() -> None:
    body = json.dumps({"event": "message.read", "object": "event", "data": {"x": 1}}).encode()
    assert parse(body) == UnknownWebhookEvent("message.read", {"x": 1})


def test_unknown_fields_are_ignored_and_nullable_ones_may_be_missing() -> None:
    data = event_data()
    data["new_field"] = {"nested": True}
    del data["sender"]["profile_url"], data["sender"]["profile_picture"], data["attachments"]
    data["conversation_id"] = None
    body = json.dumps({"event": "message.received", "data": data, "extra": 1}).encode()
    event = parse(body)
    assert isinstance(event, MessageReceived)
    assert event.sender.profile_url is None and event.attachments == ()
    assert event.conversation_id is None


def test_attachments_arrive_as_a_tuple_of_dicts() -> None:
    data = event_data()
    data["attachments"] = [{"name": "deck.pdf"}, {"type": "image"}]
    event = parse(json.dumps({"event": "message.received", "data": data}).encode())
    assert isinstance(event, MessageReceived)
    assert event.attachments == ({"name": "deck.pdf"}, {"type": "image"})


def test_id_and_message_urn_stand_in_for_each_other() -> None:
    data = event_data()
    del data["id"]
    event = parse(json.dumps({"event": "message.received", "data": data}).encode())
    assert isinstance(event, MessageReceived) and event.id == MESSAGE_URN
    data = event_data()
    del data["message_urn"]
    event = parse(json.dumps({"event": "message.received", "data": data}).encode())
    assert isinstance(event, MessageReceived) and event.message_urn == MESSAGE_URN


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-05-12T14:33:21.000Z", datetime(2026, 5, 12, 14, 33, 21, tzinfo=timezone.utc)),
        ("2026-05-12T16:33:21+02:00", datetime(2026, 5, 12, 14, 33, 21, tzinfo=timezone.utc)),
        ("2026-05-12T14:33:21", datetime(2026, 5, 12, 14, 33, 21, tzinfo=timezone.utc)),
        (1778596401000, datetime(2026, 5, 12, 14, 33, 21, tzinfo=timezone.utc)),
    ],
)
def test_timestamps_become_aware_utc(timestamp: object, expected: datetime) -> None:
    data = event_data()
    data["timestamp"] = timestamp
    event = parse(json.dumps({"event": "message.received", "data": data}).encode())
    assert isinstance(event, MessageReceived)
    assert event.timestamp == expected and event.timestamp.tzinfo is timezone.utc


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"not json", "not JSON"),
        (b"\xff\xfe\xfa garbage", "not JSON"),  # not UTF-8 (nor -16/-32)
        (b"[1, 2]", "array"),
        (b'"message.received"', "a string"),
        (b"null", "null"),
        (b'{"object": "event", "data": {}}', 'no "event"'),
        (b'{"event": "", "data": {}}', 'no "event"'),
        (b'{"event": 7, "data": {}}', 'no "event"'),
        (b'{"event": "message.received"}', 'no "data"'),
        (b'{"event": "message.received", "data": []}', 'no "data"'),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"event": "x", "data": {"n": ' + b"9" * 5000 + b"}}", "not JSON"),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_a_value_error(body: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("sender"), "data.sender"),
        (lambda d: d.update(sender="Jordan"), "data.sender"),
        (lambda d: d["sender"].pop("id"), "data.sender.id"),
        (lambda d: d.update(body=None), "data.body"),
        (lambda d: d.update(body=42), "data.body"),
        (lambda d: d.update(timestamp="yesterday"), "data.timestamp"),
        (lambda d: d.update(timestamp=None), "data.timestamp"),
        (lambda d: d.update(attachments="none"), "data.attachments"),
        (lambda d: (d.pop("id"), d.pop("message_urn")), "data.id"),
        (lambda d: d.pop("account_id"), "data.account_id"),
    ],
)
def test_a_message_event_without_a_documented_field_names_it(change: object, field: str) -> None:
    data = event_data()
    change(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        parse(json.dumps({"event": "message.received", "data": data}).encode())
