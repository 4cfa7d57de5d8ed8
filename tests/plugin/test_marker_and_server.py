"""The marker seeds the fake and merges across module, class and test (nearest wins, per
argument); the loopback server is one per session with a fresh fake per test."""

from __future__ import annotations

from tests.plugin.conftest import UserPytest

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

SEEDED = """
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from connectsafely import Limits, RateLimit

MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
pytestmark = pytest.mark.connectsafely(now=MONDAY, accounts=["acc-module"], limits=True)


def extra_accounts(fake):
    return sorted(a for a in fake.accounts if a != fake.default_account_id)


async def limit_headers(fake, method, path, **options):
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url="https://api.connectsafely.ai"
    ) as http:
        answer = await http.request(
            method, path, headers={"Authorization": f"Bearer {fake.api_key}"}, **options
        )
    return answer.headers.get("x-ratelimit-limit"), answer.headers.get("x-ratelimit-action")


@pytest.mark.anyio
async def test_the_module_marker_seeds_the_fake(connectsafely_fake):
    assert connectsafely_fake.clock.now() == MONDAY and connectsafely_fake.clock.frozen
    assert extra_accounts(connectsafely_fake) == ["acc-module"]
    assert not connectsafely_fake.default_account.sales_navigator
    # limits=True: the published limits, 60 calls a minute per key, 15 writes a
    # minute per account, 150 new conversations a day.
    assert await limit_headers(connectsafely_fake, "GET", "/linkedin/conversations") == (
        "60",
        None,
    )
    send = {"json": {"message": "Hi", "recipientProfileId": "sam-lee"}}
    assert await limit_headers(
        connectsafely_fake, "POST", "/linkedin/conversations/send", **send
    ) == ("15", "MESSAGE")
    assert {a.daily_quota for a in connectsafely_fake.accounts.values()} == {150}


@pytest.mark.connectsafely(accounts=["acc-class"], sales_navigator=True)
class TestNearestWins:
    def test_the_class_marker_wins_over_the_module(self, connectsafely_fake):
        assert extra_accounts(connectsafely_fake) == ["acc-class"]
        assert connectsafely_fake.default_account.sales_navigator
        assert connectsafely_fake.clock.now() == MONDAY  # still the module's

    @pytest.mark.connectsafely(
        accounts=[{"account_id": "acc-test", "name": "Morgan Blake", "daily_quota": 5}],
        limits=Limits(daily_new_conversations=3),
        now=MONDAY.timestamp() + 3600,
    )
    def test_the_test_marker_wins_over_both(self, connectsafely_fake):
        assert extra_accounts(connectsafely_fake) == ["acc-test"]
        assert connectsafely_fake.accounts["acc-test"].name == "Morgan Blake"
        assert connectsafely_fake.default_account.sales_navigator  # the class's
        assert connectsafely_fake.clock.now() == MONDAY + timedelta(hours=1)
        assert {a.daily_quota for a in connectsafely_fake.accounts.values()} == {3}


@pytest.mark.connectsafely(accounts=2, limits=None)
@pytest.mark.anyio
async def test_a_count_of_accounts_and_no_limits(connectsafely_fake):
    assert len(extra_accounts(connectsafely_fake)) == 2
    assert await limit_headers(connectsafely_fake, "GET", "/linkedin/conversations") == (
        None,
        None,
    )


@pytest.mark.connectsafely(limits=Limits(key=RateLimit(5, per=1.0)))
@pytest.mark.anyio
async def test_a_limits_object(connectsafely_fake):
    assert await limit_headers(connectsafely_fake, "GET", "/linkedin/conversations") == (
        "5",
        None,
    )


@pytest.mark.connectsafely(acounts=["typo"])
def test_an_unknown_argument(connectsafely_fake):
    pass


@pytest.mark.connectsafely(now=datetime(2026, 3, 2))
def test_a_naive_now(connectsafely_fake):
    pass


@pytest.mark.connectsafely(False)
def test_a_positional_argument(connectsafely_fake):
    pass


@pytest.mark.connectsafely(strict="no")
def test_a_strict_that_is_not_a_bool(connectsafely_fake):
    pass


def test_a_marker_without_the_fixture_changes_nothing():
    pass
"""


