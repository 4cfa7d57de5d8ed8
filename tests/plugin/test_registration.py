"""The plugin comes with the install (the ``pytest11`` entry point ``connectsafely``),
costs nothing until a test uses it, and ``-p no:connectsafely`` switches it off."""

from __future__ import annotations

import subprocess
import sys

from tests.plugin.conftest import UserPytest, declared_entry_point

FIXTURES = (
    "connectsafely_fake",
    "connectsafely_client",
    "connectsafely_server",
    "connectsafely_env",
    "connectsafely_webhook",
)

HELPERS = [
    "connectsafely.testing._plugin_options",
    "connectsafely.testing._plugin_strict",
    "connectsafely.testing._plugin_client",
    "connectsafely.testing._plugin_server",
    "connectsafely.testing._plugin_webhook",
]

UNUSED = f"""
import sys

import pytest


@pytest.mark.connectsafely(strict=False)
def test_a_session_that_uses_no_fixture_loads_nothing_more():
    loaded = [name for name in {HELPERS!r} if name in sys.modules]
    assert loaded == []
    assert "uvicorn" not in sys.modules
    assert "connectsafely.testing.pytest_plugin" in sys.modules
"""

SWITCHED_OFF = """
import sys


def test_the_plugin_is_not_even_imported():
    assert "connectsafely.testing.pytest_plugin" not in sys.modules


def test_its_fixtures_are_gone(connectsafely_fake):
    pass
"""


def test_pyproject_registers_the_plugin_module_as_connectsafely() -> None:
    assert declared_entry_point() == ("connectsafely", "connectsafely.testing.pytest_plugin")


def test_importing_the_plugin_loads_neither_the_sdk_nor_httpx() -> None:
    # What a session that never asks for a fixture pays, beyond pytest: the two package
    # `__init__`s (their names load on first access), the version and the plugin module.
    script = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import connectsafely.testing.pytest_plugin\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == str(
        [
            "connectsafely",
            "connectsafely._version",
            "connectsafely.testing",
            "connectsafely.testing.pytest_plugin",
        ]
    )


def test_installed_it_loads_lists_its_fixtures_and_marker_and_costs_nothing_unused(
    user_pytest: UserPytest,
) -> None:
    user_pytest.pytester.makepyfile(test_user=UNUSED)
    result = user_pytest.run("--strict-markers")
    result.assert_outcomes(passed=1)
    fixtures = user_pytest.run("--fixtures")
    fixtures.stdout.fnmatch_lines(["*fixtures defined from connectsafely.testing.pytest_plugin*"])
    for name in FIXTURES:
        fixtures.stdout.fnmatch_lines([f"{name} *-- *pytest_plugin.py:*"])
    fixtures.stdout.fnmatch_lines(["connectsafely_server [[]session scope[]] -- *"])
    markers = user_pytest.run("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.connectsafely(strict=True, accounts=*"])


def test_p_no_connectsafely_switches_it_off(user_pytest: UserPytest) -> None:
    user_pytest.pytester.makepyfile(test_user=SWITCHED_OFF)
    result = user_pytest.run("-p", "no:connectsafely")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'connectsafely_fake' not found*"])


def test_the_server_type_is_importable_for_annotations() -> None:
    from connectsafely.testing import pytest_plugin
    from connectsafely.testing.pytest_plugin import FakeServer

    assert FakeServer.__doc__ and "connectsafely_server" in FakeServer.__doc__
    assert "FakeServer" not in pytest_plugin.__all__  # not a fixture or hook
