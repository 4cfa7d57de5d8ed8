"""The tracer and the metric instruments (design §16) a client's telemetry records with."""

from __future__ import annotations

from opentelemetry import metrics, trace

from . import _names as n

__all__ = ["SCOPE", "Instruments"]

SCOPE = "connectsafely"
"""The instrumentation scope of every span and metric of the SDK."""


class Instruments:
    """A tracer and the SDK's metric instruments; the missing one is the API's no-op."""

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
        meter = meter if meter is not None else metrics.NoOpMeter(SCOPE)
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
