"""The records of the fake's in-memory world: what a test seeds and inspects.

Plain attrs classes, no behaviour beyond rendering themselves as the API does; the
world that holds them is `_world.World`.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any, Literal

import attrs

__all__ = [
    "AcceptedSend",
    "ConversationKind",
    "Direction",
    "FakeAccount",
    "FakeConversation",
    "FakeInvitation",
    "FakeMessage",
    "FakeProfile",
    "FakeSyncState",
    "InvitationState",
    "StoredMedia",
    "StoredUpload",
]

ConversationKind = Literal["standard", "sales_navigator"]

DAILY_NEW_CONVERSATION_QUOTA = 150
"""New (cold) conversations one LinkedIn account may start per UTC day."""


@attrs.define
class FakeAccount:
    """A LinkedIn account connected to the fake workspace.

    Attributes:
        account_id: 24-hex id as the real API uses.
        name: Display name of the account owner.
        profile_id: The owner's ``ACoAA...`` profile id (used in URNs).
        sales_navigator: Whether the account has an active Sales Navigator subscription.
        daily_quota: New conversations allowed per UTC day.
        new_conversations_today: Cold sends accepted on the UTC day (of the fake's
            clock) of the latest cold send; the next cold send on a later day starts
            again from 0.
        usage: Calls counted per quota feature (``"CONNECT"``, ``"PROFILE_VIEW"``) in
            the current window, as ``GET /linkedin/account/{accountId}/quota`` reports.
        inmail_credits: InMail credits left (``GET /linkedin/inmail/credits``); premium
            accounts only (a Sales Navigator account here).
        open_profiles: Profiles (slugs or URNs) that accept free messages from this
            account (``check-email-support``).
        status: What ``/account/status`` and ``/accounts`` report: ``"AVAILABLE"``,
            ``"WARMUP"``, ``"ERROR"``, ... (settable).
        enabled: Whether automation is enabled for it (settable).
    """

    account_id: str
    name: str
    profile_id: str
    sales_navigator: bool = False
    daily_quota: int = DAILY_NEW_CONVERSATION_QUOTA
    new_conversations_today: int = 0
    usage: dict[str, int] = attrs.field(factory=dict)
    inmail_credits: int = 0
    open_profiles: set[str] = attrs.field(factory=set)
    status: str = "AVAILABLE"
    enabled: bool = True
    # The UTC day `new_conversations_today` counts; None until the first cold send, so a
    # count a test seeds by hand counts for whatever day that send happens on.
    _quota_day: date | None = attrs.field(default=None, alias="_quota_day", repr=False)


@attrs.define
class FakeMessage:
    """One stored message."""

    message_urn: str
    text: str
    sent_at: int  # epoch ms
    sender_profile_id: str
    sender_name: str
    is_sent_by_owner: bool
    sender_photo: str = "https://media.licdn.com/dms/image/fake-photo"
    attachments: list[dict[str, Any]] = attrs.field(factory=list)
    reactions: set[str] = attrs.field(factory=set)

    def to_json(self) -> dict[str, Any]:
        """The API's camelCase message object."""
        return {
            "messageUrn": self.message_urn,
            "text": self.text,
            "sentAt": self.sent_at,
            "senderProfileId": self.sender_profile_id,
            "senderName": self.sender_name,
            "senderPhoto": self.sender_photo,
            "isSentByOwner": self.is_sent_by_owner,
            "hasAttachment": bool(self.attachments),
            "attachments": list(self.attachments),
        }


@attrs.define
class FakeConversation:
    """A conversation thread: standard inbox or Sales Navigator.

    ``messages`` is kept oldest -> newest; the messages route serves newest first.
    """

    urn: str
    account_id: str
    kind: ConversationKind
    participants: list[dict[str, Any]]
    messages: list[FakeMessage] = attrs.field(factory=list)
    note: str = ""
    thread_id: str | None = None
    recipient_profile_id: str | None = None
    recipient_profile_urn: str | None = None
    starred: bool = False
    unread: bool = False
    unread_count: int = 0
    labels: set[str] = attrs.field(factory=set)
    archived: bool = False


@attrs.define
class StoredUpload:
    """A file the fake accepted through the upload route."""

    asset_urn: str
    account_id: str
    name: str
    media_type: str
    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")

    @property
    def byte_size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@attrs.define
