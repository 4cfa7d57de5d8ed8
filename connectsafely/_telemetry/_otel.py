"""The OpenTelemetry side: spans and metrics of a client (the only module importing it).

Imported only once a client (or webhook receiver) found a recording provider, so
``import connectsafely`` and every call without OpenTelemetry configured never load it.

::

    connectsafely conversations.send          INTERNAL  `Operation` (one per SDK call)
    ├─ connectsafely limits.wait              INTERNAL  only when the limits made it wait
    ├─ POST /linkedin/conversations/send      CLIENT    `_Attempt` (one per HTTP attempt)
    └─ POST /linkedin/conversations/send      CLIENT    http.request.resend_count=1

A `send_many` batch is one span (`_Batch`); each item is an operation of its own,
linked to it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from .._http._sender import Reply, Sender
from .._version import __version__
from . import _names as n
from ._hooks import CURRENT

_SUPPRESS_HTTP: str | None
try:  # private in opentelemetry-api; the httpx instrumentation checks it
    from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY as _SUPPRESS_HTTP
except ImportError:  # pragma: no cover - an API without the key: nothing to suppress
    _SUPPRESS_HTTP = None

__all__ = ["Telemetry", "from_globals", "from_providers"]

T = TypeVar("T")

_SCOPE = "connectsafely"
_ERROR = Status(StatusCode.ERROR)


def _tracer(provider: object, argument: str) -> trace.Tracer | None:
    if provider is None:
        return None
    if not isinstance(provider, trace.TracerProvider):
        raise TypeError(
            f"{argument} must be an opentelemetry.trace.TracerProvider, "
            f"not {type(provider).__name__}."
        )
    if isinstance(provider, trace.NoOpTracerProvider):
        return None
    return provider.get_tracer(_SCOPE, __version__)


def _meter(provider: object, argument: str) -> metrics.Meter | None:
    if provider is None:
        return None
    if not isinstance(provider, metrics.MeterProvider):
        raise TypeError(
            f"{argument} must be an opentelemetry.metrics.MeterProvider, "
            f"not {type(provider).__name__}."
        )
    if isinstance(provider, metrics.NoOpMeterProvider):
        return None
    return provider.get_meter(_SCOPE, __version__)


def _global_tracer_provider() -> trace.TracerProvider | None:
    provider = trace.get_tracer_provider()
    return None if isinstance(provider, trace.ProxyTracerProvider) else provider


def _global_meter_provider() -> metrics.MeterProvider | None:
    provider = metrics.get_meter_provider()
    # Until one is set the API hands out a proxy (a private class): treat it as unset.
    return None if type(provider).__name__ == "_ProxyMeterProvider" else provider


def from_providers(
    tracer_provider: object, meter_provider: object, *, traces: bool = True
) -> Telemetry | None:
    """Telemetry for explicit providers; a ``None`` one is the global provider."""
    tracer = None
    if traces:
        tracer = _tracer(
            _global_tracer_provider() if tracer_provider is None else tracer_provider,
            "tracer_provider",
        )
    meter = _meter(
        _global_meter_provider() if meter_provider is None else meter_provider, "meter_provider"
    )
    return None if tracer is None and meter is None else Telemetry(tracer, meter)


def from_globals(*, traces: bool = True) -> Telemetry | None:
    """Telemetry for the global providers, or ``None`` while neither is set."""
    return from_providers(None, None, traces=traces)


class Telemetry:
    """The tracer and instruments of one client (shared by its ``with_options`` copies).

    Made only when a tracer or a meter records; the missing one is the API's no-op.
    """

    __slots__ = (
        "duration",
        "holds",
        "rate_limited",
        "replays",
        "retries",
        "tracer",
        "webhook_events",
    )

    def __init__(self, tracer: trace.Tracer | None, meter: metrics.Meter | None) -> None:
        self.tracer = tracer if tracer is not None else trace.NoOpTracer()
        meter = meter if meter is not None else metrics.NoOpMeter(_SCOPE)
        try:
            self.duration = meter.create_histogram(
                n.DURATION,
                unit="s",
                description="Duration of HTTP client requests (one per attempt).",
                explicit_bucket_boundaries_advisory=list(n.DURATION_BUCKETS),
            )
        except TypeError:  # pragma: no cover - opentelemetry-api before 1.23
            self.duration = meter.create_histogram(
                n.DURATION, unit="s", description="Duration of HTTP client requests."
            )
        self.retries = meter.create_counter(
            n.RETRIES, unit="{attempt}", description="Attempts that repeated a failed one."
        )
        self.rate_limited = meter.create_counter(
            n.RATE_LIMITED, unit="{response}", description="429 responses."
        )
        self.holds = meter.create_counter(
            n.HOLDS, unit="{hold}", description="Holds the server put on an account's action."
        )
        self.replays = meter.create_counter(
            n.LEDGER_REPLAYS,
            unit="{send}",
            description="Sends the ledger answered from an earlier delivery of their key.",
        )
        self.webhook_events = meter.create_counter(
            n.WEBHOOK_EVENTS, unit="{event}", description="Webhook deliveries, by outcome."
        )

    def ready(self) -> Telemetry:
        """Itself (a pending placeholder resolves here instead)."""
        return self

    def spec(self, name: str, hints: Mapping[str, str], account: str | None = None) -> Spec:
        """How to start operations named ``connectsafely {name}`` (for ``account``, when
        the call names one)."""
        return Spec(self, name, hints, account)

    def sender(
        self, inner: Sender, method: str, path: str, base_url: httpx.URL, account: str | None
    ) -> Sender:
        """``inner``, with a CLIENT span and the metrics around each attempt it sends."""
        operation = CURRENT.get()
        hints: Mapping[str, str] = {}
        if isinstance(operation, Operation):
            hints = operation.hints
            if account is not None:
                operation.set_account(account)
        template = n.url_template(path, hints)
        port = base_url.port or (443 if base_url.scheme == "https" else 80)
        attributes: dict[str, str | int] = {
            n.HTTP_METHOD: method,
            n.SERVER_ADDRESS: base_url.host,
            n.SERVER_PORT: port,
            n.URL_TEMPLATE: template,
        }
        return TracedSender(inner, self, f"{method} {template}", attributes, account)

    def webhook_event(self, outcome: str) -> None:
        """Count one webhook delivery by its outcome."""
        self.webhook_events.add(1, {n.OUTCOME: outcome})


class Spec:
    """An operation's name and path hints, to start it now or later (see `OperationSpec`)."""

    __slots__ = ("account", "hints", "name", "telemetry")

    def __init__(
        self, telemetry: Telemetry, name: str, hints: Mapping[str, str], account: str | None
    ) -> None:
        self.telemetry = telemetry
        self.name = name
        self.hints = hints
        self.account = account

    def start(self, links: list[Link] | None = None, name: str | None = None) -> Operation:
        """Start the span (a child of the current span); not yet entered."""
        span = self.telemetry.tracer.start_span(
            n.PREFIX + (name or self.name), kind=SpanKind.INTERNAL, links=links
        )
        operation = Operation(self.telemetry, span, name or self.name, self.hints)
        if self.account is not None:
            operation.set_account(self.account)
        return operation

    async def run(self, call: Awaitable[T]) -> T:
        """Await ``call`` as one operation: entered, ended with its outcome."""
        operation = self.start()
        operation.enter()
        try:
            result = await call
        except BaseException as error:
            operation.leave()
            operation.end(error)
            raise
        operation.leave()
        operation.end(None)
        return result

    def batch(self) -> _Batch:
        """Start a `send_many` batch span."""
        return _Batch(self)


