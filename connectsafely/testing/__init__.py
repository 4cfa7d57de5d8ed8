"""Test helpers: an in-memory fake of the ConnectSafely API.

`FakeConnectSafely` is the fake (its class docs list its surface by group); the other
names are what its methods take and return, for tests that inspect or annotate them:

- time: `FakeClock`;
- serving: `LoopbackServer` (``fake.serve()``);
- records a test reads or seeds: `RecordedRequest`, `AcceptedSend`, `StoredUpload`,
  `FakeAccount`, `FakeConversation`, `FakeMessage`, `FakeSyncState`;
- the network: `FakeProfile` (``fake.add_profile``), `FakeInvitation`
  (``fake.invitations``);
- webhooks: `WebhookDelivery` (``fake.webhook_deliveries``);
- faults and limits: `Fault` (``fail_next`` and friends), `RequestRateLimiter`
  (``enforce_rate_limit``), `AccountLimit` (``enforce_account_limit``), `error_body`
  (the error shapes, to compare against).

Examples:
    >>> from connectsafely.testing import FakeConnectSafely
    >>> fake = FakeConnectSafely()
    >>> fake.fail_next(503)  # the next call gets a 503 (and is retried)  # doctest: +SKIP
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._clock import FakeClock
    from ._fake import FakeConnectSafely
    from ._faults import Fault
    from ._limits import AccountLimit, RequestRateLimiter
    from ._records import (
        AcceptedSend,
        FakeAccount,
        FakeConversation,
        FakeInvitation,
        FakeMessage,
        FakeProfile,
        FakeSyncState,
        StoredUpload,
    )
    from ._transport import LoopbackServer
    from ._webhooks import WebhookDelivery
    from ._wire import RecordedRequest, error_body

# Loaded on first access (PEP 562 `__getattr__` below): importing this package (as
# pytest does for the plugin, `connectsafely.testing.pytest_plugin`) loads none of the
# fake until a test asks for one of these names.
_LAZY: dict[str, str] = {
    "AcceptedSend": "._records",
    "AccountLimit": "._limits",
    "FakeAccount": "._records",
    "FakeClock": "._clock",
    "FakeConnectSafely": "._fake",
    "FakeConversation": "._records",
    "FakeInvitation": "._records",
    "FakeMessage": "._records",
    "FakeProfile": "._records",
    "FakeSyncState": "._records",
    "Fault": "._faults",
    "LoopbackServer": "._transport",
    "RecordedRequest": "._wire",
    "RequestRateLimiter": "._limits",
    "StoredUpload": "._records",
    "WebhookDelivery": "._webhooks",
    "error_body": "._wire",
}

__all__ = [
    "AcceptedSend",
    "AccountLimit",
    "FakeAccount",
    "FakeClock",
    "FakeConnectSafely",
    "FakeConversation",
    "FakeInvitation",
    "FakeMessage",
    "FakeProfile",
    "FakeSyncState",
    "Fault",
    "LoopbackServer",
    "RecordedRequest",
    "RequestRateLimiter",
    "StoredUpload",
    "WebhookDelivery",
    "error_body",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups find it without calling this again
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
