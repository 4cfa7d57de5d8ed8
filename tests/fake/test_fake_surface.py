"""The fake's public surface, guarded like the SDK's (see test_public_api.py).

Users' own tests call these names, so a removed or renamed one breaks them, and an
accidental new one (an internal helper without its underscore) becomes API. Each
group matches the one in the `FakeConnectSafely` docstring and in docs/testing.md.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from connectsafely import testing
from connectsafely.testing import FakeConnectSafely

TESTING_EXPORTS = {
    "FakeConnectSafely",
    "FakeClock",
    "LoopbackServer",
    # records a test reads or seeds
    "RecordedRequest",
    "AcceptedSend",
    "StoredUpload",
    "FakeAccount",
    "FakeConversation",
    "FakeMessage",
    "FakeSyncState",
    # the network (fake.add_profile, fake.invitations)
    "FakeProfile",
    "FakeInvitation",
    # what the fault and limit methods return, and the error shapes
    "Fault",
    "RequestRateLimiter",
    "AccountLimit",
    "error_body",
    # webhook deliveries (fake.webhook_deliveries)
    "WebhookDelivery",
}

FAKE_SURFACE = {
    "construction and settings": {
        "api_key",
        "error_style",
        "honor_idempotency_keys",
        "inbox_cache_size",
        "inbox_timestamps",
    },
    "seeding": {
        "add_account",
        "add_conversation",
        "add_message",
        "seed_messages",
        "add_media",
        "sync_state",
    },
    "inspecting": {
        "requests",
        "requests_to",
        "unserved",
        "sends",
        "uploads",
        "accounts",
        "conversations",
        "default_account",
        "default_account_id",
        "refreshes",
    },
    "faults": {
        "fail_next",
        "rate_limit_next",
        "drop_next",
        "delay_next",
        "paging_fault_next",
        "clear_faults",
        "pending_faults",
        "latency",
        "enforce_rate_limit",
        "enforce_account_limit",
        "hold",
        "stop_rate_limit",
    },
    "serving": {"app", "client", "transport", "serve"},
    "time": {"clock"},
    "webhooks": {"add_webhook", "receive_message", "webhook_deliveries"},
    "network": {
        "add_profile",
        "accept_invitation",
        "decline_invitation",
        "add_received_invitation",
        "profiles",
        "invitations",
    },
}
PUBLIC_ATTRIBUTES = set().union(*FAKE_SURFACE.values())

ROOT = Path(__file__).resolve().parents[2]


def test_connectsafely_testing_exports_exactly_what_a_test_needs() -> None:
    assert set(testing.__all__) == TESTING_EXPORTS
    assert len(testing.__all__) == len(TESTING_EXPORTS)  # no name listed twice


@pytest.mark.parametrize("name", sorted(TESTING_EXPORTS))
def test_every_testing_export_resolves_and_is_documented(name: str) -> None:
    value = getattr(testing, name)
    assert inspect.getdoc(value), f"{name} has no docstring"
    assert value.__module__.startswith("connectsafely.testing")


def test_a_fake_shows_only_its_grouped_surface() -> None:
    public = {name for name in dir(FakeConnectSafely()) if not name.startswith("_")}
    assert public == PUBLIC_ATTRIBUTES


@pytest.mark.parametrize("name", sorted(PUBLIC_ATTRIBUTES))
def test_every_public_attribute_is_documented(name: str) -> None:
    assert inspect.getdoc(getattr(FakeConnectSafely, name)), f"FakeConnectSafely.{name}"


@pytest.mark.parametrize("group", sorted(FAKE_SURFACE))
def test_the_class_docs_list_each_group_with_its_names(group: str) -> None:
    doc = inspect.getdoc(FakeConnectSafely) or ""
    match = re.search(rf"\*\*{group}\*\*:(.*?)(?=\n- \*\*|\n\n)", doc, re.IGNORECASE | re.DOTALL)
    assert match, f"no '{group}' group in the FakeConnectSafely docstring"
    listed = set(re.findall(r"`(\w+)`", match[1]))
    assert FAKE_SURFACE[group] <= listed, FAKE_SURFACE[group] - listed


def test_the_testing_guide_shows_every_public_attribute() -> None:
    guide = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    missing = {name for name in PUBLIC_ATTRIBUTES if f"fake.{name}" not in guide}
    assert missing == set()
