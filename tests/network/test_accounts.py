"""``client.accounts.list`` and ``.status`` (design §14): paths, the bare array, decoding."""

from __future__ import annotations

from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely
from tests._support import NOON

from .conftest import ACCOUNT_B

pytestmark = pytest.mark.anyio


async def test_list_reads_the_bare_array(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.accounts[ACCOUNT_B].status = "WARMUP"
    accounts = await client.accounts.list()
    [request] = fake.requests
    assert (request.method, request.path, request.query) == ("GET", "/linkedin/accounts", {})
    assert accounts == (
        connectsafely.LinkedInAccount(
            account_id=fake.default_account_id,
            first_name="Alex",
            last_name="Rivera",
            public_id="alex-rivera",
            picture=None,
            status="AVAILABLE",
            enabled=True,
            api_seat_allocated=True,
        ),
        connectsafely.LinkedInAccount(
            account_id=ACCOUNT_B,
            first_name="Bea",
            last_name="Account",
            public_id="bea-account",
            picture=None,
            status="WARMUP",
            enabled=True,
            api_seat_allocated=True,
        ),
    )


@pytest.mark.parametrize(
    "query", ["bea", "ACCOUNT", ACCOUNT_B, "https://www.linkedin.com/in/bea-account/"]
)
async def test_list_with_a_query_sends_q(
    client: AsyncClient, fake: FakeConnectSafely, query: str
) -> None:
    accounts = await client.accounts.list(query=query)
    assert fake.requests[0].query == {"q": query}
    assert [account.account_id for account in accounts] == [ACCOUNT_B]


async def test_list_checks_the_query_first(client: AsyncClient, fake: FakeConnectSafely) -> None:
    with pytest.raises(ValueError, match="query"):
        await client.accounts.list(query=" ")
    assert fake.requests == []


async def test_list_decodes_unknown_and_missing_fields(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body=[{"id": "abc", "newThing": 1}, {}], path="/linkedin/accounts")
    first, second = await client.accounts.list()
    assert first == connectsafely.LinkedInAccount(account_id="abc")
    assert second == connectsafely.LinkedInAccount()


async def test_list_refuses_a_body_that_is_not_an_array_of_accounts(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body=[{"id": 5.5}], path="/linkedin/accounts")
    async with make_client() as client:
        with pytest.raises(connectsafely.APIResponseValidationError, match=r"\$\[0\]"):
            await client.accounts.list()


async def test_status_without_an_account_asks_the_default_form(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    status = await client.accounts.status()
    [request] = fake.requests
    assert (request.method, request.path, request.query) == ("GET", "/linkedin/account/status", {})
    assert status.account_id == fake.default_account_id
    assert (status.status, status.enabled, status.has_tokens) == ("AVAILABLE", True, True)
    assert status.platform == "ConnectSafely" and status.last_used == NOON
    assert status.linkedin_plan == connectsafely.LinkedInPlan(
        premium_type="FREE",
        is_premium=False,
        has_sales_navigator=False,
        has_recruiter=False,
        has_away_messages=False,
        has_advertise_badge=False,
        has_hiring_manager=False,
    )


async def test_status_of_an_account_puts_it_in_the_path(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    fake.accounts[ACCOUNT_B].status = "ERROR"
    async with make_client(account_id=ACCOUNT_B) as client:
        status = await client.accounts.status()
        await client.accounts.status(fake.default_account_id)
    first, second = fake.requests
    assert first.raw_path == f"/linkedin/account/{ACCOUNT_B}/status"
    assert second.raw_path == f"/linkedin/account/{fake.default_account_id}/status"
    assert (status.status, status.has_tokens, status.linkedin_plan) == ("ERROR", False, None)


async def test_status_of_an_unknown_account_is_not_found(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    async with make_client() as client:
        with pytest.raises(connectsafely.NotFoundError):
            await client.accounts.status("0" * 24)
        with pytest.raises(connectsafely.BadRequestError):
            await client.accounts.status("not-hex")
    assert len(fake.requests) == 2


async def test_status_checks_the_account_first(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    with pytest.raises(ValueError, match="account_id"):
        await client.accounts.status(" ")
    with pytest.raises(TypeError, match="account_id"):
        await client.accounts.status(7)  # type: ignore[arg-type]
    assert fake.requests == []
