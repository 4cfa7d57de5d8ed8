"""The fake's network: profiles, connections, invitations and their calendar windows.

`Network` is the part of the world (``world.network``) the profile, relationship and
invitation routes work on. Its rules, the fake's reading of the facts:

- **Profiles** are seeded (`Network.add_profile`); an unknown slug is "not found".
- **Relationships follow the invitations**: a pending invitation from the account
  makes ``invitationSent``, one to it ``invitationReceived``; accepting either (the
  fake's `Network.accept`, the respond route) makes them connected; declining,
  ignoring or withdrawing leaves them unconnected.
- **CONNECT windows**: 90 connection requests per account per calendar week, the
  week starting Monday 00:00 UTC of the fake's clock. The 91st is refused with the
  documented 429 naming ``CONNECT`` and a ``holdUntil`` 24 hours later, and the
  account's connection requests are held until then (`Network.place_hold`, wired to
  the core's holds); the count does not reset with the hold, only with the week.
- **PROFILE_VIEW windows**: 120 counted fetches per account per UTC day. A fetch of a
  profile the account fetched in the last 6 hours is answered from the cache
  (``cached: true``) and not counted, unless ``forceRefresh``; visits always count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from ._clock import FakeClock, iso_utc
from ._records import Direction, FakeAccount, FakeInvitation, FakeProfile, InvitationState
from ._wire import FakeHTTPError

__all__ = [
    "CONNECT_LIMIT",
    "PROFILE_CACHE",
    "PROFILE_VIEW_LIMIT",
    "Network",
    "week_start",
]

CONNECT_LIMIT = 90
"""Connection requests per account per calendar week (Monday 00:00 UTC)."""
PROFILE_VIEW_LIMIT = 120
"""Counted profile fetches per account per UTC day."""
PROFILE_CACHE = timedelta(hours=6)
"""How long a fetched profile is served from the cache (for free)."""
HOLD = timedelta(hours=24)
"""How long exceeding the weekly CONNECT limit holds the account's connection requests."""


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the calendar week ``moment`` falls in."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


