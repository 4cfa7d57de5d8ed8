"""Async Python SDK for the ConnectSafely LinkedIn automation API.

Example:
    >>> import connectsafely
    >>> async def main() -> None:  # doctest: +SKIP
    ...     async with connectsafely.AsyncClient() as client:
    ...         await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
"""

from typing import TYPE_CHECKING, Any

from ._bulk import BulkSend, BulkSummary, Progress, SendOutcome, SendRequest, collect_in_order
from ._client import AsyncClient
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectSafelyError,
    InternalServerError,
    NotFoundError,
    OperationFailedError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._media import MediaDownload, SavedMedia
from ._models import Attachment, Message, MessagesPage, Participant, SendResult
from ._models_conversations import (
    AccountSyncStatus,
    Conversation,
    ConversationActionResult,
    ConversationExists,
    ConversationsPage,
    DeleteMessageResult,
    InboxAccount,
    LatestMessage,
    ReactionResult,
    RefreshResult,
    SyncResult,
    SyncState,
    SyncStatus,
)
from ._pagination import AsyncPager
from ._ratelimit import RateLimit
from ._types import MessagingChannel
from ._version import __version__

if TYPE_CHECKING:
    from ._aiohttp import AioHttpClient

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AccountSyncStatus",
    "AioHttpClient",
    "AsyncClient",
    "AsyncPager",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "BulkSend",
    "BulkSummary",
    "ConfigurationError",
    "ConflictError",
    "ConnectSafelyError",
    "Conversation",
    "ConversationActionResult",
    "ConversationExists",
    "ConversationsPage",
    "DeleteMessageResult",
    "InboxAccount",
    "InternalServerError",
    "LatestMessage",
    "MediaDownload",
    "Message",
    "MessagesPage",
    "MessagingChannel",
    "NotFoundError",
    "OperationFailedError",
    "PaginationError",
    "Participant",
    "PermissionDeniedError",
    "Progress",
    "RateLimit",
    "RateLimitError",
    "ReactionResult",
    "RefreshResult",
    "SavedMedia",
    "SendOutcome",
    "SendRequest",
    "SendResult",
    "SyncResult",
    "SyncState",
    "SyncStatus",
    "UnprocessableEntityError",
    "__version__",
    "collect_in_order",
]


def __getattr__(name: str) -> Any:
    # `AioHttpClient` is imported on first use so `import connectsafely` never pays for
    # (or requires) aiohttp.
    if name == "AioHttpClient":
        from ._aiohttp import AioHttpClient

        return AioHttpClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
