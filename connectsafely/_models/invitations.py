"""Models of the invitation endpoints: connection requests sent, listed and answered.

`Invitation` is one entry of either listing (sent or received): the fields both share,
the received-only ones (``None`` on sent invitations), and the entry as received
(``raw``). `InvitationRequest` is one connection request to make, checked when it is
built, for bulk runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .. import _validate as check
from .profiles import frozen_mapping

__all__ = [
    "Invitation",
    "InvitationActionResult",
    "InvitationProfile",
    "InvitationRequest",
    "InvitationResult",
    "InvitationsPage",
]


@attrs.frozen
class InvitationProfile:
    """The other person of an invitation (``Invitation.profile``); fields may be empty.

    Attributes:
        first_name: First name.
        last_name: Last name.
        headline: Headline (sent invitations only).
        profile_url: ``https://www.linkedin.com/in/<slug>``.
        public_identifier: The vanity slug (what ``profile_id`` arguments take).
    """

    first_name: str | None = None
    last_name: str | None = None
    headline: str | None = None
    profile_url: str | None = None
    public_identifier: str | None = None


@attrs.frozen
class Invitation:
    """One pending invitation, sent (``invitations.sent``) or received (``.received``).

    Pass a received one to ``invitations.respond``, a sent one to ``.withdraw``.

    Attributes:
        invitation_id: The invitation's id (``invitationId``, else ``id``).
        invitation_urn: ``urn:li:invitation:<id>``.
        member_id: The other person's ``ACoAA...`` member id; ``None`` for organization
            and newsletter invitations (the API sends an empty string).
        member_urn: ``urn:li:fsd_profile:ACoAA...``; ``None`` like ``member_id``.
        invitation_type: ``"SENT"`` or ``"RECEIVED"``.
        sent_at: When it was sent, as the API's relative text (``"2 days ago"``), not a
            timestamp (sent invitations).
        profile: The other person (`InvitationProfile`).
        received_at: Relative text like ``sent_at`` (received invitations).
        invitation_category: ``"CONNECTION"``, ``"ORGANIZATION"``, ``"NEWSLETTER"``,
            ``"EVENT"`` or ``"MEMBER_FOLLOW"`` (received; an open set).
        linkedin_invitation_type: LinkedIn's own type, e.g.
            ``"GenericInvitationType_CONNECTION"`` (received; the API's
            ``linkedInInvitationType``).
        validation_token: Needed to accept or ignore it (received).
        custom_message: The inviter's note, if any (received).
        newsletter_name: The newsletter (``NEWSLETTER`` invitations).
        company_name: The organization (``ORGANIZATION`` and ``NEWSLETTER`` ones).
        account_id: The account whose listing it came from (``respond`` and
            ``withdraw`` act as that account unless told otherwise).
        raw: The entry exactly as received (read-only).
    """

    invitation_id: str | None = None
    invitation_urn: str | None = None
    member_id: str | None = None
    member_urn: str | None = None
    invitation_type: str | None = None
    sent_at: str | None = None
    profile: InvitationProfile | None = None
    received_at: str | None = None
    invitation_category: str | None = None
    linkedin_invitation_type: str | None = None
    validation_token: str | None = None
    custom_message: str | None = None
    newsletter_name: str | None = None
    company_name: str | None = None
    account_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(
        factory=dict, converter=frozen_mapping, eq=False, repr=False
    )

    def __reduce__(self) -> tuple[Any, ...]:
        values = attrs.astuple(self, recurse=False)
        return (_rebuild_invitation, ((*values[:-1], dict(self.raw)),))


def _rebuild_invitation(values: tuple[Any, ...]) -> Invitation:
    return Invitation(*values)


@attrs.frozen
class InvitationsPage:
    """One page of ``invitations.sent()`` or ``.received()`` (``pager.pages()``).

    Attributes:
        invitations: The page's invitations.
        start_index: The offset the page starts at.
        count: The server's ``count``.
        end_of_list: The received listing's end marker (``None`` for sent ones).
        account_id: The account.
    """

    invitations: tuple[Invitation, ...]
    start_index: int = 0
    count: int | None = None
    end_of_list: bool | None = None
    account_id: str | None = None


@attrs.frozen
class InvitationResult:
    """``POST /linkedin/connect``: a connection request sent.

    Attributes:
        success: Always True (a failure raises instead).
        message: The server's status sentence.
        profile_urn: The URN of the person invited.
        replayed: True when the send ledger knew the ``idempotency_key`` as delivered
            and returned the recorded result instead of sending.
    """

    success: bool = True
    message: str | None = None
    profile_urn: str | None = None
    replayed: bool = False


@attrs.frozen
class InvitationActionResult:
    """An invitation answered (``invitations.respond``) or withdrawn (``.withdraw``).

    Attributes:
        success: Always True (a failure raises instead).
        message: The server's sentence, e.g. ``"Invitation from Deepika Khare accepted"``.
        account_id: The account.
    """

    success: bool = True
    message: str | None = None
    account_id: str | None = None


def _profile_id(value: str | None) -> str | None:
    return None if value is None else check.profile_slug(value, "profile_id")


def _profile_urn(value: str | None) -> str | None:
    return None if value is None else check.urn(value, "profile_urn")


def _note(value: str | None) -> str | None:
    return None if value is None else check.invitation_note(value, "note")


def _account_id(value: str | None) -> str | None:
    return None if value is None else check.account_id(value, "account_id")


def _idempotency_key(value: str | None) -> str | None:
    return None if value is None else check.idempotency_key(value, "idempotency_key")


@attrs.frozen
class InvitationRequest:
    """One connection request to make, checked when built (for bulk runs).

    Exactly one of ``profile_id`` and ``profile_urn``; the same checks as
    ``invitations.send``.

    Attributes:
        profile_id: The person's vanity slug, e.g. ``"john-doe-123"``.
        profile_urn: Their URN, ``"urn:li:fsd_profile:ACoAA..."``.
        note: A personal note of at most 300 characters (``None``: a plain request).
        account_id: The account sending it (``None``: the client's).
        idempotency_key: At most one request per key (see ``docs/scaling.md``).

    Raises:
        ValueError: Both or neither profile form, a note over 300 characters, blank
            text, or a profile URN that is not a ``urn:li:`` URN.
        TypeError: An argument that is not a str.

    Examples:
        >>> InvitationRequest("jane-doe", note="Hi Jane, we met at PyCon.").profile_id
        'jane-doe'
    """

    profile_id: str | None = attrs.field(default=None, converter=_profile_id)
    profile_urn: str | None = attrs.field(default=None, kw_only=True, converter=_profile_urn)
    note: str | None = attrs.field(default=None, kw_only=True, converter=_note)
    account_id: str | None = attrs.field(default=None, kw_only=True, converter=_account_id)
    idempotency_key: str | None = attrs.field(
        default=None, kw_only=True, converter=_idempotency_key
    )

    def __attrs_post_init__(self) -> None:
        check.one_profile_form(self.profile_id, self.profile_urn)

    def send_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `Invitations.send` for this request."""
        return {
            "profile_id": self.profile_id,
            "profile_urn": self.profile_urn,
            "note": self.note,
            "account_id": self.account_id,
            "idempotency_key": self.idempotency_key,
        }