class AcceptedSend:
    """A message the send route accepted (what would have reached LinkedIn).

    Attributes:
        account_id: The sending account.
        conversation_urn: The thread it went into.
        text: The message text.
        channel: ``sales_navigator`` or ``linkedin_inbox`` (after ``auto`` resolution).
        idempotency_key: The request's ``Idempotency-Key``.
        body: The request body as received.
        new_conversation: True when it started a conversation (counts against quota).
    """

    account_id: str
    conversation_urn: str
    text: str
    channel: str
    idempotency_key: str | None
    body: dict[str, Any]
    new_conversation: bool


@attrs.define
class StoredMedia:
    """A media file the fake serves through download-media (seeded with ``add_media``).

    Attributes:
        url: Its LinkedIn media URL.
        data: The bytes.
        content_type: The ``Content-Type`` it is served with.
        account_id: The only account allowed to fetch it, or ``None`` for any account.
    """

    url: str
    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    content_type: str
    account_id: str | None = None


@attrs.define
class FakeSyncState:
    """The fake's record of one account's inbox sync (what sync status reports).

    Attributes:
        last_sync_at: Epoch ms of the last completed sync, or ``None``.
        sync_in_progress: Reported as is (set it to simulate a running sync).
        consecutive_failures: Failed syncs in a row.
        last_error: The last sync error.
        fail_next_with: When set, the next sync reports this partial-failure error.
    """

    last_sync_at: int | None = None
    sync_in_progress: bool = False
    consecutive_failures: int = 0
    last_error: str | None = None
    fail_next_with: str | None = None


# -- the network (profiles and invitations, `_network.Network`) --------------------------

InvitationState = Literal["pending", "accepted", "declined", "withdrawn"]
Direction = Literal["sent", "received"]


@attrs.define
class FakeProfile:
    """A LinkedIn member the fake knows (``fake.add_profile``).

    Attributes:
        profile_id: The vanity slug.
        first_name: First name.
        last_name: Last name.
        headline: Headline.
        member_id: The ``ACoAA...`` member id.
        numeric_member_id: LinkedIn's numeric member id.
        location: ``profile.location`` as the API writes it.
        extra: More fields of the ``profile`` object (camelCase), served as given.
        experience: ``experience`` entries (served with ``includeExperience``).
        education: ``education`` entries (served with ``includeEducation``).
        skills: ``skills`` entries (served with ``includeSkills``).
    """

    profile_id: str
    first_name: str
    last_name: str
    headline: str
    member_id: str
    numeric_member_id: int
    location: dict[str, Any] = attrs.field(factory=dict)
    extra: dict[str, Any] = attrs.field(factory=dict)
    experience: list[dict[str, Any]] = attrs.field(factory=list)
    education: list[dict[str, Any]] = attrs.field(factory=list)
    skills: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def urn(self) -> str:
        """``urn:li:fsd_profile:<member id>``."""
        return f"urn:li:fsd_profile:{self.member_id}"

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}".strip()

    def card(self, *, headline: bool) -> dict[str, Any]:
        """The ``profile`` object of an invitation listing."""
        card = {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "profileUrl": f"https://www.linkedin.com/in/{self.profile_id}",
            "publicIdentifier": self.profile_id,
        }
        if headline:
            card["headline"] = self.headline
        return card


@attrs.define
class FakeInvitation:
    """One invitation between an account and a profile (``fake.invitations``).

    Attributes:
        invitation_id: Its id (numeric text, as LinkedIn's).
        account_id: The account that sent it (``sent``) or received it (``received``).
        profile: The other person.
        direction: ``"sent"`` (by the account) or ``"received"`` (by it).
        note: The personal note, if any.
        created_at: When it was sent (the fake's clock).
        state: ``"pending"``, ``"accepted"``, ``"declined"`` (ignored) or ``"withdrawn"``.
        category: The received-invitation category (``CONNECTION`` for connect requests).
        validation_token: The token a response must carry (received ones).
    """

    invitation_id: str
    account_id: str
    profile: FakeProfile
    direction: Direction
    note: str | None
    created_at: datetime
    state: InvitationState = "pending"
    category: str = "CONNECTION"
    validation_token: str = attrs.field(factory=lambda: secrets.token_urlsafe(12))

    @property
    def urn(self) -> str:
        """``urn:li:invitation:<id>``."""
        return f"urn:li:invitation:{self.invitation_id}"
