"""Test helpers: an in-memory fake of the ConnectSafely API.

Example:
    >>> from connectsafely.testing import FakeConnectSafely
    >>> fake = FakeConnectSafely()
    >>> fake.fail_next(503)  # the next call gets a 503 (and is retried)  # doctest: +SKIP
"""

from ._clock import FakeClock
from ._fake import FakeConnectSafely
from ._faults import Fault
from ._ratelimit import RequestRateLimiter
from ._routes_inbox import FakeSyncState
from ._routes_media import StoredMedia
from ._state import AcceptedSend, FakeAccount, FakeConversation, FakeMessage, StoredUpload
from ._transport import InProcessTransport, LoopbackServer
from ._wire import ConnectionDropped, FakeResponse, RecordedRequest, error_body

__all__ = [
    "AcceptedSend",
    "ConnectionDropped",
    "FakeAccount",
    "FakeClock",
    "FakeConnectSafely",
    "FakeConversation",
    "FakeMessage",
    "FakeResponse",
    "FakeSyncState",
    "Fault",
    "InProcessTransport",
    "LoopbackServer",
    "RecordedRequest",
    "RequestRateLimiter",
    "StoredMedia",
    "StoredUpload",
    "error_body",
]
