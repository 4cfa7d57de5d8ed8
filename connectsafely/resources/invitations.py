"""``client.invitations``: connection requests, sent and received.

A connection request (``send``) is a write of the ``CONNECT`` action: 90 per account per
calendar week (resetting Monday 00:00 UTC); going over puts the account's connection
requests on hold for 24 hours, while its other calls go on.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Coroutine, Iterable
from typing import Any

from .. import _validate as check
from .._bulk import BulkSend
from .._ledger import Verify
from .._limits import CallScope
from .._models.bulk import ProgressCallback
from .._models.invitations import (
    Invitation,
    InvitationActionResult,
    InvitationRequest,
    InvitationResult,
    InvitationsPage,
)
from .._pagination import AsyncPager
from .._retry import Recover
from .._sending import deliver
from ._base import Resource
from ._invitation_pages import RECEIVED, SENT, invitation_pager
from .profiles import Profiles

__all__ = ["Invitations"]

CONNECT = "CONNECT"
"""The action category of connection requests (``X-RateLimit-Action``, the quota's feature)."""


class Invitations(Resource):
    """Connection requests (``client.invitations``)."""

    __slots__ = ()

    async def send(
        self,
        profile_id: str | None = None,
        *,
        profile_urn: str | None = None,
        note: str | None = None,
        account_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> InvitationResult:
        """Send a connection request, with a personal note or without (``POST /linkedin/connect``).

        Examples:
            >>> result = await client.invitations.send(  # doctest: +SKIP
            ...     "jane-doe", note="Hi Jane, enjoyed your talk on async Python."
            ... )
            >>> result.profile_urn  # doctest: +SKIP
            'urn:li:fsd_profile:ACoAA...'

        Args:
            profile_id: The person's vanity slug, e.g. ``"john-doe-123"``.
            profile_urn: Their URN, ``"urn:li:fsd_profile:ACoAA..."`` (exactly one of
                the two forms).
            note: A personal note of at most 300 characters (``customMessage``);
                ``None`` sends a plain request.
            account_id: The account sending it; defaults to the client's.
            idempotency_key: At most one request per key, across retries, processes
                and machines sharing the client's store (the send ledger, see
                ``docs/network.md``). A request whose answer was lost is settled by
                reading the relationship: ``invitation_sent`` or ``connected`` means
                it was delivered (``replayed=True``), neither means send it.

        Returns:
            The `InvitationResult`; ``replayed`` when the ledger answered for an
            earlier send of the key.

        Raises:
            ValueError: Both or neither profile form, a note over 300 characters, or
                blank text (before any request).
            TypeError: An argument that is not a str.
            NotFoundError: No such profile.
            RateLimitError: The account's weekly connection requests are used up, or
                it is on hold (``hold_until``): its connection requests only.
            SendInProgressError: Another caller is sending the same key right now.
            SendInDoubtError: With a key, an attempt whose answer was lost that the
                relationship read cannot settle (the read failed, or the request named
                ``profile_urn`` only); nothing is sent again.
        """
        body = self._connect_body(profile_id, profile_urn, note, account_id)
        return await self._deliver(body, idempotency_key)

    def send_many(
        self,
        requests: Iterable[InvitationRequest] | AsyncIterable[InvitationRequest],
        *,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
    ) -> BulkSend:
        """Send many connection requests with bounded concurrency, one `SendOutcome` each.

        The runner of ``conversations.send_many`` (``docs/bulk.md``): run it inside
        ``async with``; outcomes arrive in completion order (``outcome.result`` is an
        `InvitationResult`), one failed request never stops the others, and leaving the
        block early stops the rest (``outcomes.summary`` lists what was not attempted).
        A request with an ``idempotency_key`` goes through the send ledger like
        `send`. Every request obeys the client's limits (the weekly ``CONNECT``
        window) and the server's 429s.

        Examples:
            >>> requests = [InvitationRequest("jane-doe", note="Hi Jane!")]  # doctest: +SKIP
            >>> async with client.invitations.send_many(requests) as outcomes:  # doctest: +SKIP
            ...     async for outcome in outcomes:
            ...         print(outcome.index, outcome.ok)

        Args:
            requests: `InvitationRequest` objects, from any iterable or async iterable,
                read lazily.
            concurrency: How many requests may be in flight at once.
            on_progress: Called with a `Progress` after every finished request.

        Returns:
            A `BulkSend` of `SendOutcome`.

        Raises:
            TypeError: ``requests`` is not iterable, or a bad ``concurrency`` /
                ``on_progress`` (before anything is sent).
            ValueError: ``concurrency`` below 1.
        """
        return BulkSend(
            requests,
            send=self._send_item,
            item_type=InvitationRequest,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    async def _send_item(
        self, item: InvitationRequest, recover: Recover[InvitationResult] | None
    ) -> InvitationResult:
        """One `send_many` request (the runner's duplicate check is for replies only)."""
        kwargs = item.send_kwargs()
        key = kwargs.pop("idempotency_key")
        body = self._connect_body(**kwargs)
        return await self._deliver(body, key)

    def _deliver(
        self, body: dict[str, Any], idempotency_key: str | None
    ) -> Coroutine[Any, Any, InvitationResult]:
        """One checked ``/connect`` body through the pipeline (the ledger, given a key):
        `deliver`'s send, to await."""
        return deliver(
            self._core,
            "/linkedin/connect",
            body,
            InvitationResult,
            scope=CallScope(account=body.get("accountId"), kind=CONNECT, write=True),
            idempotency_key=idempotency_key,
            verify=None if idempotency_key is None else self._relationship_check(body),
        )

    def _relationship_check(self, body: dict[str, Any]) -> Verify | None:
        """The ledger's check for a request whose answer was lost: read the relationship.

        ``invitation_sent`` or ``connected`` -> delivered; neither -> not sent. The read
        takes a slug, so a request by ``profileUrn`` alone cannot be checked (``None``:
        the ledger raises `SendInDoubtError`); a read that fails is the ledger's to
        decide (in doubt, too).
        """
        slug: str | None = body.get("profileId")
        if slug is None:
            return None
        account: str | None = body.get("accountId")
        profiles = Profiles(self._core)

        async def verify(started_at: float) -> InvitationResult | None:
            relationship = await profiles.relationship(slug, account_id=account)
            if relationship.invitation_sent or relationship.connected:
                return InvitationResult(
                    message="Found by the relationship check (invitation sent or connected).",
                    profile_urn=relationship.profile_urn,
                )
            return None

        return verify

    def sent(self, *, account_id: str | None = None) -> AsyncPager[Invitation, InvitationsPage]:
        """Walk the account's pending sent invitations (``GET /linkedin/invitations/sent``).

        Offset paging (``startIndex``). The end is not documented, so the walk stops on
        an empty page or a short one (fewer than the largest page so far, and at least
        10, the documented page size of the received listing); a page repeating the one
        before raises `PaginationError` (the loop guard of ``messages()``). Nothing is
        sent until you iterate.

        Examples:
            >>> async for invitation in client.invitations.sent():  # doctest: +SKIP
            ...     print(invitation.profile.public_identifier, invitation.sent_at)

        Args:
            account_id: The account; defaults to the client's.

        Returns:
            An `AsyncPager` of `Invitation` (``.pages()``: `InvitationsPage`).
        """
        params = self._account_params(account_id)
        return invitation_pager(self._core, SENT, params)

    def received(self, *, account_id: str | None = None) -> AsyncPager[Invitation, InvitationsPage]:
        """Walk the invitations the account received (``GET /linkedin/invitations/received``).

        Offset paging (``startIndex``, 10 a page) that ends only on the API's
        ``endOfList: true``, never on an empty page (LinkedIn sometimes returns empty
        pages while invitations are pending). Its documented 502
        ``INVITATIONS_UNAVAILABLE`` (LinkedIn briefly returned nothing) is retried like
        any 5xx. A page repeating the one before, or five empty pages in a row without
        the end marker, raise `PaginationError` instead of walking forever.

        Examples:
            >>> async for invitation in client.invitations.received():  # doctest: +SKIP
            ...     if invitation.invitation_category == "CONNECTION":
            ...         await client.invitations.respond(invitation, accept=True)

        Args:
            account_id: The account; defaults to the client's.

        Returns:
            An `AsyncPager` of `Invitation` (``.pages()``: `InvitationsPage`).
        """
        params = self._account_params(account_id)
        return invitation_pager(self._core, RECEIVED, params)

    async def respond(
        self, invitation: Invitation, *, accept: bool, account_id: str | None = None
    ) -> InvitationActionResult:
        """Accept or ignore a received invitation (``POST /linkedin/invitations/received/respond``).

        Works for every category (connection, organization, newsletter, event); the
        request is filled from the listing's entry (its id, validation token, LinkedIn
        type, the inviter's names and member id).

        Examples:
            >>> async for invitation in client.invitations.received():  # doctest: +SKIP
            ...     await client.invitations.respond(invitation, accept=True)

        Args:
            invitation: An `Invitation` from `received`.
            accept: True to accept (``ACCEPT``), False to ignore (``IGNORE``).
            account_id: The account; defaults to the invitation's (the listing's),
                else the client's.

        Returns:
            An `InvitationActionResult`.

        Raises:
            TypeError: ``invitation`` is not an `Invitation`, or ``accept`` not a bool.
            ValueError: The invitation lacks what a response needs (an id, a validation
                token, LinkedIn's type): not one from `received` (before any request).
        """
        body = self._respond_body(invitation, check.flag(accept, "accept"), account_id)
        return await self._core.request(
            "POST",
            "/linkedin/invitations/received/respond",
            json_body=body,
            cast_to=InvitationActionResult,
            scope=CallScope(account=body.get("accountId"), write=True),
        )

    async def withdraw(
        self, invitation: Invitation | str, *, account_id: str | None = None
    ) -> InvitationActionResult:
        """Withdraw a pending sent invitation (``POST /linkedin/invitations/withdraw``).

        Examples:
            >>> await client.invitations.withdraw("jane-doe")  # doctest: +SKIP

        Args:
            invitation: An `Invitation` from `sent` (its slug, member id, names, URN and
                id are sent, saving the server the look-ups), or the invitee's vanity
                slug (the server looks the rest up).
            account_id: The account; defaults to the invitation's (the listing's),
                else the client's.

        Returns:
            An `InvitationActionResult`.

        Raises:
            TypeError: ``invitation`` is neither an `Invitation` nor a str.
            ValueError: A blank slug, or an `Invitation` without the invitee's slug
                (before any request).
            NotFoundError: No pending invitation to them.
        """
        if isinstance(invitation, str):
            body = self._body_with_account(account_id, profileId=check.profile_slug(invitation))
        elif isinstance(invitation, Invitation):
            body = self._withdraw_fields(invitation, account_id)
        else:
            raise TypeError(
                "invitation must be an Invitation from client.invitations.sent() or a "
                f"profile slug, not {type(invitation).__name__}."
            )
        return await self._core.request(
            "POST",
            "/linkedin/invitations/withdraw",
            json_body=body,
            cast_to=InvitationActionResult,
            scope=CallScope(account=body.get("accountId"), write=True),
        )

    def _respond_body(
        self, invitation: Invitation, accept: bool, account_id: str | None
    ) -> dict[str, Any]:
        if not isinstance(invitation, Invitation):
            raise TypeError(
                "invitation must be an Invitation from client.invitations.received(), not "
                f"{type(invitation).__name__}."
            )
        needed = {
            "invitationId": invitation.invitation_id,
            "validationToken": invitation.validation_token,
            "linkedInInvitationType": invitation.linkedin_invitation_type,
        }
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ValueError(
                f"invitation has no {', '.join(missing)}: pass one from "
                "client.invitations.received()."
            )
        person = invitation.profile
        body = self._body_with_account(
            account_id if account_id is not None else invitation.account_id,
            action="ACCEPT" if accept else "IGNORE",
            **needed,
            firstName=(person.first_name if person else None) or "",
            lastName=(person.last_name if person else None) or "",
        )
        if invitation.member_id:
            body["profileId"] = invitation.member_id  # this endpoint's name for the member id
        return body

    def _withdraw_fields(self, invitation: Invitation, account_id: str | None) -> dict[str, Any]:
        person = invitation.profile
        slug = person.public_identifier if person else None
        if not slug:
            raise ValueError(
                "invitation has no profile.public_identifier (the invitee's slug the API "
                "needs): pass the slug itself."
            )
        known = {
            "memberId": invitation.member_id,
            "firstName": person.first_name if person else None,
            "lastName": person.last_name if person else None,
            "profileUrn": invitation.member_urn,
            "invitationId": invitation.invitation_id,
        }
        return self._body_with_account(
            account_id if account_id is not None else invitation.account_id,
            profileId=slug,
            **{name: value for name, value in known.items() if value},
        )

    def _connect_body(
        self,
        profile_id: str | None = None,
        profile_urn: str | None = None,
        note: str | None = None,
        account_id: str | None = None,
    ) -> dict[str, Any]:
        check.one_profile_form(profile_id, profile_urn)
        body = self._account_params(account_id)
        fields: dict[str, Any] = dict(body)
        if profile_id is not None:
            fields["profileId"] = check.profile_slug(profile_id)
        if profile_urn is not None:
            fields["profileUrn"] = check.urn(profile_urn, "profile_urn")
        if note is not None:
            fields["customMessage"] = check.invitation_note(note)
        return fields
