"""OpenTelemetry is opt-in: without it nothing of it is imported, and with only the API
(no SDK configured) the client finds telemetry off once and stays off.

Each case runs in a fresh interpreter, where the global providers can be set freely.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

A_RUN = """
import anyio, sys
from connectsafely.testing import FakeConnectSafely
from connectsafely.webhooks import WebhookReceiver, sign

async def handler(event):
    pass

async def run():
    fake = FakeConnectSafely()
    urn = fake.add_conversation(recipient_profile_id="jane-doe").urn
    receiver = WebhookReceiver("whsec_x", handler)
    fake.add_webhook(receiver, "whsec_x", retry_delays=(0, 0))
    async with fake.client() as client:
        await client.conversations.send("Hi", conversation_urn=urn, idempotency_key="k")
        [m async for m in client.conversations.messages(urn)]
        await fake.receive_message(urn, "Hello back")
        return client._core.pool.telemetry

telemetry = anyio.run(run)
loaded = sorted(m for m, v in sys.modules.items() if m.startswith("opentelemetry") and v)
"""


def run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_without_opentelemetry_nothing_of_it_is_imported() -> None:
    blocked = "import sys\nsys.modules['opentelemetry'] = None  # as if not installed\n"
    out = run(blocked + A_RUN + "print(loaded, telemetry)")
    assert out == "[] None"


def test_installed_but_never_imported_stays_unimported() -> None:
    out = run(A_RUN + "print(loaded, telemetry)")
    assert out == "[] None"


def test_the_api_without_an_sdk_is_off_after_the_first_call() -> None:
    out = run("import opentelemetry.trace, opentelemetry.metrics\n" + A_RUN + "print(telemetry)")
    assert out == "None"


def test_global_providers_set_after_the_client_was_made_are_used() -> None:
    code = """
    import anyio
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from connectsafely.testing import FakeConnectSafely

    async def main():
        fake = FakeConnectSafely()
        client = fake.client()  # before the providers exist
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        async with client:
            await client.conversations.exists("jane-doe")
        print(sorted(s.name for s in exporter.get_finished_spans()))

    anyio.run(main)
    """
    out = run(code)
    assert out == (
        "['GET /linkedin/conversations/exists/{profileId}', 'connectsafely conversations.exists']"
    )
