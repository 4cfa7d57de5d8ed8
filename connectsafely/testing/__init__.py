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
