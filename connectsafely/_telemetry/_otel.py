"""The OpenTelemetry side of a client: which providers record, and its `Telemetry`.

Imported (with `_instruments`, `_operations` and `_attempts`, the only modules that
import OpenTelemetry) once a client or webhook receiver was given a provider, or found
a recording global one, so ``import connectsafely`` and every call without
OpenTelemetry configured never load it.

::

    connectsafely conversations.send          INTERNAL  an `Operation` (one per SDK call)
    ├─ connectsafely limits.wait              INTERNAL  only when the limits made it wait
    ├─ POST /linkedin/conversations/send      CLIENT    one per HTTP attempt (`_attempts`)
    └─ POST /linkedin/conversations/send      CLIENT    http.request.resend_count=1

A `send_many` batch is one span; each item is an operation of its own, linked to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from opentelemetry import metrics, trace

from .._http._sender import Sender
from .._version import __version__
from . import _names as n
from ._attempts import TracedSender
from ._hooks import CURRENT
from ._instruments import SCOPE, Instruments
from ._operations import Operation, Spec

__all__ = ["Telemetry", "from_globals", "from_providers"]


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
    return provider.get_tracer(SCOPE, __version__)


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
    return provider.get_meter(SCOPE, __version__)


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


class Telemetry(Instruments):
    """The telemetry of one client (shared by its ``with_options`` copies), made only
    when a tracer or a meter records."""

    __slots__ = ()

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