def test_the_marker_seeds_and_merges_nearest_first(user_pytest: UserPytest) -> None:
    user_pytest.pytester.makeconftest(CONFTEST)
    user_pytest.pytester.makepyfile(test_user=SEEDED)
    result = user_pytest.run("-ra", "--strict-markers")
    result.assert_outcomes(passed=6, errors=4)
    errors = {
        "test_an_unknown_argument",
        "test_a_naive_now",
        "test_a_positional_argument",
        "test_a_strict_that_is_not_a_bool",
    }
    assert {
        line.split("::")[1].split()[0] for line in result.outlines if line.startswith("ERROR ")
    } == errors
    result.stdout.fnmatch_lines(
        [
            "E * TypeError: @pytest.mark.connectsafely got an unknown argument 'acounts'; it "
            "takes strict, accounts, sales_navigator, limits, now",
            "E * ValueError: @pytest.mark.connectsafely(now=...) must be an aware datetime*",
            "E * TypeError: @pytest.mark.connectsafely takes keyword arguments only*",
            "E * TypeError: @pytest.mark.connectsafely(strict=...) must be True or False, not 'no'",
        ]
    )


SERVER = """
import httpx
import pytest

SEEN = []

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="session")
def service_url(connectsafely_server):
    # A user's session-wide fixture: e.g. their service started once, configured with the
    # fake's address.
    return connectsafely_server.base_url


def test_started_late_the_server_serves_the_running_tests_fake(connectsafely_fake, request):
    # The first use of the server in the session, after this test's fake exists.
    server = request.getfixturevalue("connectsafely_server")
    assert server.fake is connectsafely_fake


async def test_first(connectsafely_server, connectsafely_fake, service_url):
    SEEN.append(connectsafely_server.base_url)
    assert service_url == connectsafely_server.base_url
    assert connectsafely_server.fake is connectsafely_fake
    connectsafely_fake.add_conversation(recipient_profile_id="priya-shah")
    async with connectsafely_server.client() as client:
        await client.conversations.send("First", recipient_profile_id="sam-lee")
    assert len(connectsafely_fake.sends) == 1


async def test_second_gets_a_fresh_fake_on_the_same_port(
    connectsafely_server, connectsafely_fake, connectsafely_client
):
    SEEN.append(connectsafely_server.base_url)
    assert SEEN[0] == SEEN[1]  # one server for the session
    assert connectsafely_server.fake is connectsafely_fake
    assert connectsafely_fake.sends == [] and connectsafely_fake.requests == []
    assert len(connectsafely_fake.conversations) == 0
    async with connectsafely_server.client() as over_socket:
        await over_socket.conversations.send("Over the socket", recipient_profile_id="sam-lee")
    await connectsafely_client.conversations.send("In-process", recipient_profile_id="sam-lee")
    assert [s.text for s in connectsafely_fake.sends] == ["Over the socket", "In-process"]
    assert repr(connectsafely_server) == f"<FakeServer {SEEN[1]}>"


def test_a_test_without_the_server_does_not_need_it(connectsafely_fake):
    assert connectsafely_fake.requests == []


async def test_only_through_a_session_fixture_still_a_fresh_fake(service_url):
    async with httpx.AsyncClient(base_url=service_url) as http:
        answer = await http.get("/linkedin/conversations")
    assert answer.status_code == 401  # a fake answered (no key sent)


@pytest.mark.connectsafely(accounts=["acc-third"])
async def test_the_server_alone_serves_this_tests_marker(connectsafely_server):
    assert "acc-third" in connectsafely_server.fake.accounts
    assert connectsafely_server.fake.requests == []
"""


def test_one_server_per_session_and_a_fresh_fake_per_test(user_pytest: UserPytest) -> None:
    user_pytest.pytester.makeconftest(CONFTEST)
    user_pytest.pytester.makepyfile(test_user=SERVER)
    user_pytest.run().assert_outcomes(passed=6)
