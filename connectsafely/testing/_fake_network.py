"""The network group of `FakeConnectSafely`: profiles and invitations to seed and inspect.

A base class of the fake, kept apart so the fake's face stays one screenful per group;
every method forwards to the world's `_network.Network`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._records import FakeInvitation, FakeProfile
from ._world import World

__all__ = ["FakeNetwork"]


class FakeNetwork:
    """Seeding and inspecting the fake's LinkedIn network (`FakeConnectSafely` inherits it)."""

    _world: World

    def add_profile(
        self,
        profile_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        headline: str = "Head of Ops at Example Co",
        connected_to: Iterable[str] = (),
        **fields: Any,
    ) -> FakeProfile:
        """Add a LinkedIn member that profile, relationship and connect calls can find.

        Args:
            profile_id: The vanity slug (``jane-doe``); its member id and URN are stable
                and match those of conversations with the same slug.
            first_name: First name (made from the slug when omitted).
            last_name: Last name (likewise).
            headline: Headline.
            connected_to: Account ids already connected to them.
            **fields: More ``profile`` fields, camelCase (``isPremium=True``).
        """
        return self._world.network.add_profile(
            profile_id,
            first_name=first_name,
            last_name=last_name,
            headline=headline,
            connected_to=tuple(connected_to),
            extra=fields,
        )

    def accept_invitation(
        self, profile: FakeProfile | str, *, account_id: str | None = None
    ) -> FakeInvitation:
        """The person accepts the pending invitation sent to them: they are connected.

        Args:
            profile: The `FakeProfile` (or its slug or URN).
            account_id: The inviting account (any account's newest invitation if omitted).
        """
        return self._world.network.answer(profile, account_id, "accepted")

    def decline_invitation(
        self, profile: FakeProfile | str, *, account_id: str | None = None
    ) -> FakeInvitation:
        """The person ignores the pending invitation sent to them (it stops being pending)."""
        return self._world.network.answer(profile, account_id, "declined")

    def add_received_invitation(
        self,
        profile: FakeProfile | str,
        *,
        account_id: str | None = None,
        note: str | None = None,
        category: str = "CONNECTION",
    ) -> FakeInvitation:
        """The person invites an account (``invitations.received()`` lists it).

        Args:
            profile: The inviter: a `FakeProfile`, or the slug of one (added if new).
            account_id: The invited account (the default account when omitted).
            note: The inviter's note (``customMessage``).
            category: ``CONNECTION``, ``ORGANIZATION``, ``NEWSLETTER``, ``EVENT``, ...
        """
        account = self._world.account_for(account_id)
        return self._world.network.add_received(account, profile, note=note, category=category)

    @property
    def profiles(self) -> dict[str, FakeProfile]:
        """The members the fake knows, by slug."""
        return self._world.network.profiles

    @property
    def invitations(self) -> list[FakeInvitation]:
        """Every invitation, sent and received, in order (``direction``, ``state``)."""
        return self._world.network.invitations
