"""Models of the Sales Navigator endpoints (``/linkedin/sales-nav/*``).

The API documents the envelopes but not the thread objects, so a `SalesNavThread` keeps
the object as the API sent it (``raw``) and decodes only its id; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

__all__ = [
    "SalesNavMarkReadResult",
    "SalesNavSendResult",
    "SalesNavThread",
    "SalesNavThreadsPage",
]


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class SalesNavThread:
    """A Sales Navigator thread, as the API sent it.

    Attributes:
        thread_id: The thread's id: the one you asked for (`SalesNavigator.thread`), else
            the object's ``threadId`` or ``id`` field when it has one, else ``None``.
        raw: The thread object exactly as received (read-only). Its shape is not
            documented; read the fields you need from it.
        account_id: The account the thread belongs to: the response's ``accountId``
            (of the thread's answer, or of the page it came on), ``None`` when the
            answer has none.
    """

    thread_id: str | None
    raw: Mapping[str, Any] = attrs.field(converter=_frozen_mapping, eq=False, repr=False)
    account_id: str | None = None

    @classmethod
    def from_api(
        cls, value: object, thread_id: str | None = None, account_id: str | None = None
    ) -> SalesNavThread:
        """Build from one thread object of a response (and the response's ``accountId``)."""
        raw = value if isinstance(value, Mapping) else {}
        if thread_id is None:
            found = raw.get("threadId", raw.get("id"))
            thread_id = found if isinstance(found, str) and found else None
        return cls(thread_id, raw, account_id)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SalesNavThread, (self.thread_id, dict(self.raw), self.account_id))


@attrs.frozen
class SalesNavThreadsPage:
    """One page of ``GET /linkedin/sales-nav/threads``.

    Attributes:
        threads: The page's threads.
        next_page_starts_at: The offset of the next page (``None`` at the end).
        paging: The ``paging`` object as received (shape undocumented).
        account_id: The account.
    """

    threads: tuple[SalesNavThread, ...]
    next_page_starts_at: int | None = None
    paging: Mapping[str, Any] | None = None
    account_id: str | None = None


@attrs.frozen
class SalesNavMarkReadResult:
    """``POST /linkedin/sales-nav/mark-read``: a Sales Navigator thread marked read.

    Attributes:
        success: Always True (a failure raises instead).
        thread_id: The thread.
        account_id: The account.
    """

    success: bool = True
    thread_id: str | None = None
    account_id: str | None = None


@attrs.frozen
class SalesNavSendResult:
    """``POST /linkedin/sales-nav/send``: a Sales Navigator message sent.

    Attributes:
        success: Always True (a failure raises instead).
        message: The server's status sentence.
        thread_id: The thread it went into.
        message_id: The message's id (format undocumented).
        account_id: The account that sent it.
        replayed: True when the send ledger knew the ``idempotency_key`` as delivered
            and returned the recorded result instead of sending.
    """

    success: bool = True
    message: str | None = None
    thread_id: str | None = None
    message_id: str | None = None
    account_id: str | None = None
    replayed: bool = False
