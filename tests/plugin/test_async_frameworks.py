"""Every fixture, from a user's test file, under each async test runner users have:
anyio's plugin on asyncio and on Trio (without pytest-asyncio loaded), and pytest-asyncio
in strict and in auto mode."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import UserPytest

USER_TESTS = """
import os
import sys

import anyio
import httpx
import pytest

import connectsafely
from connectsafely.testing import LoopbackServer
from connectsafely.webhooks import WebhookReceiver

SECRET = "whsec_user_secret"
CLIENTS = []


{mark}
async def test_the_client_reaches_the_fake_and_retries_at_once(
    connectsafely_client, connectsafely_fake
):
    CLIENTS.append(connectsafely_client)
    connectsafely_fake.fail_next(503)
    connectsafely_fake.rate_limit_next(retry_after=30)  # never waited for
    with anyio.fail_after(10):
        await connectsafely_client.conversations.send("Hi Sam", recipient_profile_id="sam-lee")
    assert [s.text for s in connectsafely_fake.sends] == ["Hi Sam"]
    assert len(connectsafely_fake.requests) == 3


{mark}
async def test_code_that_builds_its_own_client_reaches_the_server(
    connectsafely_env, connectsafely_server, connectsafely_fake
):
    assert connectsafely_server.fake is connectsafely_fake
    assert os.environ["CONNECTSAFELY_BASE_URL"] == connectsafely_server.base_url
    assert connectsafely_server.base_url.startswith("http://127.0.0.1:")
    async with connectsafely.AsyncClient() as own:
        await own.conversations.send("Over TCP", recipient_profile_id="sam-lee")
    async with connectsafely_server.client() as other:
        await other.conversations.send("Again", recipient_profile_id="sam-lee")
    assert [s.text for s in connectsafely_fake.sends] == ["Over TCP", "Again"]
    assert connectsafely_fake.sends[0].account_id == os.environ["CONNECTSAFELY_ACCOUNT_ID"]


{mark}
async def test_webhooks_reach_an_app_and_a_url(connectsafely_webhook):
    events = []

    async def on_event(event):
        events.append(event)

    receiver = WebhookReceiver(SECRET, on_event)
    answer = await connectsafely_webhook(receiver, secret=SECRET, text="Tuesday works.")
    assert answer.status_code == 200
    assert (await connectsafely_webhook(receiver, secret="not-the-secret")).status_code == 401
    async with LoopbackServer(receiver) as server:
        answer = await connectsafely_webhook(
            f"{{server.base_url}}/hooks", secret=SECRET, text="Over a socket."
        )
    assert answer.status_code == 200 and answer.json() == {{"ok": True}}
    assert [e.text for e in events] == ["Tuesday works.", "Over a socket."]


{mark}
async def test_errors_the_code_swallowed_still_fail_it(
    connectsafely_server, connectsafely_fake
):
    connectsafely_fake.fail_next(503, path="/linkedin/messaging/never-called")
    headers = {{"Authorization": f"Bearer {{connectsafely_fake.api_key}}"}}
    async with httpx.AsyncClient(base_url=connectsafely_server.base_url) as http:
        try:
            (await http.get("/v2/not-an-endpoint", headers=headers)).raise_for_status()
        except httpx.HTTPStatusError:
            pass  # swallowed


def test_afterwards_the_client_is_closed_and_the_environment_restored():
    assert CLIENTS and CLIENTS[0].is_closed
    assert not any(name.startswith("CONNECTSAFELY_") for name in os.environ)
    assert ("pytest_asyncio" in sys.modules) == {uses_pytest_asyncio}
"""

ANYIO_CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "{backend}"
"""

MODES = {
    # anyio's plugin only: pytest-asyncio is switched off, and the plugin must not need it.
    "anyio-asyncio": (
        "@pytest.mark.anyio",
        ANYIO_CONFTEST.format(backend="asyncio"),
        ["-p", "no:asyncio"],
    ),
    "anyio-trio": (
        "@pytest.mark.anyio",
        ANYIO_CONFTEST.format(backend="trio"),
        ["-p", "no:asyncio"],
    ),
    "pytest-asyncio-strict": (
        "@pytest.mark.asyncio",
        None,
        ["-o", "asyncio_mode=strict", "-o", "asyncio_default_fixture_loop_scope=function"],
    ),
    "pytest-asyncio-auto": (
        "",
        None,
        ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"],
    ),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_fixture_works_under_each_async_runner(user_pytest: UserPytest, mode: str) -> None:
    pytest.importorskip("pytest_asyncio")
    mark, conftest, args = MODES[mode]
    if conftest is not None:
        user_pytest.pytester.makeconftest(conftest)
    uses_pytest_asyncio = "no:asyncio" not in args
    user_pytest.pytester.makepyfile(
        test_user=USER_TESTS.format(mark=mark, uses_pytest_asyncio=uses_pytest_asyncio)
    )
    result = user_pytest.run(*args)
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_errors_the_code_swallowed_still_fail_it*",
            "*a queued fault no request consumed: answer 503 (method: any, "
            "path: /linkedin/messaging/never-called*; 1 left)",
            "*a request to a path the fake does not serve: GET /v2/not-an-endpoint*",
            "*@pytest.mark.connectsafely(strict=False)*",
        ]
    )
