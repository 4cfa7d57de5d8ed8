"""Receive ConnectSafely webhooks: verified, parsed, and handled once per event.

ConnectSafely POSTs a signed ``message.received`` event to your endpoint when a LinkedIn
message arrives on a connected account. This package checks the signature, decodes the
event and hands it to your code:

- `WebhookReceiver`: an ASGI app (run it with uvicorn, mount it in FastAPI or
  Starlette) that answers every delivery with the right status and calls your handler
  once per event, remembering handled events in a `connectsafely.stores` store;
- `parse_event` / `verify_signature`: the same checks for your own web framework;
- `sign`: the signature ConnectSafely would send, for hand-made test requests.

Examples:
    >>> from connectsafely.webhooks import MessageReceived, WebhookReceiver
    >>> async def on_event(event):
    ...     if isinstance(event, MessageReceived):
    ...         print(event.sender.name, "replied:", event.text)
    >>> app = WebhookReceiver(secret="whsec_example", handler=on_event)
"""

from ._events import MessageReceived, UnknownWebhookEvent, WebhookEvent, WebhookSender, parse_event
from ._receiver import WebhookReceiver
from ._signature import SIGNATURE_HEADER, WebhookVerificationError, sign, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "MessageReceived",
    "UnknownWebhookEvent",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookSender",
    "WebhookVerificationError",
    "parse_event",
    "sign",
    "verify_signature",
]
