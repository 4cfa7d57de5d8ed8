"""The network tests' fake: its clock frozen on a Monday noon, a second account, people."""

from __future__ import annotations

import pytest

from connectsafely.testing import FakeConnectSafely
from tests._support import NOON

ACCOUNT_B = "5f0c0ffee0c0ffee0c0ffee0"
"""A second account of the workspace."""


@pytest.fixture
def fake() -> FakeConnectSafely:
    """A fake at Monday 2026-03-02 12:00 UTC with a second account and Jane Doe."""
    fake = FakeConnectSafely(clock=NOON)
    fake.add_account(ACCOUNT_B, name="Bea Account")
    fake.add_profile("jane-doe", headline="CTO at Example")
    return fake
