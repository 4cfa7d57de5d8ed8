"""Telemetry: OpenTelemetry spans and metrics, opt-in, secret-free, near-zero cost (§16).

Where it plugs in (everything else in the SDK is unaware of it):

- `trace_methods` (from `resources._base.Resource`): every public method of every
  namespace runs as an *operation*, ``connectsafely {namespace}.{method}``;
- `traced_sender` (from `_http._core`, the seam, once the pool's telemetry is not
  ``None``): each HTTP attempt of a call becomes a CLIENT span and a point of
  ``http.client.request.duration``;
- the hooks of `_hooks` (from `_limits`, `_sending`, `_bulk`, `_pagination`, `_media`):
  limits waits, holds, the ledger's outcome, batches, pages and downloads;
- ``Telemetry.webhook_event`` (from `webhooks._receiver`).

A client holds ``telemetry``: ``None`` when off, so the hot path tests one attribute.
With the global providers it starts as a `Pending` placeholder that looks at them on
the client's first call and is replaced by what it found; until a program imported
OpenTelemetry (to configure it) nothing of it is imported here either. Only `_otel`,
`_instruments`, `_operations` and `_attempts` import OpenTelemetry, and only they are
loaded once a provider records.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, TypeAlias

from ._calls import trace_methods
from ._hooks import CURRENT, Batch, Operation, OperationSpec, held, limits_wait, through_ledger
from ._names import call_account

if TYPE_CHECKING:
    from .._http._sender import Sender

if TYPE_CHECKING:
    from .._config import ClientConfig
    from ._otel import Telemetry

__all__ = [
    "CURRENT",
    "Batch",
    "Operation",
    "OperationSpec",
    "Pending",
    "TelemetrySlot",
    "for_client",
    "for_receiver",
    "held",
    "limits_wait",
    "through_ledger",
    "trace_methods",
    "traced_sender",
]

_IN_USE = ("opentelemetry.trace", "opentelemetry.metrics")
_PROVIDER_ENV = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER")


class Pending:
    """Stands for "the global providers", until the first call looks at them."""

    __slots__ = ("_traces",)

    def __init__(self, *, traces: bool) -> None:
        self._traces = traces

    def ready(self) -> Telemetry | None:
        """The telemetry of the global providers now, or ``None`` if neither records.

        OpenTelemetry is imported only if the program already did (a provider can only
        be set by importing it) or names a provider in the environment.
        """
        if not any(name in sys.modules for name in _IN_USE) and not any(
            name in os.environ for name in _PROVIDER_ENV
        ):
            return None
        try:
            from ._otel import from_globals
        except ImportError:  # pragma: no cover - a broken or blocked installation
            return None
        return from_globals(traces=self._traces)


TelemetrySlot: TypeAlias = "Telemetry | Pending | None"
"""What a client or receiver holds: on, not yet looked at, or off."""

_GLOBAL = Pending(traces=True)
_GLOBAL_METRICS = Pending(traces=False)


def for_client(tracer_provider: object, meter_provider: object) -> TelemetrySlot:
    """``AsyncClient(tracer_provider=..., meter_provider=...)``: a provider given is
    checked and used now; with neither, the global ones are looked at on the first call.

    Raises:
        TypeError: A provider that is not an OpenTelemetry provider.
    """
    if tracer_provider is None and meter_provider is None:
        return _GLOBAL
    try:
        from ._otel import from_providers
    except ImportError:
        raise TypeError(
            'tracer_provider/meter_provider need OpenTelemetry: pip install "connectsafely[otel]".'
        ) from None
    return from_providers(tracer_provider, meter_provider)


def for_receiver(meter_provider: object) -> TelemetrySlot:
    """``WebhookReceiver(meter_provider=...)``: metrics only, as `for_client` does."""
    if meter_provider is None:
        return _GLOBAL_METRICS
    try:
        from ._otel import from_providers
    except ImportError:
        raise TypeError(
            'meter_provider needs OpenTelemetry: pip install "connectsafely[otel]".'
        ) from None
    return from_providers(None, meter_provider, traces=False)


class _Pool(Protocol):
    """What `traced_sender` uses of `_http.ConnectionPool` (a protocol: no import cycle)."""

    telemetry: TelemetrySlot

    def sender(self) -> Sender: ...


def traced_sender(
    pool: _Pool,
    config: ClientConfig,
    method: str,
    path: str,
    *,
    account: str | None,
    params: Mapping[str, str] | None,
    json_body: object,
) -> Sender:
    """The pipeline's seam (`HttpCore._sender`, once the pool's telemetry is not off):
    the pool's sender, wrapped to trace each attempt if telemetry turns out to be on."""
    sender = pool.sender()
    assert pool.telemetry is not None
    telemetry = pool.telemetry = pool.telemetry.ready()
    if telemetry is None:
        return sender
    account = call_account(account, params, json_body, config.account_id)
    return telemetry.sender(sender, method, path, config.base_url, account)
