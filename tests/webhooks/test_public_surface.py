"""The public surface of `connectsafely.webhooks`, guarded like the SDK's own."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from connectsafely import ConnectSafelyError, webhooks

WEBHOOKS_EXPORTS = {
    "WebhookReceiver",
    "parse_event",
    "verify_signature",
    "sign",
    "SIGNATURE_HEADER",
    "WebhookVerificationError",
    "WebhookEvent",
    "MessageReceived",
    "UnknownWebhookEvent",
    "WebhookSender",
}


def test_connectsafely_webhooks_exports_exactly_the_documented_names() -> None:
    assert set(webhooks.__all__) == WEBHOOKS_EXPORTS
    assert len(webhooks.__all__) == len(WEBHOOKS_EXPORTS)


@pytest.mark.parametrize("name", sorted(WEBHOOKS_EXPORTS - {"SIGNATURE_HEADER", "WebhookEvent"}))
def test_every_export_resolves_and_is_documented(name: str) -> None:
    value = getattr(webhooks, name)
    assert inspect.getdoc(value), f"{name} has no docstring"
    assert value.__module__.startswith("connectsafely.webhooks")


def test_the_constants_and_the_union() -> None:
    assert webhooks.SIGNATURE_HEADER == "X-Webhook-Signature"
    assert set(webhooks.WebhookEvent.__args__) == {  # type: ignore[attr-defined]
        webhooks.MessageReceived,
        webhooks.UnknownWebhookEvent,
    }
    assert issubclass(webhooks.WebhookVerificationError, ConnectSafelyError)


def test_importable_and_usable_with_core_dependencies_only() -> None:
    # No web framework, server or Redis client: a plain install serves webhooks.
    script = (
        "import sys\n"
        "for name in ('uvicorn', 'starlette', 'fastapi', 'redis', 'aiohttp', 'trio'):\n"
        "    sys.modules[name] = None\n"
        "import anyio\n"
        "from connectsafely.webhooks import WebhookReceiver, parse_event, sign\n"
        "async def handler(event): print(event.event)\n"
        "app = WebhookReceiver(secret='s', handler=handler)\n"
        'body = b\'{"event": "x.y", "data": {}}\'\n'
        "print(parse_event(body, {'X-Webhook-Signature': sign(body, 's')}, 's').event)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "x.y\n"
