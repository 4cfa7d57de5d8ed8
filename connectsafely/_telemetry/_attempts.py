"""Attempts: one CLIENT span and one duration point per HTTP attempt (`TracedSender`).

The semantic conventions of HTTP client spans: named ``{METHOD} {url.template}``, with
``http.request.resend_count`` from the second attempt on, ``error.type`` the status
code of an error response or the class of the exception, ERROR status for either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .._http._sender import Reply, Sender
from . import _names as n
from ._instruments import Instruments

_SUPPRESS_HTTP: str | None
try:  # private in opentelemetry-api; the httpx instrumentation checks it
    from opentelemetry.context import _SUPPRESS_HTTP_INSTRUMENTATION_KEY as _SUPPRESS_HTTP
except ImportError:  # pragma: no cover - an API without the key: nothing to suppress
    _SUPPRESS_HTTP = None

__all__ = ["TracedSender"]

_ERROR = Status(StatusCode.ERROR)


class TracedSender(Sender):
    """A `Sender` for one call that wraps each attempt in a CLIENT span and records it.

    The span is current during the attempt with HTTP instrumentation suppressed, so the
    httpx instrumentation, if the user runs it too, does not add a second span.
    """

    __slots__ = ("_account", "_attributes", "_inner", "_name", "_sent", "_telemetry")

    def __init__(
        self,
        inner: Sender,
        telemetry: Instruments,
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
                1,
                {
                    n.HTTP_METHOD: attributes[n.HTTP_METHOD],
                    n.URL_TEMPLATE: attributes[n.URL_TEMPLATE],
                },
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
