"""`FakeConnectSafely`: the public face of the fake, composed of a world, routes and a core.

The class only forwards: seeding and inspecting go to the in-memory world
(`_world.World`), faults and limits to the core's queues (`_core.Core`), and the ASGI
call to the core itself. Endpoints are the `Route` lists of the ``_routes_*`` modules,
gathered in `_routes.ROUTES` in matching order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ._clock import FakeClock, require_aware
from ._core import DEFAULT_API_KEY, Core
from ._fake_network import FakeNetwork
from ._faults import (
    DEFAULT,
    Default,
    Fault,
    PagingFault,
    drop_fault,
    paging_faults,
    rate_limit_fault,
    status_fault,
)
from ._limits import AccountLimit, RequestRateLimiter
from ._records import (
    AcceptedSend,
    ConversationKind,
    FakeAccount,
    FakeConversation,
    FakeMessage,
    FakeSyncState,
    StoredUpload,
)
from ._routes import ROUTES
from ._transport import InProcessTransport, LoopbackServer, wired_client
from ._webhooks import (
    DEFAULT_RETRY_DELAYS,
    DEFAULT_TIMEOUT,
    WebhookDelivery,
    Webhooks,
    message_event,
)
from ._wire import ErrorStyle, RecordedRequest
from ._world import World

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["FakeConnectSafely"]


class FakeConnectSafely(FakeNetwork):
    """An in-memory ConnectSafely API for tests, demos and benchmarks.

    An ASGI application faithful to the API's documented behaviour: Bearer auth,
    camelCase bodies, the documented error shapes, Sales Navigator vs inbox routing,
    cursor paging, raw-body uploads, rate-limit headers and the daily new-conversation
    quota. Its surface, by group:

    - **Construction and settings**: ``FakeConnectSafely(api_key=, error_style=, seed=,
      clock=)``; `api_key`, `error_style`, `honor_idempotency_keys`, `inbox_cache_size`,
      `inbox_timestamps`.
    - **Seeding**: `add_account`, `add_conversation`, `add_message`, `seed_messages`,
      `add_media`, `sync_state`.
    - **Inspecting**: `requests`, `requests_to`, `unserved`, `sends`, `uploads`,
      `accounts`, `conversations`, `default_account`, `default_account_id`, `refreshes`.
    - **Faults**: `fail_next`, `rate_limit_next`, `drop_next`, `delay_next`,
      `paging_fault_next`, `clear_faults`, `pending_faults`, `latency`,
      `enforce_rate_limit`, `enforce_account_limit`, `hold`, `stop_rate_limit`.
    - **Serving**: `app`, `client`, `transport`, `serve`.
    - **Time**: `clock`.
    - **Webhooks**: `add_webhook`, `receive_message`, `webhook_deliveries`.
    - **Network**: `add_profile`, `accept_invitation`,
      `decline_invitation`, `add_received_invitation`, `profiles`, `invitations`.

    Args:
        api_key: The key the fake accepts (``fake.api_key``).
        error_style: The error body shape it answers with: ``"error"``
            (``{"error": ...}``, the default), ``"code_message"``, ``"success_error"``
            or ``"zod"``.
        seed: Seeds the one random generator behind every random fault (``rate=`` of
            `fail_next`), so a test that injects faults at random gets the same faults
            on every run, given the same order of requests. ``None`` (the default)
            draws them differently on every run.
        clock: The fake's time (``fake.clock``): a `FakeClock`, or an aware `datetime`
            to freeze a new one at; by default a `FakeClock` following the wall clock.

    Examples:
        >>> fake = FakeConnectSafely()
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async with fake.client() as client:
        ...         await client.conversations.send("Hi", recipient_profile_id="jane-doe")
        ...     assert fake.sends[0].text == "Hi"
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        error_style: ErrorStyle = "error",
        seed: int | None = None,
        clock: FakeClock | datetime | None = None,
    ) -> None:
        if isinstance(clock, datetime):
            require_aware(clock, "clock")
        self._world = World(clock if isinstance(clock, FakeClock) else FakeClock(clock))
        self._core = Core(self._world, ROUTES, api_key=api_key, error_style=error_style, seed=seed)
        self._webhooks = Webhooks(lambda: self._world.clock)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        await self._core(scope, receive, send)

    # -- construction and settings ------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The only API key the fake accepts (others get 401); settable."""
        return self._core.api_key

    @api_key.setter
    def api_key(self, value: str) -> None:
        self._core.api_key = value

    @property
    def error_style(self) -> ErrorStyle:
        """The error body shape: ``"error"``, ``"code_message"``, ``"success_error"`` or
        ``"zod"``; settable."""
        return self._core.error_style

    @error_style.setter
    def error_style(self, value: ErrorStyle) -> None:
        self._core.error_style = value

    @property
    def honor_idempotency_keys(self) -> bool:
        """When True, a repeated ``Idempotency-Key`` returns the first send's response
        again without sending. The real API does not document deduplication, so False
        by default; settable."""
        return self._world.honor_idempotency_keys

    @honor_idempotency_keys.setter
    def honor_idempotency_keys(self, value: bool) -> None:
        self._world.honor_idempotency_keys = value

    @property
    def inbox_cache_size(self) -> int:
        """Conversation rows served from "ConnectSafely's store" (50); later pages of the
        list come "from LinkedIn", with ``linkedin:`` cursors; settable."""
        return self._world.inbox_cache_size

    @inbox_cache_size.setter
    def inbox_cache_size(self, value: int) -> None:
        self._world.inbox_cache_size = value

    @property
    def inbox_timestamps(self) -> Literal["iso", "ms"]:
        """How the list writes ``lastActivityAt``: ISO 8601 text (``"iso"``, the default)
        or epoch milliseconds (``"ms"``); settable."""
        return self._world.inbox_timestamps

    @inbox_timestamps.setter
    def inbox_timestamps(self, value: Literal["iso", "ms"]) -> None:
        self._world.inbox_timestamps = value

    # -- seeding ------------------------------------------------------------------------

    def add_account(
        self,
        account_id: str | None = None,
        *,
        name: str = "Fake Account",
        sales_navigator: bool = False,
        daily_quota: int = 150,
        default: bool = False,
    ) -> FakeAccount:
        """Connect a LinkedIn account to the fake workspace and return it.

        Args:
            account_id: The id (random 24-hex when omitted).
            name: The owner's display name.
            sales_navigator: Whether it has a Sales Navigator subscription.
            daily_quota: New conversations allowed per day (150 like the real API).
            default: Make it the account used when a request names none.
        """
        return self._world.add_account(
            account_id,
            name=name,
            sales_navigator=sales_navigator,
            daily_quota=daily_quota,
            default=default,
        )

    def add_conversation(
        self,
        *,
        account_id: str | None = None,
        kind: ConversationKind = "standard",
        recipient_profile_id: str = "jordan-lee",
        recipient_name: str | None = None,
        headline: str = "Head of Ops at Example Co",
        urn: str | None = None,
        note: str = "",
    ) -> FakeConversation:
        """Create an (empty) conversation between an account and one recipient.

        Args:
            account_id: The owning account (the default account when omitted).
            kind: ``standard`` (``urn:li:msg_conversation:(...)``) or ``sales_navigator``
                (``urn:li:salesNav_thread:...``).
            recipient_profile_id: The other participant's vanity slug.
            recipient_name: Their display name (derived from the slug when omitted).
            headline: Their headline.
            urn: Use this exact URN instead of generating one.
            note: The ``note`` the messages route returns for this conversation.
        """
        return self._world.add_conversation(
            account_id=account_id,
            kind=kind,
            recipient_profile_id=recipient_profile_id,
            recipient_name=recipient_name,
            headline=headline,
            urn=urn,
            note=note,
        )

    def add_message(
        self,
        conversation: FakeConversation | str,
        text: str,
        *,
        from_owner: bool = False,
        sent_at: int | None = None,
        attachments: Iterable[dict[str, Any]] = (),
    ) -> FakeMessage:
        """Append one message (by default from the other participant, sent "now").

        Args:
            conversation: The `FakeConversation` (or its URN).
            text: The message text.
            from_owner: Sent by the account owner instead of the other participant.
            sent_at: Epoch ms; defaults to the fake's clock (kept after the newest).
            attachments: Attachment objects as the API would list them.
        """
        return self._world.add_message(
            conversation, text, from_owner=from_owner, sent_at=sent_at, attachments=attachments
        )

    def seed_messages(
        self,
        conversation: FakeConversation | str,
        count: int,
        *,
        start_ms: int | None = None,
        step_ms: int = 60_000,
        from_owner_every: int = 2,
        text: str = "Message {n}",
    ) -> list[FakeMessage]:
        """Append ``count`` messages to a conversation, cheaply (100,000 in well under 1 s).

        Args:
            conversation: The `FakeConversation` (or its URN).
            count: How many messages to add.
            start_ms: ``sentAt`` of the first new message; defaults to just after the
                newest existing message, or, for an empty conversation, so that the
                newest new message is sent "now" (the fake's clock).
            step_ms: Milliseconds between consecutive messages (at least 1, so every
                message has its own timestamp, as timestamp cursors need).
            from_owner_every: Every n-th message is sent by the account owner, the rest
                by the other participant; ``0`` means none by the owner.
            text: The message text; ``{n}`` becomes the message's 1-based position in
                the conversation.

        Returns:
            The new messages, oldest first.
        """
        return self._world.seed_messages(
            conversation,
            count,
            start_ms=start_ms,
            step_ms=step_ms,
            from_owner_every=from_owner_every,
            text=text,
        )

    def add_media(
        self,
        data: bytes,
        *,
        url: str | None = None,
        content_type: str = "image/png",
        account_id: str | None = None,
    ) -> str:
        """Make ``data`` downloadable through download-media and return its URL.

        Args:
            data: The file's bytes.
            url: The URL to serve it under (a ``/dms/prv/`` one is made up if omitted).
            content_type: The ``Content-Type`` to answer with.
            account_id: Restrict it to this account (any account when omitted).
        """
        return self._world.add_media(
            data, url=url, content_type=content_type, account_id=account_id
        )

    def sync_state(self, account_id: str | None = None) -> FakeSyncState:
        """The inbox-sync record of an account (the default account when omitted).

        Read it to see what syncs did, or script it: ``fail_next_with`` makes the next
        sync report a partial failure, ``sync_in_progress`` is reported as set.
        """
        return self._world.sync_state(account_id)

    # -- inspecting ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (including refused and faulted ones)."""
        return self._core.requests

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose decoded path starts with ``path_prefix``."""
        return self._core.requests_to(path_prefix, method)

    @property
    def unserved(self) -> list[RecordedRequest]:
        """Requests to a path (or with a method) no endpoint of the fake serves, in
        order: they were answered 404 (or 405). A test that expects none can assert
        ``fake.unserved == []``; the pytest plugin's strict mode fails a test that left any.
        """
        return self._core.unserved

    @property
    def sends(self) -> list[AcceptedSend]:
        """Every send the send route accepted, in order."""
        return self._world.sends

    @property
    def uploads(self) -> dict[str, StoredUpload]:
        """Stored attachments by asset URN."""
        return self._world.uploads

    @property
    def accounts(self) -> dict[str, FakeAccount]:
        """Connected accounts by id."""
        return self._world.accounts

    @property
    def conversations(self) -> dict[str, FakeConversation]:
        """Conversations by URN."""
        return self._world.conversations

    @property
    def default_account(self) -> FakeAccount:
        """The account used when a request names none."""
        return self._world.default_account

    @property
    def default_account_id(self) -> str:
        """The id of `default_account`."""
        return self._world.default_account_id

    @property
    def refreshes(self) -> list[str]:
        """Conversation URNs a refresh was requested for, in order."""
        return self._world.refreshes

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        count: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
        after_processing: bool = False,
        delay: float = 0.0,
        rate: float = 1.0,
    ) -> Fault:
        """Answer the next ``count`` matching requests with ``status``.

        ``body`` defaults to an error body in the fake's error style. With
        ``after_processing=True`` the request is handled first (a send is recorded) and
        then the response is replaced: the "did it go through?" case. ``rate`` below 1
        makes each matching request fail with that probability (see ``seed``).
        """
        fault = status_fault(
            self.error_style,
            status,
            count=count,
            body=body,
            headers=headers,
            method=method,
            path=path,
            after_processing=after_processing,
            delay=delay,
            rate=rate,
        )
        return self._core.faults.add(fault)

    def rate_limit_next(
        self,
        *,
        retry_after: float | str | Default | None = DEFAULT,
        count: int = 1,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
        hold_until: datetime | None = None,
        action: str | None = None,
        limit: int | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching requests with 429.

        Without ``hold_until`` the body is an error in the fake's style and
        ``Retry-After`` defaults to 1 second. With ``hold_until`` the account is "on
        hold": the body is the documented shape ``{"success": false, "error": "Rate
        limit exceeded for CONNECT: 90/90 used. Resets at <ISO>", "holdUntil": "<ISO>"}``
        and there is no ``Retry-After`` unless ``retry_after`` is given.

        Args:
            retry_after: The ``Retry-After`` value (seconds or an HTTP date); ``None``
                sends none.
            count: How many matching requests get the 429.
            headers: Extra response headers (they win over the generated ones).
            method: Only requests with this method match.
            path: Only requests whose decoded path starts with this match.
            hold_until: An aware `datetime`: answer with a ``holdUntil`` body.
            action: The action category (``CONNECT``, ``MESSAGE``, ...): sent as
                ``X-RateLimit-Action`` and named in the error text.
            limit: The category's limit: sent as ``X-RateLimit-Limit``/``-Used`` with
                ``-Remaining: 0``, and shown as ``<limit>/<limit> used`` in the text.

        Returns:
            The queued `Fault`.

        Raises:
            ValueError: For a naive ``hold_until``.
        """
        fault = rate_limit_fault(
            self.error_style,
            retry_after=retry_after,
            count=count,
            headers=headers,
            method=method,
            path=path,
            hold_until=hold_until,
            action=action,
            limit=limit,
        )
        return self._core.faults.add(fault)

    def drop_next(
        self,
        *,
        count: int = 1,
        mid_body: bool = False,
        method: str | None = None,
        path: str | None = None,
        after_processing: bool = False,
        delay: float = 0.0,
    ) -> Fault:
        """Cut the connection for the next ``count`` matching requests.

        With ``mid_body=True`` the status line, headers and half the body are sent first.
        """
        fault = drop_fault(
            count=count,
            mid_body=mid_body,
            method=method,
            path=path,
            after_processing=after_processing,
            delay=delay,
        )
        return self._core.faults.add(fault)

    def delay_next(
        self, seconds: float, *, count: int = 1, method: str | None = None, path: str | None = None
    ) -> Fault:
        """Delay the next ``count`` matching responses by ``seconds``."""
        fault = Fault("delay", remaining=count, delay=seconds, method=method, path=path)
        return self._core.faults.add(fault)

    def paging_fault_next(self, kind: PagingFault, *, count: int = 1) -> None:
        """Make the next ``count`` follow-up page requests (those sent with a cursor, to
        the messages route or the conversation list) misbehave like a buggy server.

        Args:
            kind: ``"repeat_cursor"``: answer with the page, but hand back the cursor
                that was sent instead of advancing. ``"empty_page"``: return no
                messages, yet ``hasMore: true`` and a fresh cursor.
                ``"duplicate_boundary"``: start the page with the last message of the
                previous page again.
            count: How many follow-up requests to affect.
        """
        self._world.paging_faults.extend(paging_faults(kind, count))

    def clear_faults(self) -> None:
        """Forget every pending fault (those of `pending_faults`)."""
        self._core.faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """The faults still queued, in order (a copy): ``[]`` once all were served."""
        return self._core.faults.pending()

    @property
    def latency(self) -> float:
        """Seconds added before every response (0 by default); settable."""
        return self._core.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._core.latency = seconds

    def enforce_rate_limit(
        self,
        limit: int = 60,
        per: float = 60.0,
        *,
        burst: int | None = None,
        path: str | None = None,
    ) -> RequestRateLimiter:
        """Refuse requests beyond ``limit`` per ``per``-second window with 429.

        A fixed-window counter (see `RequestRateLimiter`): responses carry
        ``X-RateLimit-Limit``/``-Used``/``-Remaining``/``-Reset`` with their documented
        meanings, and a refusal a whole-second ``Retry-After``.

        Args:
            limit: Requests allowed per window (the API's plans: 60 a minute).
            per: The window in seconds; use e.g. ``1.0`` to compress a minute into a
                second for fast tests.
            burst: At most this many requests back to back (a token bucket refilled
                at ``limit / per`` a second); no such limit by default.
            path: Only count requests whose decoded path starts with this.

        Returns:
            The limiter; its ``allowed`` and ``rejected`` counters show what happened.
        """
        return self._core.limits.enforce(limit, per, burst=burst, path=path)

    def enforce_account_limit(
        self, limit: int = 15, per: float = 60.0, *, action: str = "MESSAGE"
    ) -> AccountLimit:
        """Limit each LinkedIn account's calls of one action separately (design section 8).

        Sends count as ``MESSAGE``. Each account gets its own fixed window of ``limit``
        calls per ``per`` seconds; responses carry ``X-RateLimit-Action`` with that
        window's ``-Limit``/``-Used``/``-Remaining``/``-Reset``, and a refusal is a 429
        saying "Rate limit exceeded for MESSAGE: 15/15 used" with a whole-second
        ``Retry-After``. Other accounts are not affected.

        Args:
            limit: Calls of the action each account may make per window (15 a minute
                for writes, as documented).
            per: The window in seconds (compress it for fast tests).
            action: The action category.

        Returns:
            The limit; ``allowed``, ``rejected`` and ``rejected_by_account`` count.
        """
        return self._core.limits.enforce_account(action, limit, per)

    def hold(
        self, account_id: str | None = None, *, until: datetime, action: str = "MESSAGE"
    ) -> None:
        """Put an account's action on hold until ``until`` (the fake's clock).

        Until then its calls of that action get the documented 429 with ``holdUntil``
        and ``X-RateLimit-Action`` (no ``Retry-After``); its other calls, and other
        accounts, go on.

        Args:
            account_id: The account (the default account when omitted).
            until: When the hold ends (an aware datetime).
            action: The held action category (sends are ``MESSAGE``, connection
                requests ``CONNECT``).
        """
        require_aware(until, "until")
        self._core.limits.hold(self._world.account_for(account_id).account_id, action, until)

    def stop_rate_limit(self) -> None:
        """Stop enforcing the key's and every account's request-rate limits."""
        self._core.limits.stop()

    # -- serving ------------------------------------------------------------------------

    @property
    def app(self) -> FakeConnectSafely:
        """The ASGI application (the fake itself), e.g. for ``httpx.ASGITransport``."""
        return self

    def transport(self) -> InProcessTransport:
        """An httpx transport that calls the fake in-process (with read timeouts)."""
        return InProcessTransport(self)

    def client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` wired to the fake in-process; ``options`` go to the client.

        The base URL is the production one, but no request leaves the process. The
        client reads "now" for holds, quota blocks and the UTC day from the fake's
        `clock`, so moving the fake past midnight moves the client's quota day too.
        """
        if "http_client" not in options:
            options.setdefault("transport", self.transport())
        return wired_client(options, api_key=self.api_key, calendar=self.clock)

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> LoopbackServer:
        """Serve the fake on a real loopback port (needs ``connectsafely[server]``).

        Use as ``with fake.serve() as server:`` or ``async with fake.serve() as server:``;
        ``server.base_url`` is the address and ``server.client()`` a client for it.
        """
        return LoopbackServer(self, host=host, port=port)

    # -- time ---------------------------------------------------------------------------

    @property
    def clock(self) -> FakeClock:
        """The fake's time (`FakeClock`): ``fake.clock()`` is epoch seconds; ``set`` and
        ``advance`` it to simulate time (quota resets, message times, rate windows)."""
        return self._world.clock

    @clock.setter
    def clock(self, clock: FakeClock) -> None:
        self._world.clock = clock

    # -- webhooks -----------------------------------------------------------------------

    def add_webhook(
        self,
        target: str | Callable[[Any, Any, Any], Awaitable[None]],
        secret: str,
        *,
        retry_delays: Iterable[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Register a webhook endpoint: `receive_message` delivers events to it.

        Args:
            target: An ASGI app (e.g. a `WebhookReceiver`), called in-process, or a
                loopback URL (``http://127.0.0.1:<port>/...``) for a real HTTP request.
                Other hosts are refused: the fake never sends anything off the machine.
            secret: The signing secret (``X-Webhook-Signature: sha256=<hex>``).
            retry_delays: Seconds before each retry after a failed attempt: the
                documented ``(10, 20)`` (3 attempts in all); ``(0, 0)`` keeps tests fast.
            timeout: Seconds the endpoint has to answer an attempt (15 as documented).

        Raises:
            ValueError: An empty secret, a negative delay or a non-loopback URL.
        """
        self._webhooks.add(target, secret, retry_delays=retry_delays, timeout=timeout)

    async def receive_message(
        self,
        conversation: FakeConversation | str,
        text: str,
        *,
        sender_name: str | None = None,
        sender_profile_id: str | None = None,
        attachments: Iterable[dict[str, Any]] = (),
    ) -> FakeMessage:
        """A message arrives from the other participant: store it, then deliver webhooks.

        The message is appended to the conversation (``messages()`` shows it, and the
        thread turns unread), then a signed ``message.received`` goes to every endpoint
        of `add_webhook`, with the documented retries. Returns once every endpoint
        answered 2xx or ran out of attempts; `webhook_deliveries` records each attempt.

        Args:
            conversation: The `FakeConversation` (or its URN).
            text: The message text.
            sender_name: Who sent it (the conversation's participant by default).
            sender_profile_id: Their profile: an ``ACoAA...`` id, a URN or a vanity slug
                (made into a stable ``ACoAA...`` id); the participant's by default.
            attachments: Attachment objects as the API would list them.

        Returns:
            The stored message.
        """
        thread = self._world.conversation_arg(conversation)
        message = self._world.receive_message(
            thread,
            text,
            sender_name=sender_name,
            sender_profile_id=sender_profile_id,
            attachments=attachments,
        )
        account = self._world.accounts[thread.account_id]
        await self._webhooks.deliver("message.received", message_event(thread, message, account))
        return message

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook delivery attempt, in order (`WebhookDelivery`: endpoint,
        attempt, status or error, delay, body)."""
        return self._webhooks.deliveries