class Operation:
    """One SDK call: its INTERNAL span, its path hints, what it learned on the way."""

    __slots__ = ("_account", "_tokens", "hints", "name", "span", "telemetry")

    def __init__(
        self, telemetry: Telemetry, span: Span, name: str, hints: Mapping[str, str]
    ) -> None:
        self.telemetry = telemetry
        self.span = span
        self.name = name
        self.hints = hints
        self._account: str | None = None
        self._tokens: list[tuple[object, Any]] = []

    def enter(self) -> None:
        """Make this the current operation, and its span the current span."""
        token = otel_context.attach(trace.set_span_in_context(self.span))
        self._tokens.append((token, CURRENT.set(self)))

    def leave(self) -> None:
        """Undo the last `enter`."""
        token, current = self._tokens.pop()
        CURRENT.reset(current)
        otel_context.detach(token)  # type: ignore[arg-type]

    def end(self, error: BaseException | None) -> None:
        """End the span; a failed call is ERROR with ``error.type`` (no message: it may
        name what the caller passed)."""
        if error is not None:
            self.span.set_attribute(n.ERROR_TYPE, n.error_type(error))
            self.span.set_status(_ERROR)
        self.span.end()

    def set_account(self, account: str) -> None:
        """The LinkedIn account the call acts for (the first one its requests name)."""
        if self._account is None:
            self._account = account
            self.span.set_attribute(n.ACCOUNT_ID, account)

    def ledger_outcome(self, outcome: str) -> None:
        """How the ledger settled the send (see `_hooks.through_ledger`)."""
        self.span.set_attribute(n.LEDGER_OUTCOME, outcome)
        if outcome == "replayed":
            self.telemetry.replays.add(1, {n.OPERATION: self.name})

    @contextmanager
    def limits_wait(self, account: str | None, action: str | None, reason: str) -> Iterator[None]:
        """A ``connectsafely limits.wait`` span around the wait."""
        attributes = {n.LIMITS_REASON: reason}
        if account is not None:
            attributes[n.ACCOUNT_ID] = account
        if action is not None:
            attributes[n.LIMITS_ACTION] = action
        with self.telemetry.tracer.start_as_current_span(
            n.LIMITS_WAIT, kind=SpanKind.INTERNAL, attributes=attributes
        ):
            yield

    def held(self, account: str | None, action: str | None) -> None:
        """Count a hold on ``account``'s ``action``."""
        attributes = {}
        if account is not None:
            attributes[n.ACCOUNT_ID] = account
        if action is not None:
            attributes[n.LIMITS_ACTION] = action
        self.telemetry.holds.add(1, attributes)


