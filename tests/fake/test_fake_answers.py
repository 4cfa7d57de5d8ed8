"""The fake server itself: its error style, deprecated read endpoints, seeded faults, 429s.

Also its daily quota reset; its clock, auth order, limit headers and holds are in
``test_fake_limits.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.testing import FakeClock, FakeConnectSafely
from tests._support import NOON, ODD_URN, SEED, reply

pytestmark = pytest.mark.anyio


# -- errors in the fake's own style -------------------------------------------------------


async def test_fake_error_style_is_used_for_its_own_errors(fake: FakeConnectSafely) -> None:
    fake.error_style = "code_message"
    async with fake.client() as client:
        with pytest.raises(connectsafely.NotFoundError) as info:
            await client.conversations.send("x", recipient_profile_id="a", account_id="nope" * 6)
    assert info.value.code == "account_not_found"
    assert info.value.body == {
        "success": False,
        "code": "account_not_found",
        "message": "Account not found",
    }


# -- deprecated read endpoints ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/linkedin/messaging/recent-messages", "/linkedin/conversations"),
        (
            "/linkedin/messaging/conversation-details?conversationUrn=" + quote(ODD_URN, safe=""),
            f"/linkedin/conversations/{quote(ODD_URN, safe='')}/messages",
        ),
    ],
)
async def test_fake_answers_deprecated_read_endpoints_with_307(
    fake: FakeConnectSafely, path: str, location: str
) -> None:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(transport=fake.transport(), base_url="https://fake") as http:
        response = await http.get(path, headers=headers)
    assert response.status_code == 307
    assert response.headers["location"] == location


# -- seeded random faults -----------------------------------------------------------------


async def test_the_seed_decides_which_requests_a_random_fault_hits() -> None:
    async def pattern(seed: int) -> list[int]:
        seeded = FakeConnectSafely(seed=seed)
        seeded.fail_next(503, count=1000, rate=0.5)
        hit: list[int] = []
        async with seeded.client(max_retries=0) as client:
            for i in range(40):
                try:
                    await client.conversations.send("Hi", recipient_profile_id=f"lead-{i}")
                except connectsafely.InternalServerError:
                    hit.append(i)
        return hit

    first = await pattern(SEED)
    assert 0 < len(first) < 40
    assert await pattern(SEED) == first
    assert await pattern(SEED + 1) != first


# -- the request limiter ------------------------------------------------------------------


async def test_fake_rate_limit_answers_429_with_retry_after_and_headers(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = fake.add_conversation().urn
    # A window far longer than the SDK's 60 s ceiling: "Remaining: 0" on the second
    # reply does not hold the third back, and its 429 is raised at once.
    limiter = fake.enforce_rate_limit(2, per=600.0)
    await reply(client, urn)
    await reply(client, urn)
    with pytest.raises(connectsafely.RateLimitError) as info:
        await reply(client, urn)
    headers = info.value.response.headers  # type: ignore[union-attr]
    assert headers["retry-after"] == "600"  # whole seconds until the window resets
    assert headers["x-ratelimit-limit"] == "2"
    assert (headers["x-ratelimit-used"], headers["x-ratelimit-remaining"]) == ("2", "0")
    reset = datetime.fromisoformat(headers["x-ratelimit-reset"].replace("Z", "+00:00"))
    assert 590 <= (reset - fake.clock.now()).total_seconds() <= 600
    assert (limiter.allowed, limiter.rejected) == (2, 1)
    assert len(fake.sends) == 2
    fake.stop_rate_limit()
    await reply(client, urn)  # the window is still full, but nothing counts any more
    assert len(fake.sends) == 3


# -- the daily quota on the fake's clock --------------------------------------------------


async def test_the_quota_resets_at_midnight_utc_of_the_fakes_clock(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    fake.clock.set(NOON)
    fake.default_account.new_conversations_today = 149
    async with make_client() as client:
        await client.conversations.send("150th", recipient_profile_id="prospect-150")
        with pytest.raises(connectsafely.RateLimitError):
            await client.conversations.send("151st", recipient_profile_id="prospect-151")
    fake.clock.advance(12 * 3600)  # 00:00 UTC: a new day
    async with make_client() as client:
        await client.conversations.send("151st", recipient_profile_id="prospect-151")
    assert [s.text for s in fake.sends] == ["150th", "151st"]
    assert fake.default_account.new_conversations_today == 1
    async with httpx.AsyncClient(
        transport=fake.transport(), headers={"Authorization": f"Bearer {fake.api_key}"}
    ) as raw:  # the quota headers, which the SDK reads but does not return
        cold = await raw.post(
            f"{connectsafely.DEFAULT_BASE_URL}/linkedin/conversations/send",
            json={"message": "152nd", "recipientProfileId": "prospect-152"},
        )
    assert cold.headers["X-RateLimit-Reset"] == "2026-03-04T00:00:00.000Z"


# -- requests the fake does not serve -----------------------------------------------------


async def test_unserved_lists_requests_no_endpoint_answers(fake: FakeConnectSafely) -> None:
    auth = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url="https://api.connectsafely.ai", headers=auth
    ) as http:
        unknown = await http.get("/linkedin/not-an-endpoint")
        wrong_method = await http.delete("/linkedin/conversations")
        missing = await http.get(f"/linkedin/conversations/{quote(ODD_URN, safe='')}/messages")
        listed = await http.get("/linkedin/conversations")
        no_key = await http.get("/linkedin/nowhere", headers={"Authorization": "Bearer wrong"})
    assert (unknown.status_code, wrong_method.status_code) == (404, 405)
    # Served paths answering an error, and refused keys, are not "unserved".
    assert missing.status_code == 404 and listed.status_code == 200
    assert no_key.status_code == 401
    assert [(r.method, r.path) for r in fake.unserved] == [
        ("GET", "/linkedin/not-an-endpoint"),
        ("DELETE", "/linkedin/conversations"),
    ]


# -- the clock argument -------------------------------------------------------------------


def test_a_naive_clock_is_refused_naming_the_argument_it_came_from() -> None:
    naive = datetime(2026, 3, 2, 12, 0)
    with pytest.raises(ValueError, match=r"^clock must be an aware datetime"):
        FakeConnectSafely(clock=naive)
    with pytest.raises(ValueError, match=r"^start must be an aware datetime"):
        FakeClock(naive)
    with pytest.raises(ValueError, match=r"^moment must be an aware datetime"):
        FakeClock().set(naive)
    with pytest.raises(ValueError, match=r"^start must be a finite number"):
        FakeClock(float("nan"))
