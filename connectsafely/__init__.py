"""Async Python SDK for the ConnectSafely LinkedIn automation API.

Examples:
    >>> import connectsafely
    >>> async def main() -> None:  # doctest: +SKIP
    ...     async with connectsafely.AsyncClient() as client:
    ...         await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._bulk import BulkSend, collect_in_order
    from ._client import AsyncClient
    from ._config import (
        DEFAULT_BASE_URL,
        DEFAULT_MAX_CONCURRENT_REQUESTS,
        DEFAULT_MAX_RETRIES,
        DEFAULT_TIMEOUT,
        Limits,
        RateLimit,
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
        ProspectRepliedError,
        QuotaExceededError,
        RateLimitError,
        SendInDoubtError,
        SendInProgressError,
        StoreError,
        UnprocessableEntityError,
    )
    from ._media import MediaDownload, SavedMedia
    from ._models.accounts import (
        AccountQuota,
        AccountStatus,
        InMailCredits,
        LinkedInAccount,
        LinkedInPlan,
        Quota,
    )
    from ._models.bulk import BulkSummary, Progress, SendOutcome, SendRequest
    from ._models.inbox import (
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
    from ._models.invitations import (
        Invitation,
        InvitationActionResult,
        InvitationProfile,
        InvitationRequest,
        InvitationResult,
        InvitationsPage,
    )
    from ._models.messages import (
        Attachment,
        Message,
        MessagesPage,
        Participant,
        SendResult,
        SentMessage,
    )
    from ._models.profiles import (
        BirthDate,
        Education,
        Experience,
        GeoLocation,
        Profile,
        ProfileLocation,
        ProfileVisit,
        Relationship,
        Skill,
    )
    from ._models.read_state import (
        EmailSupport,
        MarkAllReadResult,
        MarkSeenResult,
        TypingIndicatorResult,
    )
    from ._models.sales_navigator import (
        SalesNavMarkReadResult,
        SalesNavSendResult,
        SalesNavThread,
        SalesNavThreadsPage,
    )
    from ._pagination import AsyncPager
    from ._transports.aiohttp import AioHttpClient
    from ._types import MessagingChannel

# Every public name is loaded on first access (PEP 562 `__getattr__` below): `import
# connectsafely` itself loads nothing but the version, so a process that merely has the
# package installed (pytest loading our plugin, a tool importing `connectsafely.testing`
# for one name) does not pay for httpx and the client; `connectsafely.AsyncClient` loads
# the client, and a program that only sends messages still does not pay for bulk
# sending (anyio's memory streams), the inbox models, pagination, media downloads or
# aiohttp (which is optional).
_LAZY: dict[str, str] = {
    **dict.fromkeys(["AsyncClient"], "._client"),
    **dict.fromkeys(
        [
            "DEFAULT_BASE_URL",
            "DEFAULT_MAX_CONCURRENT_REQUESTS",
            "DEFAULT_MAX_RETRIES",
            "DEFAULT_TIMEOUT",
            "Limits",
            "RateLimit",
        ],
        "._config",
    ),
    **dict.fromkeys(
        [
            "APIConnectionError",
            "APIError",
            "APIResponseValidationError",
            "APIStatusError",
            "APITimeoutError",
            "AuthenticationError",
            "BadRequestError",
            "ConfigurationError",
            "ConflictError",
            "ConnectSafelyError",
            "InternalServerError",
            "NotFoundError",
            "OperationFailedError",
            "PaginationError",
            "PermissionDeniedError",
            "ProspectRepliedError",
            "QuotaExceededError",
            "RateLimitError",
            "SendInDoubtError",
            "SendInProgressError",
            "StoreError",
            "UnprocessableEntityError",
        ],
        "._errors",
    ),
    **dict.fromkeys(
        ["Attachment", "Message", "MessagesPage", "Participant", "SendResult", "SentMessage"],
        "._models.messages",
    ),
    **dict.fromkeys(["MessagingChannel"], "._types"),
    "AioHttpClient": "._transports.aiohttp",
    **dict.fromkeys(["BulkSend", "collect_in_order"], "._bulk"),
    **dict.fromkeys(["BulkSummary", "Progress", "SendOutcome", "SendRequest"], "._models.bulk"),
    **dict.fromkeys(
        [
            "AccountQuota",
            "AccountStatus",
            "InMailCredits",
            "LinkedInAccount",
            "LinkedInPlan",
            "Quota",
        ],
        "._models.accounts",
    ),
    **dict.fromkeys(
        [
            "Invitation",
            "InvitationActionResult",
            "InvitationProfile",
            "InvitationRequest",
            "InvitationResult",
            "InvitationsPage",
        ],
        "._models.invitations",
    ),
    **dict.fromkeys(
        [
            "BirthDate",
            "Education",
            "Experience",
            "GeoLocation",
            "Profile",
            "ProfileLocation",
            "ProfileVisit",
            "Relationship",
            "Skill",
        ],
        "._models.profiles",
    ),
    **dict.fromkeys(
        ["EmailSupport", "MarkAllReadResult", "MarkSeenResult", "TypingIndicatorResult"],
        "._models.read_state",
    ),
    **dict.fromkeys(
        [
            "SalesNavMarkReadResult",
            "SalesNavSendResult",
            "SalesNavThread",
            "SalesNavThreadsPage",
        ],
        "._models.sales_navigator",
    ),
    **dict.fromkeys(["MediaDownload", "SavedMedia"], "._media"),
    **dict.fromkeys(
        [
            "AccountSyncStatus",
            "Conversation",
            "ConversationActionResult",
            "ConversationExists",
            "ConversationsPage",
            "DeleteMessageResult",
            "InboxAccount",
            "LatestMessage",
            "ReactionResult",
            "RefreshResult",
            "SyncResult",
            "SyncState",
            "SyncStatus",
        ],
        "._models.inbox",
    ),
    "AsyncPager": "._pagination",
}

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
    "AccountQuota",
    "AccountStatus",
    "AccountSyncStatus",
    "AioHttpClient",
    "AsyncClient",
    "AsyncPager",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "BirthDate",
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
    "Education",
    "EmailSupport",
    "Experience",
    "GeoLocation",
    "InMailCredits",
    "InboxAccount",
    "InternalServerError",
    "Invitation",
    "InvitationActionResult",
    "InvitationProfile",
    "InvitationRequest",
    "InvitationResult",
    "InvitationsPage",
    "LatestMessage",
    "Limits",
    "LinkedInAccount",
    "LinkedInPlan",
    "MarkAllReadResult",
    "MarkSeenResult",
    "MediaDownload",
    "Message",
    "MessagesPage",
    "MessagingChannel",
    "NotFoundError",
    "OperationFailedError",
    "PaginationError",
    "Participant",
    "PermissionDeniedError",
    "Profile",
    "ProfileLocation",
    "ProfileVisit",
    "Progress",
    "ProspectRepliedError",
    "Quota",
    "QuotaExceededError",
    "RateLimit",
    "RateLimitError",
    "ReactionResult",
    "RefreshResult",
    "Relationship",
    "SalesNavMarkReadResult",
    "SalesNavSendResult",
    "SalesNavThread",
    "SalesNavThreadsPage",
    "SavedMedia",
    "SendInDoubtError",
    "SendInProgressError",
    "SendOutcome",
    "SendRequest",
    "SendResult",
    "SentMessage",
    "Skill",
    "StoreError",
    "SyncResult",
    "SyncState",
    "SyncStatus",
    "TypingIndicatorResult",
    "UnprocessableEntityError",
    "__version__",
    "collect_in_order",
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