class _Batch:
    """A `send_many` batch: one span; every item an operation of its own, linked to it.

    Items are not children of the batch span: they keep the caller's parent (a trace of
    their own when there is none), so a batch of thousands is not one huge trace, and
    the link ties each back to its batch.
    """

    __slots__ = ("_item_name", "_link", "_spec", "span")

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self.span = spec.telemetry.tracer.start_span(
            n.PREFIX + spec.name, kind=SpanKind.INTERNAL
        )
        self._link = [Link(self.span.get_span_context())]
        # `conversations.send_many` -> `conversations.send`: what each item is.
        self._item_name = spec.name.removesuffix("_many")

    async def item(self, send: Awaitable[T]) -> T:
        """Run one item's send as an operation linked to the batch."""
        operation = self._spec.start(links=self._link, name=self._item_name)
        operation.enter()
        try:
            result = await send
        except BaseException as error:
            operation.leave()
            operation.end(error)
            raise
        operation.leave()
        operation.end(None)
        return result

    def end(self, error: BaseException | None, done: int, failed: int) -> None:
        """End the batch span with its counts (ERROR only if the batch itself failed)."""
        self.span.set_attribute(n.BULK_DONE, done)
        self.span.set_attribute(n.BULK_FAILED, failed)
        if error is not None:
            self.span.set_attribute(n.ERROR_TYPE, n.error_type(error))
            self.span.set_status(_ERROR)
        self.span.end()


