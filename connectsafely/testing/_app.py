"""The fake server's ASGI core: auth, routing, fault injection and recording.

Endpoint behaviour lives in route mixins (one module per group of endpoints); each
handler is a method marked with `route` and gets the recorded request plus the decoded
path parameters. Nothing here knows about individual endpoints.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timezone
from typing import Any, TypeVar

import anyio

from ._clock import FakeClock
from ._faults import Fault, FaultQueue
from ._state import (
    AcceptedSend,
    ConversationKind,
    FakeAccount,
    FakeConversation,
    FakeHTTPError,
    StoredUpload,
    b64_id,
)
from ._wire import ConnectionDropped, ErrorStyle, FakeResponse, RecordedRequest, error_body

__all__ = ["FakeApp", "route"]

Handler = Callable[..., Awaitable[FakeResponse]]
H = TypeVar("H", bound=Handler)

DEFAULT_ACCOUNT_ID = "696ce9e780e0483585e4e553"
DEFAULT_API_KEY = "cs_test_fake_key"


class _Default(enum.Enum):
    """Marks a parameter left at its default (where ``None`` means something else)."""

    token = 0


_DEFAULT = _Default.token


def route(method: str, pattern: str) -> Callable[[H], H]:
    """Mark a fake-server method as the handler of ``method pattern``.

    ``pattern`` segments in braces (``{conversation_urn}``) match one percent-decoded
    path segment and are passed to the handler as keyword arguments.
    """

    def mark(handler: H) -> H:
        handler.__fake_route__ = (method.upper(), pattern)  # type: ignore[attr-defined]
        return handler

    return mark


class _Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, tuple[str, ...], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        segments = tuple(part for part in pattern.strip("/").split("/") if part)
        self._routes.append((method, segments, handler))

    def match(self, request: RecordedRequest) -> tuple[Handler, dict[str, str]]:
        path_matched = False
        for method, segments, handler in self._routes:
            params = _match(segments, request.segments)
            if params is None:
                continue
            path_matched = True
            if method == request.method:
                return handler, params
        if path_matched:
            raise FakeHTTPError(405, f"Method {request.method} not allowed", code="not_allowed")
        raise FakeHTTPError(404, f"Cannot {request.method} {request.path}", code="not_found")


def _match(pattern: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for expected, actual in zip(pattern, segments, strict=True):
        if expected.startswith("{") and expected.endswith("}"):
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params


class FakeApp:
    """ASGI application core of `FakeConnectSafely` (see that class for the public API)."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        error_style: ErrorStyle = "error",
        seed: int | None = None,
        clock: FakeClock | datetime | None = None,
    ) -> None:
        self.api_key = api_key
        self.error_style: ErrorStyle = error_style
        self.latency = 0.0
        self.requests: list[RecordedRequest] = []
        self.faults = FaultQueue(seed=seed)
        self.accounts: dict[str, FakeAccount] = {}
        self.default_account_id = DEFAULT_ACCOUNT_ID
        self.conversations: dict[str, FakeConversation] = {}
        # (account, recipient profile URN) -> {thread kind: conversation URN}
        self._by_recipient: dict[tuple[str, str], dict[str, str]] = {}
        self.sends: list[AcceptedSend] = []
        self.uploads: dict[str, StoredUpload] = {}
        self.clock: FakeClock = clock if isinstance(clock, FakeClock) else FakeClock(clock)
        """The fake's time (`FakeClock`): ``fake.clock()`` is epoch seconds; ``set`` and
        ``advance`` it to simulate time (quota resets, message times, rate windows)."""
        self._router = _Router()
        seen: set[str] = set()
        for cls in type(self).__mro__:
            for name, member in vars(cls).items():
                spec = getattr(member, "__fake_route__", None)
                if spec is not None and name not in seen:
                    seen.add(name)
                    self._router.add(spec[0], spec[1], getattr(self, name))
        self.add_account(DEFAULT_ACCOUNT_ID, name="Alex Rivera", default=True)

    # -- accounts -----------------------------------------------------------------

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
        account_id = account_id or secrets.token_hex(12)
        profile_id = "ACoAA" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")[:31]
        account = FakeAccount(
            account_id=account_id,
            name=name,
            profile_id=profile_id,
            sales_navigator=sales_navigator,
            daily_quota=daily_quota,
        )
        self.accounts[account_id] = account
        if default:
            self.default_account_id = account_id
        return account

    @property
    def default_account(self) -> FakeAccount:
        """The account used when a request names none."""
        return self.accounts[self.default_account_id]

    def account_for(self, account_id: object) -> FakeAccount:
        """Resolve a request's ``accountId`` (default when missing), 404 when unknown."""
        if account_id is None or account_id == "":
            return self.default_account
        if not isinstance(account_id, str) or account_id not in self.accounts:
            raise FakeHTTPError(404, "Account not found", code="account_not_found")
        return self.accounts[account_id]

    def now_ms(self) -> int:
        """The fake's current time in epoch milliseconds."""
        return int(self.clock() * 1000)

    # -- conversations ------------------------------------------------------------------

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
        account = self.account_for(account_id)
        serial = len(self.conversations) + 1
        thread = b64_id(account.account_id, recipient_profile_id, kind, serial)
        if urn is None:
            if kind == "sales_navigator":
                urn = f"urn:li:salesNav_thread:{thread}"
            else:
                urn = f"urn:li:msg_conversation:(urn:li:fsd_profile:{account.profile_id},{thread})"
        profile_urn = profile_urn_for(recipient_profile_id)
        participant = {
            "profileId": profile_urn.rsplit(":", 1)[1],
            "name": recipient_name or display_name(recipient_profile_id),
            "headline": headline,
            "profilePicture": f"https://media.licdn.com/dms/image/{recipient_profile_id}",
        }
        conversation = FakeConversation(
            urn=urn,
            account_id=account.account_id,
            kind=kind,
            participants=[participant],
            note=note,
            thread_id=thread if kind == "sales_navigator" else None,
            recipient_profile_id=recipient_profile_id,
            recipient_profile_urn=profile_urn,
        )
        return self.register_conversation(conversation)

    def register_conversation(self, conversation: FakeConversation) -> FakeConversation:
        """Store a conversation (and index it by recipient, for `find_conversation`)."""
        self.conversations[conversation.urn] = conversation
        if conversation.recipient_profile_urn is not None:
            key = (conversation.account_id, conversation.recipient_profile_urn)
            self._by_recipient.setdefault(key, {}).setdefault(conversation.kind, conversation.urn)
        return conversation

    def find_conversation(
        self, account_id: str, profile_urn: str, kind: ConversationKind
    ) -> FakeConversation | None:
        """The account's existing conversation of ``kind`` with a recipient, if any.

        A dictionary lookup, so a fake holding thousands of threads (load tests, bulk
        benchmarks) answers each cold send in constant time.
        """
        urn = self._by_recipient.get((account_id, profile_urn), {}).get(kind)
        return None if urn is None else self.conversations.get(urn)

    def _thread_with(
        self, account_id: str, profile_urn: str, preferred: ConversationKind
    ) -> FakeConversation | None:
        """Any existing thread of the account with a recipient, ``preferred`` kind first.

        The quota counts *people* the account has never talked to, whatever the
        channel: a standard thread makes a Sales Navigator send a reply, and vice versa.
        """
        threads = self._by_recipient.get((account_id, profile_urn), {})
        for kind in (preferred, *sorted(set(threads) - {preferred})):
            urn = threads.get(kind)
            if urn is not None and urn in self.conversations:
                return self.conversations[urn]
        return None

    # -- fault injection --------------------------------------------------------------

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
        then the response is replaced: the "did it go through?" case.
        """
        if body is None:
            body = error_body(self.error_style, f"Injected failure ({status})", code="injected")
        response = FakeResponse(status, body, dict(headers or {}))
        return self.faults.add(
            Fault(
                "status",
                remaining=count,
                response=response,
                method=method,
                path=path,
                after_processing=after_processing,
                delay=delay,
                rate=rate,
            )
        )

    def rate_limit_next(
        self,
        *,
        retry_after: float | str | _Default | None = _DEFAULT,
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
        all_headers: dict[str, str] = {}
        if action is not None:
            all_headers["X-RateLimit-Action"] = action
        if limit is not None:
            all_headers["X-RateLimit-Limit"] = str(limit)
            all_headers["X-RateLimit-Used"] = str(limit)
            all_headers["X-RateLimit-Remaining"] = "0"
        text = "Rate limit exceeded" if action is None else f"Rate limit exceeded for {action}"
        if limit is not None:
            text += f": {limit}/{limit} used"
        if hold_until is None:
            if retry_after is _DEFAULT:
                retry_after = 1
            body: Any = error_body(self.error_style, text, code="rate_limited")
        else:
            if hold_until.tzinfo is None or hold_until.utcoffset() is None:
                raise ValueError("hold_until must be an aware datetime")
            until = iso_utc(hold_until)
            all_headers["X-RateLimit-Reset"] = until
            # The cookbook's 429 for an account on hold: this shape whatever error_style.
            body = {"success": False, "error": f"{text}. Resets at {until}", "holdUntil": until}
        if retry_after is not None and retry_after is not _DEFAULT:
            all_headers["Retry-After"] = str(retry_after)
        all_headers.update(headers or {})
        return self.fail_next(
            429, count=count, body=body, headers=all_headers, method=method, path=path
        )

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
        return self.faults.add(
            Fault(
                "truncate" if mid_body else "drop",
                remaining=count,
                method=method,
                path=path,
                after_processing=after_processing or mid_body,
                delay=delay,
            )
        )

    def delay_next(
        self, seconds: float, *, count: int = 1, method: str | None = None, path: str | None = None
    ) -> Fault:
        """Delay the next ``count`` matching responses by ``seconds``."""
        return self.faults.add(
            Fault("delay", remaining=count, delay=seconds, method=method, path=path)
        )

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        self.faults.clear()

    def _admit(self, request: RecordedRequest) -> tuple[FakeResponse | None, dict[str, str]]:
        """Rate-limit an authenticated request before it is handled.

        Returns a refusal (or None to go on) and the ``X-RateLimit-*`` headers the
        response should carry. The hook for ``enforce_rate_limit`` (in `_ratelimit`).
        """
        return None, {}

    # -- inspection ---------------------------------------------------------------------

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose decoded path starts with ``path_prefix``."""
        return [
            r
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
        ]

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        request = RecordedRequest.from_scope(scope, body)
        self.requests.append(request)
        # The API checks the key first: a wrong key never learns about rate limits or
        # outages, and its requests neither count against a limit nor use up a fault.
        if not self._authenticated(request):
            denied = error_body(
                self.error_style, "Unauthorized - Invalid credentials", code="unauthorized"
            )
            await self._respond(send, FakeResponse(401, denied))
            return
        refusal, limit_headers = self._admit(request)
        if refusal is not None:
            await _send(send, refusal)
            return

        fault = self.faults.take(request, after=False)
        if fault is not None:
            response = await self._apply_fault(fault)
            if response is not None:
                await _send(send, response)
                return
        response = await self._handle(request)
        if limit_headers and not any(
            h.lower().startswith("x-ratelimit-") for h in response.headers
        ):
            # A route's own limit headers (the new-conversation quota, which names its
            # X-RateLimit-Action) describe the narrower limit the call counted against.
            response = FakeResponse(
                response.status, response.body, {**response.headers, **limit_headers}
            )
        fault = self.faults.take(request, after=True)
        if fault is not None:
            if fault.kind == "truncate":
                await _send_truncated(send, response)
                raise ConnectionDropped("Injected: connection cut mid-body")
            replacement = await self._apply_fault(fault)
            if replacement is not None:
                response = replacement
        await self._respond(send, response)

    async def _respond(
        self, send: Callable[[dict[str, Any]], Awaitable[None]], response: FakeResponse
    ) -> None:
        if self.latency:
            await anyio.sleep(self.latency)
        await _send(send, response)

    async def _apply_fault(self, fault: Fault) -> FakeResponse | None:
        if fault.delay:
            await anyio.sleep(fault.delay)
        if fault.kind in ("drop", "truncate"):
            raise ConnectionDropped("Injected: server closed the connection")
        if fault.kind == "status":
            return fault.response
        return None  # delay only: carry on normally

    async def _handle(self, request: RecordedRequest) -> FakeResponse:
        try:
            handler, params = self._router.match(request)
            return await handler(request, **params)
        except FakeHTTPError as exc:
            body = error_body(self.error_style, exc.message, code=exc.code, field=exc.field)
            return FakeResponse(exc.status, body, exc.headers)

    def _authenticated(self, request: RecordedRequest) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(
            token.encode(), self.api_key.encode()
        )


