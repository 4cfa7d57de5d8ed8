"""`AsyncPager`: cursor paging with loop guards, shared by every list endpoint.

An endpoint supplies one small strategy, ``fetch(cursor) -> Fetched``, that performs a
single request and says what came back (the items, the next cursor, whether more
exist, and the page object to hand to ``.pages()`` users). Everything about walking
lives here, once:

- stop on ``has_more`` false, on a missing or empty cursor, or on an empty page (unless
  the strategy says an empty page is not the end: ``Fetched.empty_ends``);
- a cursor the server already gave (immediately, or in any longer cycle) raises
  `PaginationError` instead of looping forever;
- an item repeated across a page boundary (same key) is yielded once;
- memory stays O(one page): only the previous page's keys, a few recent cursors and
  one checkpoint are remembered, never everything seen;
- no async generators: the iterators are plain classes, so leaving a loop early
  leaves nothing to finalise (no "asynchronous generator was never closed" warnings
  under asyncio or Trio) and no connection is held between pages, because each
  page is read completely before its items are handed out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic

import attrs
from typing_extensions import TypeVar

from ._errors import PaginationError
from ._telemetry import OperationSpec

__all__ = [
    "AsyncPageIterator",
    "AsyncPager",
    "Fetched",
]

T = TypeVar("T")
# The page type defaults to Any so that `AsyncPager[Message]` is a valid annotation;
# the SDK's own methods spell out both parameters so `.pages()` is precisely typed.
PageT = TypeVar("PageT", default=Any)

_RECENT_CURSORS = 16
"""Cursors remembered exactly: any cycle up to this many pages is caught at once."""

"""Epoch ms below this are before March 1973: almost surely seconds passed by mistake."""


@attrs.frozen
class Fetched(Generic[T, PageT]):
    """What one page fetch returned, as a paging strategy reports it.

    Attributes:
        items: The page's items, in the order to yield them.
        cursor: The cursor of the next page (``None`` or ``""`` when there is none).
        has_more: Whether the server says more items exist.
        page: The page object ``.pages()`` yields (e.g. a `MessagesPage`).
        empty_ends: Whether an empty page ends the walk (the usual rule). False for
            endpoints whose end is only ever an explicit marker (received invitations:
            ``has_more`` alone decides).
    """

    items: Sequence[T]
    cursor: str | None
    has_more: bool
    page: PageT
    empty_ends: bool = True


FetchPage = Callable[[str | None], Awaitable[Fetched[T, PageT]]]
"""The paging strategy: fetch the page at ``cursor`` (``None`` for the first page)."""


class _Walk(Generic[T, PageT]):
    """One walk through the pages: the cursor to fetch next, and the loop guards.

    State changes only after a page arrived, so a fetch that fails (or is cancelled)
    leaves the walk where it was and the next call asks for the same cursor again.
    """

    __slots__ = (
        "_busy",
        "_checkpoint",
        "_cursor",
        "_done",
        "_error",
        "_fetch",
        "_key",
        "_pages",
        "_power",
        "_previous_keys",
        "_rebuild",
        "_recent",
        "_steps",
    )

    def __init__(
        self,
        fetch: FetchPage[T, PageT],
        cursor: str | None,
        key: Callable[[T], Hashable | None] | None,
        rebuild: Callable[[PageT, Sequence[T]], PageT] | None,
    ) -> None:
        self._fetch = fetch
        self._key = key
        self._rebuild = rebuild
        self._cursor = cursor
        self._done = False
        self._busy = False
        self._error: PaginationError | None = None
        self._pages = 0
        self._previous_keys: frozenset[Hashable] = frozenset()
        self._recent: deque[str] = deque(maxlen=_RECENT_CURSORS)
        if cursor:
            self._recent.append(cursor)
        # Brent's cycle detection: a checkpoint cursor moved at pages 1, 2, 4, 8, ...
        # catches a cycle of any length with O(1) memory.
        self._checkpoint: str | None = None
        self._power = 1
        self._steps = 0

    def finish(self) -> None:
        """End the walk; later calls report no more pages."""
        self._done = True
        self._error = None

    async def next_page(self) -> tuple[Sequence[T], PageT] | None:
        """Fetch the next page: its de-duplicated items and its page object.

        Returns ``None`` when the walk is over; raises `PaginationError` (once) when
        the previous page handed back a cursor already seen.
        """
        if self._busy:
            raise RuntimeError("This pager is already fetching a page in another task.")
        if self._error is not None:
            error = self._error
            self.finish()
            raise error
        if self._done:
            return None
        self._busy = True
        try:
            fetched = await self._fetch(self._cursor)
        finally:
            self._busy = False
        self._pages += 1
        items = self._dedupe(fetched.items)
        page = fetched.page
        if self._rebuild is not None and len(items) != len(fetched.items):
            page = self._rebuild(page, items)
        self._advance(fetched)
        return items, page

    def _dedupe(self, items: Sequence[T]) -> Sequence[T]:
        if self._key is None:
            return items
        previous = self._previous_keys
        keys = frozenset(map(self._key, items))
        if len(keys) == len(items) and None not in keys and keys.isdisjoint(previous):
            # The usual page: every item has a key, none repeats. Checked with set
            # operations in C instead of item by item.
            self._previous_keys = keys
            return items
        seen: set[Hashable] = set()
        kept: list[T] = []
        for item in items:
            key = self._key(item)
            if key is None:  # nothing to compare by: never drop it
                kept.append(item)
                continue
            if key not in previous and key not in seen:
                kept.append(item)
            seen.add(key)
        # Only the last page's keys are kept: servers repeat items at a boundary,
        # and remembering every key ever seen would grow without bound.
        self._previous_keys = frozenset(seen)
        return items if len(kept) == len(items) else tuple(kept)

    def _advance(self, fetched: Fetched[T, PageT]) -> None:
        cursor = fetched.cursor
        if (not fetched.items and fetched.empty_ends) or not fetched.has_more or not cursor:
            self._done = True
            return
        if cursor in self._recent or cursor == self._checkpoint:
            # Hand out this page first (its items are new); fail on the next fetch.
            self._error = PaginationError(
                f"The server returned the cursor {_preview(cursor)} again (after "
                f"{self._pages} page{'s' if self._pages != 1 else ''}); stopping instead of "
                "fetching the same pages forever."
            )
            return
        self._recent.append(cursor)
        self._steps += 1
        if self._steps == self._power:
            self._checkpoint = cursor
            self._power *= 2
            self._steps = 0
        self._cursor = cursor


class AsyncPager(Generic[T, PageT]):
    """Items from a paged endpoint, fetched page by page as you iterate.

    Creating a pager does no I/O; the first page is requested by the first
    ``async for`` step. Each page is requested only when the previous one is used up,
    so memory stays at about one page however long the walk.

    Like a generator, a pager is walked once: ``async for`` continues where an earlier
    loop stopped. Call the method that made it again to start over (that is free).

    Paging stops when the server says there is nothing more, returns no cursor, or
    returns an empty page. A cursor that comes back a second time raises
    `connectsafely.PaginationError` rather than looping forever. An item repeated at a
    page boundary is yielded once. If fetching a page fails, the error propagates and
    the pager stays where it was: iterating again retries the same page.

    Examples:
        >>> async for message in client.conversations.messages(urn):  # doctest: +SKIP
        ...     print(message.sent_at, message.text)
        >>> async for page in client.conversations.messages(urn).pages():  # doctest: +SKIP
        ...     print(len(page.messages), page.has_more)
    """

    __slots__ = ("_buffer", "_cursor", "_fetch", "_index", "_key", "_label", "_rebuild", "_walk")

    def __init__(
        self,
        fetch: FetchPage[T, PageT],
        *,
        cursor: str | None = None,
        key: Callable[[T], Hashable | None] | None = None,
        rebuild: Callable[[PageT, Sequence[T]], PageT] | None = None,
        label: str = "items",
    ) -> None:
        """Build a pager (SDK internal: resource methods create these for you).

        Args:
            fetch: Fetches the page at a cursor (``None`` for the first page).
            cursor: Where to start; ``None`` starts at the first page.
            key: Identifies an item, to drop repeats across a page boundary.
            rebuild: Makes a page object holding only the kept items, so ``.pages()``
                agrees with item iteration after duplicates were dropped.
            label: What is being paged, for ``repr``.
        """
        self._fetch = fetch
        self._cursor = cursor
        self._key = key
        self._rebuild = rebuild
        self._label = label
        self._walk = _Walk(fetch, cursor, key, rebuild)
        self._buffer: Sequence[T] = ()
        self._index = 0

    def __aiter__(self) -> AsyncPager[T, PageT]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._buffer):
            fetched = await self._walk.next_page()
            if fetched is None:
                self._buffer = ()
                self._index = 0
                raise StopAsyncIteration
            self._buffer, self._index = fetched[0], 0
        item = self._buffer[self._index]
        self._index += 1
        return item

    def pages(self) -> AsyncPageIterator[PageT]:
        """Iterate page objects instead of items, in a walk of their own.

        The walk starts at the pager's starting cursor, independently of any item
        iteration, with the same stop rules and loop guards.

        Returns:
            An async iterator of pages (for messages: `MessagesPage`).
        """
        return AsyncPageIterator(_Walk(self._fetch, self._cursor, self._key, self._rebuild))

    async def aclose(self) -> None:
        """Stop the walk early; later iteration yields nothing. Nothing else to release."""
        self._walk.finish()
        self._buffer = ()
        self._index = 0

    def _trace_as(self, spec: OperationSpec) -> None:
        """Telemetry (`_telemetry`): each page fetch is one operation of ``spec``."""
        fetch = self._fetch

        async def traced(cursor: str | None) -> Fetched[T, PageT]:
            return await spec.run(fetch(cursor))

        self._fetch = self._walk._fetch = traced

    def __repr__(self) -> str:
        return f"<AsyncPager of {self._label}>"


class AsyncPageIterator(Generic[PageT]):
    """The pages of an `AsyncPager` (``pager.pages()``), one request per step."""

    __slots__ = ("_walk",)

    def __init__(self, walk: _Walk[Any, PageT]) -> None:
        """Wrap a walk (SDK internal: use `AsyncPager.pages`)."""
        self._walk = walk

    def __aiter__(self) -> AsyncPageIterator[PageT]:
        return self

    async def __anext__(self) -> PageT:
        fetched = await self._walk.next_page()
        if fetched is None:
            raise StopAsyncIteration
        return fetched[1]

    async def aclose(self) -> None:
        """Stop the walk early; later iteration yields nothing."""
        self._walk.finish()


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