class TracedSender(Sender):
    """A `Sender` for one call that wraps each attempt in a CLIENT span and records it.

    The span is current during the attempt with HTTP instrumentation suppressed, so the
    httpx instrumentation, if the user runs it too, does not add a second span.
    """

    __slots__ = ("_account", "_attributes", "_inner", "_name", "_sent", "_telemetry")

    def __init__(
        self,
        inner: Sender,
        telemetry: Telemetry,
        name: str,
        attributes: dict[str, str | int],
        account: str | None,
    ) -> None:
        super().__init__(inner.client)
        self._inner = inner
        self._telemetry = telemetry
        self._name = name
        self._attributes = attributes
        self._account = account
        self._sent = 0

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: bytes | httpx.AsyncByteStream | None,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
    ) -> Reply:
        """The inner sender's ``send``, as one traced attempt."""
        attempt = self._start()
        try:
            reply = await self._inner.send(
                method, url, params=params, body=body, headers=headers, timeout=timeout
            )
        except BaseException as error:
            attempt.failed(error)
            raise
        attempt.answered(reply.status_code)
        return reply

    async def open(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """The inner sender's ``open`` (a stream), traced up to the response headers."""
        attempt = self._start()
        try:
            response = await self._inner.open(
                method, url, params=params, body=body, headers=headers, timeout=timeout
            )
        except BaseException as error:
            attempt.failed(error)
            raise
        attempt.answered(response.status_code)
        return response

    def _start(self) -> _Attempt:
        resend, self._sent = self._sent, self._sent + 1
        attributes = self._attributes
        if resend:
            attributes = {**attributes, n.RESEND_COUNT: resend}
            self._telemetry.retries.add(
                1, {n.HTTP_METHOD: attributes[n.HTTP_METHOD], n.URL_TEMPLATE: attributes[n.URL_TEMPLATE]}
            )
        return _Attempt(self, attributes)


class _Attempt:
    """One attempt's span, its context token and its clock."""

    __slots__ = ("_attributes", "_sender", "_span", "_started", "_token")

    def __init__(self, sender: TracedSender, attributes: dict[str, str | int]) -> None:
        self._sender = sender
        self._attributes = attributes
        span = sender._telemetry.tracer.start_span(
            sender._name, kind=SpanKind.CLIENT, attributes=attributes
        )
        context = trace.set_span_in_context(span)
        if _SUPPRESS_HTTP is not None:
            context = otel_context.set_value(_SUPPRESS_HTTP, True, context)
        self._span = span
        self._token = otel_context.attach(context)
        self._started = time.perf_counter()

    def answered(self, status: int) -> None:
        """A response arrived: its status on the span and the metrics."""
        elapsed = time.perf_counter() - self._started
        otel_context.detach(self._token)
        span = self._span
        span.set_attribute(n.HTTP_STATUS, status)
        measured: dict[str, str | int] = {
            **_metric_attributes(self._attributes),
            n.HTTP_STATUS: status,
        }
        if status >= 400:
            span.set_attribute(n.ERROR_TYPE, str(status))
            span.set_status(_ERROR)
            measured[n.ERROR_TYPE] = str(status)
        span.end()
        telemetry = self._sender._telemetry
        telemetry.duration.record(elapsed, measured)
        if status == 429:
            limited = {n.URL_TEMPLATE: self._attributes[n.URL_TEMPLATE]}
            if self._sender._account is not None:
                limited[n.ACCOUNT_ID] = self._sender._account
            telemetry.rate_limited.add(1, limited)

    def failed(self, error: BaseException) -> None:
        """No response: the exception's class as ``error.type``."""
        elapsed = time.perf_counter() - self._started
        otel_context.detach(self._token)
        kind = n.error_type(error)
        self._span.set_attribute(n.ERROR_TYPE, kind)
        self._span.set_status(_ERROR)
        self._span.end()
        measured = {**_metric_attributes(self._attributes), n.ERROR_TYPE: kind}
        self._sender._telemetry.duration.record(elapsed, measured)


def _metric_attributes(attributes: Mapping[str, str | int]) -> dict[str, str | int]:
    """The span's attributes a metric point carries (not the per-attempt resend count)."""
    return {key: value for key, value in attributes.items() if key != n.RESEND_COUNT}
