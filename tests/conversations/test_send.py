"""conversations.send: channels, recipient forms, body shape, quota and safe retries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely import AsyncClient, Attachment, MessagingChannel, SendResult, _retry
from connectsafely.testing import FakeConnectSafely, StoredUpload
from tests._support import NOON

pytestmark = pytest.mark.anyio

PROFILE_URN = "urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo"
# Quota tests run on the fake's clock at fixed moments (NOON, MIDNIGHT), never the wall
# clock, so they pass whatever time of day the suite runs.
MIDNIGHT = datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)


def uploaded(
    fake: FakeConnectSafely, name: str = "chart.png", media: str = "image/png"
) -> Attachment:
    """Register a file with the fake as if it had been uploaded."""
    urn = f"urn:li:digitalmediaAsset:D4E10AQ{len(fake.uploads)}"
    fake.uploads[urn] = StoredUpload(urn, fake.default_account_id, name, media, b"x" * 10)
    return Attachment(asset_urn=urn, byte_size=10, media_type=media, name=name)


async def test_send_by_profile_id_returns_the_result(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    result = await client.conversations.send("Hi Jane!", recipient_profile_id="jane-doe-123")
    assert isinstance(result, SendResult)
    assert result.success is True
    assert result.recipient_profile_urn is not None
    assert result.recipient_profile_urn.startswith("urn:li:fsd_profile:")
    assert result.sent_message is not None and result.sent_message["text"] == "Hi Jane!"
    assert result.thread_id is None
    body = fake.requests[0].json()
    assert body == {
        "message": "Hi Jane!",
        "recipientProfileId": "jane-doe-123",
        "messagingChannel": "auto",
    }


async def test_send_by_profile_urn(client: AsyncClient, fake: FakeConnectSafely) -> None:
    result = await client.conversations.send("Hello", recipient_profile_urn=PROFILE_URN)
    assert result.recipient_profile_urn == PROFILE_URN
    assert fake.requests[0].json()["recipientProfileUrn"] == PROFILE_URN


async def test_reply_by_conversation_urn_goes_into_that_thread(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = fake.add_conversation(recipient_profile_id="sam-lee")
    await client.conversations.send(
        "Following up", conversation_urn=conversation.urn, subject="Re: intro"
    )
    assert fake.requests[0].json() == {
        "message": "Following up",
        "conversationUrn": conversation.urn,
        "subject": "Re: intro",
        "messagingChannel": "auto",
    }
    assert [m.text for m in conversation.messages] == ["Following up"]
    assert fake.sends[0].new_conversation is False


@pytest.mark.parametrize(
    ("channel", "sales_navigator", "expected_route"),
    [
        ("auto", False, "linkedin_inbox"),
        ("auto", True, "sales_navigator"),
        (MessagingChannel.LINKEDIN_INBOX, True, "linkedin_inbox"),
        ("linkedin_inbox", False, "linkedin_inbox"),
        (MessagingChannel.SALES_NAVIGATOR, True, "sales_navigator"),
        ("sales_navigator", True, "sales_navigator"),
    ],
)
async def test_every_channel_routes_as_documented(
    client: AsyncClient,
    fake: FakeConnectSafely,
    channel: Any,
    sales_navigator: bool,
    expected_route: str,
) -> None:
    fake.default_account.sales_navigator = sales_navigator
    result = await client.conversations.send(
        "Hi", recipient_profile_id="jane-doe", messaging_channel=channel
    )
    assert fake.requests[0].json()["messagingChannel"] == str(channel)
    assert fake.sends[0].channel == expected_route
    if expected_route == "sales_navigator":
        assert result.thread_id
        assert fake.sends[0].conversation_urn == f"urn:li:salesNav_thread:{result.thread_id}"
    else:
        assert result.thread_id is None


async def test_forcing_sales_navigator_without_subscription_is_a_bad_request(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(connectsafely.BadRequestError, match="Sales Navigator"):
        await client.conversations.send(
            "Hi", recipient_profile_id="jane-doe", messaging_channel="sales_navigator"
        )
    assert fake.sends == []
    assert len(fake.requests) == 1


async def test_unknown_account_is_not_found(client: AsyncClient, fake: FakeConnectSafely) -> None:
    with pytest.raises(connectsafely.NotFoundError, match="Account not found"):
        await client.conversations.send(
            "Hi", recipient_profile_id="jane-doe", account_id="0123456789abcdef01234567"
        )


async def test_attachments_are_wrapped_as_files(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    chart = uploaded(fake)
    report = uploaded(fake, "q3.pdf", "application/pdf")
    mapping = {
        "assetUrn": report.asset_urn,
        "byteSize": 10,
        "mediaType": "application/pdf",
        "name": "again.pdf",
    }
    await client.conversations.send(
        "See attached", recipient_profile_id="jane-doe", attachments=[chart, mapping]
    )
    assert fake.requests[0].json()["attachments"] == [
        {
            "file": {
                "assetUrn": chart.asset_urn,
                "byteSize": 10,
                "mediaType": "image/png",
                "name": "chart.png",
            }
        },
        {"file": mapping},
    ]
    conversation = fake.conversations[fake.sends[0].conversation_urn]
    assert len(conversation.messages[-1].attachments) == 2


async def test_attachment_the_server_never_issued_is_rejected_by_it(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    stranger = Attachment(asset_urn="urn:li:digitalmediaAsset:unknown")
    with pytest.raises(connectsafely.BadRequestError, match="attachment"):
        await client.conversations.send(
            "x", recipient_profile_id="jane-doe", attachments=[stranger]
        )
    assert fake.sends == []


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "argument"),
    [
        (("",), {"recipient_profile_id": "a"}, ValueError, "message"),
        (("   \n",), {"recipient_profile_id": "a"}, ValueError, "message"),
        ((None,), {"recipient_profile_id": "a"}, TypeError, "message"),
        ((b"bytes",), {"recipient_profile_id": "a"}, TypeError, "message"),
        (("Hi",), {}, ValueError, "recipient_profile_id"),
        (("Hi",), {"recipient_profile_id": ""}, ValueError, "recipient_profile_id"),
        (("Hi",), {"recipient_profile_id": 7}, TypeError, "recipient_profile_id"),
        (("Hi",), {"recipient_profile_urn": "ACoAAB1"}, ValueError, "recipient_profile_urn"),
        (("Hi",), {"conversation_urn": "2-abc"}, ValueError, "conversation_urn"),
        (
            ("Hi",),
            {"recipient_profile_id": "a", "messaging_channel": "email"},
            ValueError,
            "messaging_channel",
        ),
        (
            ("Hi",),
            {"recipient_profile_id": "a", "messaging_channel": 1},
            TypeError,
            "messaging_channel",
        ),
        (
            ("Hi",),
            {"recipient_profile_id": "a", "attachments": ["file.pdf"]},
            ValueError,
            "attachments",
        ),
        (
            ("Hi",),
            {"recipient_profile_id": "a", "attachments": "file.pdf"},
            TypeError,
            "attachments",
        ),
        (
            ("Hi",),
            {"recipient_profile_id": "a", "attachments": [{"name": "x"}]},
            ValueError,
            "attachments",
        ),
        (("Hi",), {"recipient_profile_id": "a", "subject": 3}, TypeError, "subject"),
        (("Hi",), {"recipient_profile_id": "a", "account_id": ""}, ValueError, "account_id"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    client: AsyncClient,
    fake: FakeConnectSafely,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    argument: str,
) -> None:
    with pytest.raises(error, match=argument):
        await client.conversations.send(*args, **kwargs)
    assert fake.requests == []


async def test_unknown_channel_error_lists_the_valid_ones(client: AsyncClient) -> None:
    with pytest.raises(ValueError, match="'auto', 'sales_navigator', 'linkedin_inbox'"):
        await client.conversations.send("Hi", recipient_profile_id="a", messaging_channel="x")


async def test_500_then_200_sends_exactly_once_with_one_idempotency_key(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(500)
    result = await client.conversations.send("Only once", recipient_profile_id="jane-doe")
    assert result.success
    assert len(fake.requests) == 2
    assert len({r.idempotency_key for r in fake.requests}) == 1
    assert [s.text for s in fake.sends] == ["Only once"]


async def test_a_server_that_deduplicates_makes_an_unknown_outcome_retry_safe(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.honor_idempotency_keys = True
    fake.fail_next(502, after_processing=True)  # accepted, but the reply is lost
    result = await client.conversations.send("Exactly once", recipient_profile_id="jane-doe")
    assert result.sent_message is not None
    assert result.sent_message["text"] == "Exactly once"
    assert len(fake.requests) == 2
    assert [s.text for s in fake.sends] == ["Exactly once"]


async def test_new_conversation_quota_raises_rate_limit_at_once(
    client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    fake.clock.set(NOON)
    fake.default_account.daily_quota = 2
    await client.conversations.send("1", recipient_profile_id="prospect-1")
    await client.conversations.send("2", recipient_profile_id="prospect-2")
    with pytest.raises(connectsafely.RateLimitError) as info:
        await client.conversations.send("3", recipient_profile_id="prospect-3")
    error = info.value
    assert error.retry_after == 12 * 3600  # until 00:00 UTC of the fake's clock
    assert error.response is not None
    headers = error.response.headers
    assert headers["Retry-After"] == "43200"
    # Only what the reference documents for this 429 (no -Action, no -Used).
    assert "X-RateLimit-Action" not in headers and "X-RateLimit-Used" not in headers
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("2", "0")
    assert headers["X-RateLimit-Reset"] == "2026-03-03T00:00:00.000Z"
    assert len(fake.requests) == 3 and sleeps == []  # not retried: the reset is hours away
    assert len(fake.sends) == 2


async def test_replies_do_not_count_against_the_quota(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    fake.default_account.daily_quota = 1
    first = await client.conversations.send("Hi", recipient_profile_id="prospect-1")
    assert first.sent_message is not None
    urn = fake.sends[0].conversation_urn
    await client.conversations.send("Reply in thread", conversation_urn=urn)
    await client.conversations.send("Same recipient again", recipient_profile_id="prospect-1")
    assert [s.new_conversation for s in fake.sends] == [True, False, False]
    assert len(fake.conversations[urn].messages) == 3


async def test_a_quota_429_thirty_seconds_before_midnight_is_retried_after_it(
    client: AsyncClient,
    fake: FakeConnectSafely,
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.clock.set(MIDNIGHT - timedelta(seconds=30))
    account = fake.add_account(daily_quota=2)
    # The day's quota was used by another process: this client learns of it from the
    # 429 alone (no earlier `Remaining: 0` that would start a pause on the real clock).
    account.new_conversations_today = 2
    record = _retry.sleep  # the `sleeps` fixture's recorder

    async def sleep_on_the_fakes_clock(seconds: float) -> None:
        await record(seconds)
        fake.clock.advance(seconds)  # the retry arrives when the server asked for it

    monkeypatch.setattr(_retry, "sleep", sleep_on_the_fakes_clock)
    with anyio.fail_after(5):  # the wait is the retry's, on the fake's clock
        result = await client.conversations.send(
            "Hi", recipient_profile_id="prospect-3", account_id=account.account_id
        )
    assert result.sent_message is not None
    refused, accepted = fake.requests  # the same send, before and after midnight
    assert refused.json() == accepted.json()
    assert refused.idempotency_key == accepted.idempotency_key
    assert sleeps == [30.0]  # Retry-After: seconds until 00:00 UTC, in whole seconds
    assert fake.clock.now() == MIDNIGHT
    assert [s.new_conversation for s in fake.sends] == [True]
    assert account.new_conversations_today == 1


async def test_a_thread_on_either_channel_makes_a_send_a_reply(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    seat = fake.add_account(sales_navigator=True, daily_quota=0)
    standard = fake.add_conversation(account_id=seat.account_id, recipient_profile_id="jane-doe")
    lead = fake.add_conversation(
        account_id=seat.account_id, kind="sales_navigator", recipient_profile_id="sam-lee"
    )
    on_sales_nav = await client.conversations.send(
        "Via Sales Navigator",
        recipient_profile_id="jane-doe",
        account_id=seat.account_id,
        messaging_channel="sales_navigator",
    )
    on_inbox = await client.conversations.send(
        "Via the inbox",
        recipient_profile_id="sam-lee",
        account_id=seat.account_id,
        messaging_channel="linkedin_inbox",
    )
    # No thread of the requested channel: the reply goes into the one that exists.
    assert [m.text for m in standard.messages] == ["Via Sales Navigator"]
    assert [m.text for m in lead.messages] == ["Via the inbox"]
    assert [(s.new_conversation, s.channel) for s in fake.sends] == [
        (False, "linkedin_inbox"),
        (False, "sales_navigator"),
    ]
    assert on_sales_nav.thread_id is None and on_inbox.thread_id == lead.thread_id


async def test_the_thread_of_the_requested_channel_is_preferred(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    seat = fake.add_account(sales_navigator=True, daily_quota=0)
    fake.add_conversation(account_id=seat.account_id, recipient_profile_id="jane-doe")
    lead = fake.add_conversation(
        account_id=seat.account_id, kind="sales_navigator", recipient_profile_id="jane-doe"
    )
    await client.conversations.send(
        "Hi", recipient_profile_id="jane-doe", account_id=seat.account_id
    )
    assert fake.sends[0].conversation_urn == lead.urn


@pytest.mark.parametrize("first_by", ["slug", "urn"])
async def test_a_recipient_named_by_slug_or_urn_is_the_same_person(
    client: AsyncClient, fake: FakeConnectSafely, first_by: str
) -> None:
    probe = FakeConnectSafely()  # only to learn the profile URN the fake gives jane-doe
    async with probe.client() as probing:
        urn = (
            await probing.conversations.send("?", recipient_profile_id="jane-doe")
        ).recipient_profile_urn
    assert urn is not None
    fake.clock.set(NOON)
    fake.default_account.daily_quota = 1
    forms: list[dict[str, str]] = [
        {"recipient_profile_id": "jane-doe"},
        {"recipient_profile_urn": urn},
    ]
    if first_by == "urn":
        forms.reverse()
    await client.conversations.send("Hi", **forms[0])
    await client.conversations.send("Again", **forms[1])  # a reply: the quota is used up
    assert [s.new_conversation for s in fake.sends] == [True, False]
    assert len({s.conversation_urn for s in fake.sends}) == 1


async def test_send_result_is_frozen(client: AsyncClient) -> None:
    result = await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    with pytest.raises(AttributeError):
        result.success = False  # type: ignore[misc]
