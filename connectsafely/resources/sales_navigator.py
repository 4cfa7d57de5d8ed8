"""``client.sales_navigator``: the Sales Navigator inbox (``/linkedin/sales-nav/*``).

The generic endpoints already cover most of it (``conversations.list`` merges Sales
Navigator threads, ``conversations.messages`` reads ``urn:li:salesNav_thread:*`` URNs and
``conversations.send`` picks Sales Navigator for accounts that have it); these calls add the
``UNREAD``/``ARCHIVED`` filters, the thread read-state and the native send. Thread objects
are undocumented: `SalesNavThread` keeps them as received (``raw``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .. import _validate as check
from .._limits import CallScope
from .._models.sales_navigator import (
    SalesNavMarkReadResult,
    SalesNavSendResult,
    SalesNavThread,
    SalesNavThreadsPage,
)
from .._pagination import AsyncPager, Fetched
from .._sending import deliver
from ._base import Resource

__all__ = ["SalesNavigator"]

_BASE = "/linkedin/sales-nav"
FILTERS = ("INBOX", "UNREAD", "ARCHIVED")


@attrs.frozen
class _ThreadsEnvelope:
    threads: tuple[dict[str, Any], ...] = ()
    paging: dict[str, Any] | None = None
    next_page_starts_at: int | None = None
    account_id: str | None = None


@attrs.frozen
class _ThreadEnvelope:
    thread: dict[str, Any] | None = None
    account_id: str | None = None


class SalesNavigator(Resource):
    """Sales Navigator threads and sends (``client.sales_navigator``)."""

    __slots__ = ()

    def threads(
        self,
        *,
        filter: str = "INBOX",
        page_size: int | None = None,
        account_id: str | None = None,
    ) -> AsyncPager[SalesNavThread, SalesNavThreadsPage]:
        """Walk the Sales Navigator inbox, page by page (``GET /linkedin/sales-nav/threads``).

        Offset paging: each page's ``nextPageStartsAt`` is sent back as ``pageStartsAt``.
        The end is not documented, so the walk stops on an empty page or a page without
        ``nextPageStartsAt``; a repeated offset raises `PaginationError` (the same loop
        guards as ``messages()``). A plain method: nothing is sent until you iterate.

        Examples:
            >>> unread = client.sales_navigator.threads(filter="UNREAD")  # doctest: +SKIP
            >>> async for thread in unread:  # doctest: +SKIP
            ...     print(thread.thread_id, thread.raw)

        Args:
            filter: ``"INBOX"`` (default), ``"UNREAD"`` or ``"ARCHIVED"``.
            page_size: Threads per request (``count``; the server's default is 20).
            account_id: The account; defaults to the client's.

        Raises:
            ValueError: An unknown ``filter`` or a non-positive ``page_size`` (at call
                time, before any request).
        """
        if not isinstance(filter, str) or filter.upper() not in FILTERS:
            raise ValueError(f"filter must be one of {', '.join(FILTERS)}, got {filter!r}.")
        params: dict[str, str] = {"filter": filter.upper()}
        count = check.page_size_param(page_size)
        if count is not None:
            params["count"] = count
        params.update(self._account_params(account_id))
        core = self._core

        async def fetch(offset: str | None) -> Fetched[SalesNavThread, SalesNavThreadsPage]:
            query = params if offset is None else {**params, "pageStartsAt": offset}
            envelope = await core.request(
                "GET", f"{_BASE}/threads", params=query, cast_to=_ThreadsEnvelope
            )
            page = SalesNavThreadsPage(
                threads=tuple(
                    SalesNavThread.from_api(raw, account_id=envelope.account_id)
                    for raw in envelope.threads
                ),
                next_page_starts_at=envelope.next_page_starts_at,
                paging=envelope.paging,
                account_id=envelope.account_id,
            )
            following = page.next_page_starts_at
            cursor = None if following is None else str(following)
            return Fetched(page.threads, cursor, bool(page.threads), page)

        return AsyncPager(
            fetch, key=_thread_key, rebuild=_page_with, label="Sales Navigator threads"
        )

    async def thread(
        self, thread_id: str, *, message_count: int | None = None, account_id: str | None = None
    ) -> SalesNavThread:
        """One Sales Navigator thread (``GET /linkedin/sales-nav/threads/{threadId}``).

        Args:
            thread_id: The thread's id (e.g. a conversation's ``salesNavThreadId``).
            message_count: How many messages to include (``messageCount``; the server's
                default is 20; there is no cursor for older ones).
            account_id: The account; defaults to the client's.

        Returns:
            A `SalesNavThread`: ``thread_id`` as asked, ``raw`` as received,
            ``account_id`` the response's ``accountId``.

        Raises:
            ValueError: A blank ``thread_id`` or a non-positive ``message_count`` (before
                any request).
            NotFoundError: No such thread.
        """
        segment = check.path_segment_text(thread_id, "thread_id")
        params: dict[str, str] = {}
        count = check.page_size_param(message_count, "message_count")
        if count is not None:
            params["messageCount"] = count
        params.update(self._account_params(account_id))
        envelope = await self._core.request(
            "GET", f"{_BASE}/threads/{segment}", params=params, cast_to=_ThreadEnvelope
        )
        return SalesNavThread.from_api(
            envelope.thread or {}, thread_id=thread_id, account_id=envelope.account_id
        )

    async def mark_read(
        self, thread_id: str, *, account_id: str | None = None
    ) -> SalesNavMarkReadResult:
        """Mark a Sales Navigator thread read (``POST /linkedin/sales-nav/mark-read``).

        Args:
            thread_id: The thread's id.
            account_id: The account; defaults to the client's.

        Raises:
            ValueError: A blank ``thread_id`` (before any request).
            NotFoundError: The account does not exist.
        """
        body: dict[str, Any] = {"threadId": check.required_text(thread_id, "thread_id")}
        body.update(self._account_params(account_id))
        return await self._core.request(
            "POST",
            f"{_BASE}/mark-read",
            json_body=body,
            cast_to=SalesNavMarkReadResult,
            scope=CallScope(account=body.get("accountId"), kind="CONVERSATION", write=True),
        )

    async def send(
        self,
        body: str,
        *,
        thread_id: str | None = None,
        recipients: Iterable[str] = (),
        copy_to_crm: bool | None = None,
        account_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> SalesNavSendResult:
        """Send a Sales Navigator message (``POST /linkedin/sales-nav/send``).

        Reply into a thread (``thread_id``) or start one with ``recipients`` (profile
        URNs). A send like ``conversations.send``: the limits apply (an account's writes,
        and a send without a thread counts as a possible new conversation), and with an
        ``idempotency_key`` the send ledger sends at most once per key. The API gives no
        way to check whether an attempt with a lost answer went through, so such an
        attempt ends in `SendInDoubtError` instead of a retry that could send twice.

        Examples:
            >>> result = await client.sales_navigator.send(  # doctest: +SKIP
            ...     "Thanks, Priya!", thread_id=thread_id, idempotency_key="q3-priya-2"
            ... )

        Args:
            body: The message text.
            thread_id: A thread to reply into.
            recipients: Profile URNs to start a thread with (when there is no thread).
            copy_to_crm: Log the message to the CRM linked to Sales Navigator.
            account_id: The account sending; defaults to the client's.
            idempotency_key: At most one message per key (see ``docs/scaling.md``).

        Raises:
            ValueError: A blank ``body``, neither ``thread_id`` nor ``recipients``, or a
                recipient that is not a ``urn:li:`` URN (before any request).
            TypeError: ``recipients`` is a single string, or ``copy_to_crm`` not a bool.
        """
        payload = self._send_body(body, thread_id, recipients, copy_to_crm, account_id)
        return await deliver(
            self._core,
            f"{_BASE}/send",
            payload,
            SalesNavSendResult,
            thread_field="threadId",
            idempotency_key=idempotency_key,
        )

    def _send_body(
        self,
        body: str,
        thread_id: str | None,
        recipients: Iterable[str],
        copy_to_crm: bool | None,
        account_id: str | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"body": check.required_text(body, "body")}
        if thread_id is not None:
            payload["threadId"] = check.required_text(thread_id, "thread_id")
        if isinstance(recipients, (str, bytes)) or not isinstance(recipients, Iterable):
            raise TypeError("recipients must be a list of profile URNs.")
        urns = [check.urn(urn, f"recipients[{i}]") for i, urn in enumerate(recipients)]
        if urns:
            payload["recipients"] = urns
        if thread_id is None and not urns:
            raise ValueError("Give thread_id (a reply) or recipients (profile URNs).")
        if copy_to_crm is not None:
            payload["copyToCrm"] = check.flag(copy_to_crm, "copy_to_crm")
        payload.update(self._account_params(account_id))
        return payload


def _thread_key(thread: SalesNavThread) -> str | None:
    return thread.thread_id


def _page_with(page: SalesNavThreadsPage, threads: Sequence[SalesNavThread]) -> SalesNavThreadsPage:
    return attrs.evolve(page, threads=tuple(threads))