class Network:
    """The profiles, invitations and windows of the fake (see the module docs).

    Args:
        clock: Gives the fake's clock (windows, cache, relative times).
        urn_for: A slug's stable ``urn:li:fsd_profile:ACoAA...`` (the world's, so a
            profile's URN is the one its conversations use).
        name_for: A display name made from a slug (``john-doe`` -> ``John Doe``).
    """

    def __init__(
        self,
        clock: Callable[[], FakeClock],
        *,
        urn_for: Callable[[str], str],
        name_for: Callable[[str], str],
    ) -> None:
        self._clock = clock
        self._urn_for = urn_for
        self._name_for = name_for
        self.profiles: dict[str, FakeProfile] = {}
        self.invitations: list[FakeInvitation] = []
        self.connections: set[tuple[str, str]] = set()  # (account id, profile slug)
        self._connects: dict[tuple[str, date], int] = {}
        self._views: dict[tuple[str, date], int] = {}
        self._cache: dict[tuple[str, str], datetime] = {}
        self._serial = 7_000_000_000
        self.place_hold: Callable[[str, str, datetime], None] = lambda account, action, until: None

    @property
    def now(self) -> datetime:
        """The fake's calendar now."""
        return self._clock().now()

    # -- seeding ------------------------------------------------------------------------

    def add_profile(
        self,
        profile_id: str,
        *,
        first_name: str | None,
        last_name: str | None,
        headline: str,
        connected_to: tuple[str, ...],
        extra: dict[str, Any],
    ) -> FakeProfile:
        """Add a member (see `FakeConnectSafely.add_profile`)."""
        if not profile_id.strip() or profile_id in self.profiles:
            raise ValueError(f"profile_id {profile_id!r} is blank or already added")
        words = self._name_for(profile_id).split(" ", 1)
        self._serial += 1
        profile = FakeProfile(
            profile_id=profile_id,
            first_name=words[0] if first_name is None else first_name,
            last_name=(words[1] if len(words) > 1 else "") if last_name is None else last_name,
            headline=headline,
            member_id=self._urn_for(profile_id).rsplit(":", 1)[1],
            numeric_member_id=self._serial,
            location={"countryCode": "us", "postalCode": None, "geoLocationName": "Remote"},
            extra=dict(extra),
        )
        self.profiles[profile_id] = profile
        for account in connected_to:
            self.connections.add((account, profile_id))
        return profile

    def profile(self, value: FakeProfile | str) -> FakeProfile:
        """A seeding call's profile argument (record, slug or URN) as the record."""
        if isinstance(value, FakeProfile):
            return value
        found = self.find(value)
        if found is None:
            raise ValueError(f"No profile {value!r} in this fake: add it with fake.add_profile")
        return found

    def find(self, slug_or_urn: str) -> FakeProfile | None:
        """The profile with this slug, URN or member id, if any."""
        found = self.profiles.get(slug_or_urn)
        if found is not None:
            return found
        member = slug_or_urn.rsplit(":", 1)[-1]
        return next((p for p in self.profiles.values() if p.member_id == member), None)

    def add_received(
        self, account: FakeAccount, profile: FakeProfile | str, *, note: str | None, category: str
    ) -> FakeInvitation:
        """Someone invites the account (see `FakeConnectSafely.add_received_invitation`);
        a slug the fake does not know yet becomes a new profile."""
        if isinstance(profile, str) and self.find(profile) is None:
            profile = self.add_profile(
                profile,
                first_name=None,
                last_name=None,
                headline="",
                connected_to=(),
                extra={},
            )
        record = self.profile(profile)
        if self.connected(account.account_id, record):
            raise ValueError(f"{record.profile_id!r} is already connected to the account")
        return self._invite(account.account_id, record, "received", note, category)

    def answer(
        self, profile: FakeProfile | str, account_id: str | None, state: InvitationState
    ) -> FakeInvitation:
        """The person answers the pending invitation sent to them (``accept_invitation``)."""
        invitation = self.sent_to(profile, account_id)
        self.settle(invitation, state)
        return invitation

    def _invite(
        self,
        account_id: str,
        profile: FakeProfile,
        direction: Direction,
        note: str | None,
        category: str = "CONNECTION",
    ) -> FakeInvitation:
        self._serial += 1
        invitation = FakeInvitation(
            invitation_id=str(self._serial),
            account_id=account_id,
            profile=profile,
            direction=direction,
            note=note,
            created_at=self.now,
            category=category,
        )
        self.invitations.append(invitation)
        return invitation

    # -- relationships ------------------------------------------------------------------

    def pending(
        self, account_id: str, profile: FakeProfile, direction: Direction
    ) -> FakeInvitation | None:
        """The pending invitation between the account and the profile, in one direction."""
        return next(
            (
                i
                for i in self.invitations
                if i.state == "pending"
                and i.account_id == account_id
                and i.profile is profile
                and i.direction == direction
            ),
            None,
        )

    def pending_of(self, account_id: str, direction: Direction) -> list[FakeInvitation]:
        """The account's pending invitations in one direction, newest first."""
        mine = [
            i
            for i in self.invitations
            if i.state == "pending" and i.account_id == account_id and i.direction == direction
        ]
        return mine[::-1]

    def connected(self, account_id: str, profile: FakeProfile) -> bool:
        """Whether they are 1st-degree connections."""
        return (account_id, profile.profile_id) in self.connections

    def relationship(self, account_id: str, profile: FakeProfile) -> dict[str, Any]:
        """The relationship route's body."""
        connected = self.connected(account_id, profile)
        sent = self.pending(account_id, profile, "sent") is not None
        received = self.pending(account_id, profile, "received") is not None
        if connected:
            status = "CONNECTED"
        elif sent:
            status = "INVITATION_SENT"
        elif received:
            status = "INVITATION_RECEIVED"
        else:
            status = "NOT_CONNECTED"
        return {
            "connected": connected,
            "invitationSent": sent,
            "invitationReceived": received,
            "status": status,
            "profileUrn": profile.urn,
            "accountId": account_id,
        }

    def settle(self, invitation: FakeInvitation, state: InvitationState) -> None:
        """End a pending invitation: accepted ones connect the two."""
        if invitation.state != "pending":
            raise ValueError(f"invitation {invitation.invitation_id} is already {invitation.state}")
        invitation.state = state
        if state == "accepted":
            self.connections.add((invitation.account_id, invitation.profile.profile_id))

    def sent_to(self, profile: FakeProfile | str, account_id: str | None) -> FakeInvitation:
        """The pending invitation sent to ``profile`` (by ``account_id``, if given)."""
        record = self.profile(profile)
        for invitation in reversed(self.invitations):
            if (
                invitation.state == "pending"
                and invitation.direction == "sent"
                and invitation.profile is record
                and (account_id is None or invitation.account_id == account_id)
            ):
                return invitation
        raise ValueError(f"No pending invitation to {record.profile_id!r} in this fake")

    # -- connection requests ------------------------------------------------------------

    def connect(
        self, account: FakeAccount, profile: FakeProfile, note: str | None
    ) -> FakeInvitation:
        """Send a connection request, within the weekly window (else 429 and a hold)."""
        account_id = account.account_id
        if self.connected(account_id, profile):
            raise FakeHTTPError(400, "Already connected to this profile", code="already_connected")
        if self.pending(account_id, profile, "sent") is not None:
            raise FakeHTTPError(
                400, "An invitation to this profile is already pending", code="already_invited"
            )
        now = self.now
        key = (account_id, week_start(now))
        used = self._connects.get(key, 0)
        if used >= CONNECT_LIMIT:
            until = now + HOLD
            self.place_hold(account_id, "CONNECT", until)
            raise ConnectLimitError(until)
        self._connects[key] = used + 1
        return self._invite(account_id, profile, "sent", note)

    def connects_used(self, account_id: str) -> int:
        """Connection requests the account made in the current calendar week."""
        return self._connects.get((account_id, week_start(self.now)), 0)

    # -- profile views ------------------------------------------------------------------

    def view(
        self, account_id: str, profile: FakeProfile, *, cacheable: bool, refresh: bool
    ) -> datetime | None:
        """Count a profile view; returns when it was cached if served from the cache."""
        now = self.now
        cached_at = self._cache.get((account_id, profile.profile_id))
        if cacheable and not refresh and cached_at is not None and now - cached_at < PROFILE_CACHE:
            return cached_at
        key = (account_id, now.date())
        used = self._views.get(key, 0)
        if used >= PROFILE_VIEW_LIMIT:
            raise ProfileViewLimitError(now)
        self._views[key] = used + 1
        if cacheable:
            self._cache[(account_id, profile.profile_id)] = now
        return None

    def views_used(self, account_id: str) -> int:
        """Counted profile views of the account on the fake clock's UTC day."""
        return self._views.get((account_id, self.now.date()), 0)


class ConnectLimitError(Exception):
    """The weekly CONNECT window is full: the route answers the documented 429."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until

    def body(self) -> dict[str, Any]:
        """The documented hold body: the text names CONNECT, ``holdUntil`` the end."""
        moment = iso_utc(self.until)
        return {
            "success": False,
            "error": f"Rate limit exceeded for CONNECT: {CONNECT_LIMIT}/{CONNECT_LIMIT} used. "
            f"Connection requests are blocked for 24 hours. Resets at {moment}",
            "holdUntil": moment,
        }


class ProfileViewLimitError(Exception):
    """The daily PROFILE_VIEW window is full."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.reset = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
