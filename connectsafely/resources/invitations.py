"""``client.invitations``: connection requests, sent and received.

A connection request (``send``) is a write of the ``CONNECT`` action: 90 per account per
calendar week (resetting Monday 00:00 UTC); going over puts the account's connection
requests on hold for 24 hours, while its other calls go on.
"""

from __future__ import annotations

from typing import Any

from .. import _validate as check
from .._limits import CallScope
from .._models.invitations import InvitationResult
from ._base import Resource

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
            idempotency_key: Sent as the ``Idempotency-Key`` header (the same on every
                retry of this call).

        Returns:
            The `InvitationResult`.

        Raises:
            ValueError: Both or neither profile form, a note over 300 characters, or
                blank text (before any request).
            TypeError: An argument that is not a str.
            NotFoundError: No such profile.
            RateLimitError: The account's weekly connection requests are used up, or
                it is on hold (``hold_until``): its connection requests only.
        """
        body = self._connect_body(profile_id, profile_urn, note, account_id)
        key = None if idempotency_key is None else check.idempotency_key(idempotency_key)
        return await self._core.request(
            "POST",
            "/linkedin/connect",
            json_body=body,
            cast_to=InvitationResult,
            idempotency_key=None if key is None else check.idempotency_header(key),
            scope=CallScope(account=body.get("accountId"), kind=CONNECT, write=True),
        )

    def _connect_body(
        self,
        profile_id: str | None,
        profile_urn: str | None,
        note: str | None,
        account_id: str | None,
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