async def _read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Callable[[dict[str, Any]], Awaitable[None]], response: FakeResponse) -> None:
    payload, headers = response.encode()
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _send_truncated(
    send: Callable[[dict[str, Any]], Awaitable[None]], response: FakeResponse
) -> None:
    payload, headers = response.encode()
    if len(payload) < 2:  # make sure there is a body to cut
        payload = b'{"success": true, "padding": "' + b"x" * 64 + b'"}'
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send(
        {"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True}
    )


async def _lifespan(
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def profile_urn_for(profile: str) -> str:
    """A stable ``urn:li:fsd_profile:ACoAA...`` for a vanity slug (or a URN unchanged)."""
    if profile.startswith("urn:li:"):
        return profile
    return "urn:li:fsd_profile:ACoAA" + b64_id("profile", profile)[2:26].replace("/", "x").replace(
        "+", "y"
    )


def iso_utc(moment: datetime) -> str:
    """``2026-03-03T00:00:00.000Z``: the ISO form the fake's headers and bodies use."""
    utc = moment.astimezone(timezone.utc)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def display_name(slug: str) -> str:
    """``john-doe-123`` -> ``John Doe``."""
    words = [w for w in slug.replace("_", "-").split("-") if w and not w.isdigit()]
    return " ".join(w.capitalize() for w in words) or slug


def iter_routes(app: FakeApp) -> Iterator[tuple[str, str]]:
    """(method, pattern) of every route, for documentation and debugging."""
    for method, segments, _ in app._router._routes:
        yield method, "/" + "/".join(segments)
