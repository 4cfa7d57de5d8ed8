"""The fake's in-memory world: accounts, conversations, messages, uploads, media, syncs.

`World` is the private state object every route handler receives. It holds the records
(`_records`), the indexes that keep lookups constant-time, the per-endpoint settings the
public fake forwards (`honor_idempotency_keys`, `inbox_cache_size`, ...), and the
operations both seeding and routes need (add an account, find a thread, append
messages). It knows nothing about HTTP beyond raising `FakeHTTPError` for lookups a
request makes.

The seeding operations take every argument explicitly: their defaults (and docs) are
those of the public methods of `FakeConnectSafely` that call them, stated there once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any, Literal

from ._clock import FakeClock
from ._faults import PagingFault
from ._network import Network
from ._records import (
    DAILY_NEW_CONVERSATION_QUOTA,
    AcceptedSend,
    ConversationKind,
    FakeAccount,
    FakeConversation,
    FakeMessage,
    FakeSyncState,
    StoredMedia,
    StoredUpload,
)
from ._wire import FakeHTTPError

__all__ = ["DEFAULT_ACCOUNT_ID", "MEDIA_PREFIXES", "World"]

DEFAULT_ACCOUNT_ID = "696ce9e780e0483585e4e553"
MEDIA_PREFIXES = ("https://www.linkedin.com/dms/prv/", "https://media.licdn.com/")
"""The hosts download-media serves (and `World.add_media` accepts)."""


class World:
    """Everything the fake knows, in memory (see the module docs).

    Args:
        clock: The fake's clock (message times, the quota's UTC day, sync cooldowns).
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.accounts: dict[str, FakeAccount] = {}
        self.default_account_id = DEFAULT_ACCOUNT_ID
        self.conversations: dict[str, FakeConversation] = {}
        # (account, recipient profile URN) -> {thread kind: conversation URN}
        self._by_recipient: dict[tuple[str, str], dict[str, str]] = {}
        self.sends: list[AcceptedSend] = []
        self.uploads: dict[str, StoredUpload] = {}
        self.media: dict[str, StoredMedia] = {}
        self.sync_states: dict[str, FakeSyncState] = {}
        self.refreshes: list[str] = []
        # One queue for both paging routes (messages and the inbox list), FIFO.
        self.paging_faults: list[PagingFault] = []
        # Salts the inbox list's opaque cursors, so one fake's cursors fail on another.
        self.cursor_salt = secrets.token_hex(4)
        # Settings, forwarded by the public fake.
        self.honor_idempotency_keys = False
        self.inbox_cache_size = 50
        self.inbox_timestamps: Literal["iso", "ms"] = "iso"
        self.sync_cooldown_ms = 5 * 60_000
        # Profiles, invitations and their windows (the network routes' state).
        self.network = Network(lambda: self.clock, urn_for=profile_urn_for, name_for=display_name)
        self.add_account(
            DEFAULT_ACCOUNT_ID,
            name="Alex Rivera",
            sales_navigator=False,
            daily_quota=DAILY_NEW_CONVERSATION_QUOTA,
            default=True,
        )

    def now_ms(self) -> int:
        """The fake's current time in epoch milliseconds."""
        return int(self.clock() * 1000)

    # -- accounts -----------------------------------------------------------------------

    def add_account(
        self,
        account_id: str | None,
        *,
        name: str,
        sales_navigator: bool,
        daily_quota: int,
        default: bool,
    ) -> FakeAccount:
        """Connect an account (see `FakeConnectSafely.add_account`)."""
        account_id = account_id or secrets.token_hex(12)
        profile_id = "ACoAA" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")[:31]
        account = FakeAccount(
            account_id=account_id,
            name=name,
            profile_id=profile_id,
            sales_navigator=sales_navigator,
            daily_quota=daily_quota,
        )
        self.accounts[account_id] = account
        if default:
            self.default_account_id = account_id
        return account

    @property
    def default_account(self) -> FakeAccount:
        """The account used when a request names none."""
        return self.accounts[self.default_account_id]

    def account_for(self, account_id: object) -> FakeAccount:
        """Resolve a request's ``accountId`` (default when missing), 404 when unknown."""
        if account_id is None or account_id == "":
            return self.default_account
        if not isinstance(account_id, str) or account_id not in self.accounts:
            raise FakeHTTPError(404, "Account not found", code="account_not_found")
        return self.accounts[account_id]

    def sync_state(self, account_id: str | None = None) -> FakeSyncState:
        """The sync record of an account (the default account when omitted)."""
        account = self.account_for(account_id)
        return self.sync_states.setdefault(account.account_id, FakeSyncState())

    # -- conversations ------------------------------------------------------------------

    def add_conversation(
        self,
        *,
        account_id: str | None,
        kind: ConversationKind,
        recipient_profile_id: str,
        recipient_name: str | None,
        headline: str,
        urn: str | None,
        note: str,
    ) -> FakeConversation:
        """Create an empty thread (see `FakeConnectSafely.add_conversation`)."""
        account = self.account_for(account_id)
        serial = len(self.conversations) + 1
        thread = b64_id(account.account_id, recipient_profile_id, kind, serial)
        if urn is None:
            if kind == "sales_navigator":
                urn = f"urn:li:salesNav_thread:{thread}"
            else:
                urn = f"urn:li:msg_conversation:(urn:li:fsd_profile:{account.profile_id},{thread})"
        profile_urn = profile_urn_for(recipient_profile_id)
        participant = {
            "profileId": profile_urn.rsplit(":", 1)[1],
            "name": recipient_name or display_name(recipient_profile_id),
            "headline": headline,
            "profilePicture": f"https://media.licdn.com/dms/image/{recipient_profile_id}",
        }
        conversation = FakeConversation(
            urn=urn,
            account_id=account.account_id,
            kind=kind,
            participants=[participant],
            note=note,
            thread_id=thread if kind == "sales_navigator" else None,
            recipient_profile_id=recipient_profile_id,
            recipient_profile_urn=profile_urn,
        )
        return self.register_conversation(conversation)

    def register_conversation(self, conversation: FakeConversation) -> FakeConversation:
        """Store a conversation (and index it by recipient, for `find_conversation`)."""
        self.conversations[conversation.urn] = conversation
        if conversation.recipient_profile_urn is not None:
            key = (conversation.account_id, conversation.recipient_profile_urn)
            self._by_recipient.setdefault(key, {}).setdefault(conversation.kind, conversation.urn)
        return conversation

    def find_conversation(
        self, account_id: str, profile_urn: str, kind: ConversationKind
    ) -> FakeConversation | None:
        """The account's existing conversation of ``kind`` with a recipient, if any.

        A dictionary lookup, so a fake holding thousands of threads (load tests, bulk
        benchmarks) answers each cold send in constant time.
        """
        urn = self._by_recipient.get((account_id, profile_urn), {}).get(kind)
        return None if urn is None else self.conversations.get(urn)

    def thread_with(
        self, account_id: str, profile_urn: str, preferred: ConversationKind
    ) -> FakeConversation | None:
        """Any existing thread of the account with a recipient, ``preferred`` kind first.

        The quota counts *people* the account has never talked to, whatever the
        channel: a standard thread makes a Sales Navigator send a reply, and vice versa.
        """
        threads = self._by_recipient.get((account_id, profile_urn), {})
        for kind in (preferred, *sorted(set(threads) - {preferred})):
            urn = threads.get(kind)
            if urn is not None and urn in self.conversations:
                return self.conversations[urn]
        return None

    def owned_conversation(self, urn: str, account: FakeAccount) -> FakeConversation:
        """The account's conversation ``urn``; 404 when unknown or someone else's."""
        conversation = self.conversations.get(urn)
        if conversation is None or conversation.account_id != account.account_id:
            raise FakeHTTPError(404, "Conversation not found", code="not_found")
        return conversation

    def conversation_arg(self, conversation: FakeConversation | str) -> FakeConversation:
        """A seeding call's conversation argument (a record or its URN) as the record."""
        if isinstance(conversation, FakeConversation):
            return conversation
        try:
            return self.conversations[conversation]
        except KeyError:
            raise ValueError(f"No conversation {conversation!r} in this fake") from None

    # -- messages -----------------------------------------------------------------------

    def seed_messages(
        self,
        conversation: FakeConversation | str,
        count: int,
        *,
        start_ms: int | None,
        step_ms: int,
        from_owner_every: int,
        text: str,
    ) -> list[FakeMessage]:
        """Append messages cheaply (see `FakeConnectSafely.seed_messages`)."""
        thread = self.conversation_arg(conversation)
        if count < 0 or step_ms < 1 or from_owner_every < 0:
            raise ValueError("count and from_owner_every must be >= 0 and step_ms >= 1")
        existing = thread.messages
        if start_ms is None:
            if existing:
                start_ms = existing[-1].sent_at + step_ms
            else:
                start_ms = self.now_ms() - max(count - 1, 0) * step_ms
        elif existing and start_ms <= existing[-1].sent_at:
            raise ValueError(
                "start_ms must be after the newest message: messages are kept oldest first"
            )
        owner = self.accounts[thread.account_id]
        other = thread.participants[0] if thread.participants else {}
        other_id = str(other.get("profileId", "ACoAAfakeparticipant"))
        other_name = str(other.get("name", "Fake Participant"))
        other_photo = str(other.get("profilePicture", "https://media.licdn.com/dms/image/x"))
        owner_photo = f"https://media.licdn.com/dms/image/{owner.profile_id}"
        # One hash per call, not per message: ids only need to be unique per thread.
        prefix = hashlib.sha256(thread.urn.encode()).hexdigest()[:12]
        urn_head = f"urn:li:msg_message:(urn:li:fsd_profile:{owner.profile_id},2-"
        first = len(existing)
        added = []
        for i in range(count):
            n = first + i + 1
            by_owner = from_owner_every > 0 and n % from_owner_every == 0
            token = base64.b64encode(f"{prefix}-{n}".encode()).decode()
            added.append(
                FakeMessage(
                    message_urn=f"{urn_head}{token})",
                    text=text.format(n=n) if "{" in text else text,
                    sent_at=start_ms + i * step_ms,
                    sender_profile_id=owner.profile_id if by_owner else other_id,
                    sender_name=owner.name if by_owner else other_name,
                    is_sent_by_owner=by_owner,
                    sender_photo=owner_photo if by_owner else other_photo,
                )
            )
        existing.extend(added)
        return added

    def add_message(
        self,
        conversation: FakeConversation | str,
        text: str,
        *,
        from_owner: bool,
        sent_at: int | None,
        attachments: Iterable[dict[str, Any]],
    ) -> FakeMessage:
        """Append one message (see `FakeConnectSafely.add_message`)."""
        thread = self.conversation_arg(conversation)
        newest = thread.messages[-1].sent_at if thread.messages else None
        if sent_at is None:
            sent_at = self.now_ms() if newest is None else max(self.now_ms(), newest + 1)
        elif newest is not None and sent_at <= newest:
            raise ValueError("sent_at must be after the newest message")
        # One message: its step is moot, and its text is set below.
        message = self.seed_messages(
            thread, 1, start_ms=sent_at, step_ms=1, from_owner_every=1 if from_owner else 0, text=""
        )[0]
        message.text = text  # set afterwards: braces in `text` are not a template here
        message.attachments = list(attachments)
        return message

    def receive_message(
        self,
        thread: FakeConversation,
        text: str,
        *,
        sender_name: str | None,
        sender_profile_id: str | None,
        attachments: Iterable[dict[str, Any]],
    ) -> FakeMessage:
        """A message from the other participant arrives: store it, and the thread turns
        unread (see `FakeConnectSafely.receive_message`, which then delivers webhooks)."""
        message = self.add_message(
            thread, text, from_owner=False, sent_at=None, attachments=attachments
        )
        if sender_profile_id is not None:
            urn = profile_urn_for(sender_profile_id)
            message.sender_profile_id = urn.rsplit(":", 1)[1]
            if sender_name is None and not sender_profile_id.startswith(("urn:", "ACoAA")):
                sender_name = display_name(sender_profile_id)
        if sender_name is not None:
            message.sender_name = sender_name
        thread.unread = True
        thread.unread_count += 1
        return message

    # -- media --------------------------------------------------------------------------

    def add_media(
        self,
        data: bytes,
        *,
        url: str | None,
        content_type: str,
        account_id: str | None,
    ) -> str:
        """Make bytes downloadable (see `FakeConnectSafely.add_media`)."""
        if url is None:
            url = f"https://www.linkedin.com/dms/prv/image/v2/D4E06AQ{secrets.token_hex(8)}/fake"
        if not url.startswith(MEDIA_PREFIXES):
            raise ValueError(f"url must start with one of {', '.join(MEDIA_PREFIXES)}")
        self.media[url] = StoredMedia(
            url=url, data=bytes(data), content_type=content_type, account_id=account_id
        )
        return url


def b64_id(*parts: object) -> str:
    """A LinkedIn-looking ``2-<base64>==`` thread/message id derived from ``parts``."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:24]
    return "2-" + base64.b64encode(digest).decode()


def profile_urn_for(profile: str) -> str:
    """A stable ``urn:li:fsd_profile:ACoAA...`` for a vanity slug (or a URN unchanged)."""
    if profile.startswith("urn:li:"):
        return profile
    return "urn:li:fsd_profile:ACoAA" + b64_id("profile", profile)[2:26].replace("/", "x").replace(
        "+", "y"
    )


def display_name(slug: str) -> str:
    """``john-doe-123`` -> ``John Doe``."""
    words = [w for w in slug.replace("_", "-").split("-") if w and not w.isdigit()]
    return " ".join(w.capitalize() for w in words) or slug
