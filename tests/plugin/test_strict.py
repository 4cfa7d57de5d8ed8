"""Strict by default: what a test left unused fails it at teardown, with a list of it.

A queued fault no request consumed, or a request to a path the fake does not serve,
fails the test that left it, even when the code under test swallowed the error; the
marker (on the test, class or module) and the ini option relax it.
"""

from __future__ import annotations

import pytest

from tests.plugin.conftest import UserPytest

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

STRICT_TESTS = """
import httpx
import pytest

import connectsafely

pytestmark = pytest.mark.anyio



async def test_a_consumed_fault_passes(connectsafely_client, connectsafely_fake):
    connectsafely_fake.fail_next(503)
    await connectsafely_client.conversations.send("Hi", recipient_profile_id="sam-lee")


def test_a_fault_nothing_consumed(connectsafely_fake):
    connectsafely_fake.fail_next(500, path="/linkedin/nothing-calls-this", method="post")


def test_drops_and_delays_count_too(connectsafely_fake):
    connectsafely_fake.drop_next(mid_body=True)
    connectsafely_fake.delay_next(2.5, count=3)


def test_a_random_fault_may_rightly_never_fire(connectsafely_fake):
    connectsafely_fake.fail_next(503, rate=0.5, count=100)


def test_cleared_faults_are_not_leftovers(connectsafely_fake):
    connectsafely_fake.rate_limit_next()
    connectsafely_fake.clear_faults()


async def test_a_swallowed_wrong_method(connectsafely_fake):
    async with httpx.AsyncClient(
        transport=connectsafely_fake.transport(), base_url="https://api.connectsafely.ai"
    ) as http:
        answer = await http.delete(
            "/linkedin/conversations",
            headers={"Authorization": f"Bearer {connectsafely_fake.api_key}"},
        )
    assert answer.status_code == 405


async def test_a_swallowed_sdk_error_from_a_fault(connectsafely_client, connectsafely_fake):
    connectsafely_fake.fail_next(400, count=2)  # one is used, one is left
    try:
        await connectsafely_client.conversations.send("Hi", recipient_profile_id="sam-lee")
    except connectsafely.BadRequestError:
        pass


@pytest.mark.connectsafely(strict=False)
def test_relaxed_by_its_marker(connectsafely_fake):
    connectsafely_fake.fail_next(503)


def test_a_failing_test_reports_its_own_failure_only(connectsafely_fake):
    connectsafely_fake.fail_next(503)
    assert 1 == 2


@pytest.mark.connectsafely(strict=False)
class TestRelaxedClass:
    def test_relaxed_by_the_class(self, connectsafely_fake):
        connectsafely_fake.fail_next(503)

    @pytest.mark.connectsafely(strict=True)
    def test_strict_again_nearest_wins(self, connectsafely_fake):
        connectsafely_fake.fail_next(502)
"""


def _reported(result: pytest.RunResult, word: str) -> set[str]:
    """The test names the short summary lists as ``word`` (ERROR, FAILED)."""
    return {
        line.split()[1].split("::", 1)[1]
        for line in result.outlines
        if line.startswith(f"{word} test_")
    }


def test_leftovers_fail_the_test_that_left_them(user_pytest: UserPytest) -> None:
    user_pytest.pytester.makeconftest(CONFTEST)
    user_pytest.pytester.makepyfile(test_user=STRICT_TESTS)
    result = user_pytest.run("-ra", "--strict-markers")
    assert _reported(result, "ERROR") == {
        "test_a_fault_nothing_consumed",
        "test_drops_and_delays_count_too",
        "test_a_swallowed_wrong_method",
        "test_a_swallowed_sdk_error_from_a_fault",
        "TestRelaxedClass::test_strict_again_nearest_wins",
    }
    assert _reported(result, "FAILED") == {"test_a_failing_test_reports_its_own_failure_only"}
    result.assert_outcomes(passed=10, failed=1, errors=5)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_fault_nothing_consumed*",
            "connectsafely_fake (strict): the test left behind:",
            "  - a queued fault no request consumed: answer 500 (method: POST, "
            "path: /linkedin/nothing-calls-this*; 1 left)",
            "Let a request consume each fault, forget them with fake.clear_faults(), or relax "
            "the check: @pytest.mark.connectsafely(strict=False)*connectsafely_strict = false*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_drops_and_delays_count_too*",
            "*cut the connection mid-body (method: any, path: any, after handling the request;"
            " 1 left)",
            "*delay the answer by 2.5 s (method: any, path: any; 3 left)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_swallowed_wrong_method*",
            "  - a request to a path the fake does not serve: DELETE /linkedin/conversations*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_a_swallowed_sdk_error_from_a_fault*", "*answer 400*1 left)"]
    )


INI_RELAXED = """
import pytest


def test_relaxed_by_the_ini_file(connectsafely_fake):
    connectsafely_fake.fail_next(503)


@pytest.mark.connectsafely(strict=True)
def test_the_marker_wins_over_the_ini_file(connectsafely_fake):
    connectsafely_fake.fail_next(503)
"""


def test_the_ini_option_sets_the_suite_default(user_pytest: UserPytest) -> None:
    user_pytest.pytester.makeini("[pytest]\nconnectsafely_strict = false\n")
    user_pytest.pytester.makepyfile(test_user=INI_RELAXED)
    result = user_pytest.run("-ra")
    result.assert_outcomes(passed=2, errors=1)
    assert _reported(result, "ERROR") == {"test_the_marker_wins_over_the_ini_file"}
