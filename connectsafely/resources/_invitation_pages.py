"""Offset paging of the two invitation listings (``startIndex``), and their loop guards.

The listings return no next offset: the walk adds the items it got. Where each ends:

- **sent**: undocumented, so an empty page or a short one ends it. "Short" is fewer
  items than the largest page so far, and than 10 (the received listing's documented
  page size) on the first page.
- **received**: only ``endOfList: true`` ends it, never an empty page. An empty page
  moves on by a whole page (10): its invitation cards were there, only filtered out.

Both guard against a server that does not move: a page with exactly the invitations of
the page before (a server ignoring ``startIndex``) raises `PaginationError`, and so do
five empty received pages in a row without the end marker. The walk's state (offset,
largest page, the previous page's fingerprint, empty pages in a row) travels in the
pager's cursor, so ``.pages()`` and item iteration walk independently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._errors import PaginationError
from .._http import HttpCore
from .._models.invitations import Invitation, InvitationsPage
from .._pagination import AsyncPager, Fetched
from ._base import decode_part

__all__ = ["PAGE_SIZE", "RECEIVED", "SENT", "invitation_pager"]

SENT = "/linkedin/invitations/sent"
RECEIVED = "/linkedin/invitations/received"
PAGE_SIZE = 10
"""The received listing's documented page size (assumed for the sent one too)."""
MAX_EMPTY_PAGES = 5
"""Empty received pages in a row, without ``endOfList``, before the walk gives up."""


@attrs.frozen
class _Envelope:
    invitations: tuple[dict[str, Any], ...] | None = None
    count: int | None = None
    start_index: int | None = None
    end_of_list: bool | None = None
    account_id: str | None = None


@attrs.frozen
class _Position:
    """Where a walk stands: encoded as the pager's cursor."""

    offset: int = 0
    largest: int = 0
    fingerprint: str = ""
    empty_pages: int = 0

    def encode(self) -> str:
        return f"{self.offset}:{self.largest}:{self.fingerprint}:{self.empty_pages}"

    @classmethod
    def decode(cls, cursor: str | None) -> _Position:
        if not cursor:
            return cls()
        offset, largest, fingerprint, empty = cursor.split(":")
        return cls(int(offset), int(largest), fingerprint, int(empty))


def invitation_pager(
    core: HttpCore, path: str, params: Mapping[str, str]
) -> AsyncPager[Invitation, InvitationsPage]:
    """The pager of one listing (`SENT` or `RECEIVED`) with the query ``params``."""
    received = path == RECEIVED

    async def fetch(cursor: str | None) -> Fetched[Invitation, InvitationsPage]:
        at = _Position.decode(cursor)
        query = {**params, "startIndex": str(at.offset)}
        envelope = await core.request("GET", path, params=query, cast_to=_Envelope)
        account = envelope.account_id or params.get("accountId")
        items = tuple(
            invitation_from(raw, f"$.invitations[{index}]", account)
            for index, raw in enumerate(envelope.invitations or ())
        )
        page = InvitationsPage(
            invitations=items,
            start_index=at.offset,
            count=envelope.count,
            end_of_list=envelope.end_of_list,
            account_id=envelope.account_id,
        )
        fingerprint = _fingerprint(items)
        if items and fingerprint == at.fingerprint:
            raise PaginationError(
                f"The server returned the same invitations for startIndex={at.offset} as for "
                "the page before; stopping instead of fetching the same page forever."
            )
        empty = 0 if items else at.empty_pages + 1
        if received:
            has_more = envelope.end_of_list is not True
            if has_more and empty >= MAX_EMPTY_PAGES:
                raise PaginationError(
                    f"{empty} empty pages of received invitations in a row without "
                    "endOfList; stopping instead of walking on forever."
                )
        else:
            has_more = len(items) >= max(at.largest, PAGE_SIZE)
        following = _Position(
            offset=at.offset + (len(items) or PAGE_SIZE),
            largest=max(at.largest, len(items)),
            fingerprint=fingerprint,
            empty_pages=empty,
        )
        return Fetched(items, following.encode(), has_more, page, empty_ends=not received)

    label = "received invitations" if received else "sent invitations"
    return AsyncPager(fetch, key=_invitation_key, rebuild=_page_with, label=label)


def invitation_from(raw: Mapping[str, Any], path: str, account_id: str | None) -> Invitation:
    """One listing entry as an `Invitation` (``raw`` kept), decoded with the usual rules."""
    fields = {name: value for name, value in raw.items() if name not in _OWN_NAMES}
    if "linkedInInvitationType" in raw:  # the API's spelling, not our camelCase
        fields["linkedinInvitationType"] = raw["linkedInInvitationType"]
    if fields.get("invitationId") is None and raw.get("id") is not None:
        fields["invitationId"] = raw["id"]
    for name in ("memberId", "memberUrn"):  # "" for organization/newsletter invitations
        if fields.get(name) == "":
            fields[name] = None
    if fields.get("accountId") is None:
        fields["accountId"] = account_id
    decoded = decode_part(fields, Invitation, path)
    return attrs.evolve(decoded, raw=raw)


_OWN_NAMES = frozenset(("raw", "linkedinInvitationType"))
"""Keys the decoding sets itself (never taken from the entry as they are)."""


def _fingerprint(items: Sequence[Invitation]) -> str:
    if not items:
        return ""
    ids = "\n".join(str(item.invitation_id or item.invitation_urn) for item in items)
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def _invitation_key(invitation: Invitation) -> str | None:
    return invitation.invitation_id


def _page_with(page: InvitationsPage, items: Sequence[Invitation]) -> InvitationsPage:
    return attrs.evolve(page, invitations=tuple(items))
