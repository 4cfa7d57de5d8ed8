"""Signing and verifying webhook bodies: ``X-Webhook-Signature: sha256=<hex>``.

ConnectSafely signs the raw request body with HMAC-SHA256, keyed with the webhook's
secret (its UTF-8 bytes), and sends the lowercase hex digest after ``sha256=``. Nothing
else (no timestamp, URL or header) is signed, so the body must be verified exactly as
received, before any JSON parsing.
"""

from __future__ import annotations

import hmac

from .._errors import ConnectSafelyError

__all__ = [
    "SIGNATURE_HEADER",
    "WebhookVerificationError",
    "check_secret",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Webhook-Signature"
"""The header carrying the signature (look it up case-insensitively)."""

_PREFIX = "sha256="
_HEX_LENGTH = 64


class WebhookVerificationError(ConnectSafelyError):
    """A webhook request's signature is missing or does not match its body.

    The message says which; it never contains the secret or the expected signature.
    `WebhookReceiver` answers such a request with 401.
    """


def check_secret(secret: object) -> bytes:
    """The secret as HMAC key bytes; an empty or non-string secret is refused."""
    if not isinstance(secret, str):
        raise TypeError(f"secret must be a str, not {type(secret).__name__}.")
    if not secret:
        raise ValueError(
            "secret must not be empty: pass the webhook's signing secret from the "
            "ConnectSafely dashboard."
        )
    return secret.encode("utf-8")


def _body_bytes(body: object) -> bytes | bytearray | memoryview:
    if isinstance(body, (bytes, bytearray, memoryview)):
        return body
    raise TypeError(
        f"body must be the raw request bytes, not {type(body).__name__}: the signature "
        "covers the bytes exactly as received, so decoding or re-encoding them breaks it."
    )


def sign(body: bytes, secret: str) -> str:
    """The ``X-Webhook-Signature`` value ConnectSafely sends for ``body``.

    Useful for testing your own endpoint with hand-made requests.

    Args:
        body: The raw request body.
        secret: The webhook's signing secret.

    Returns:
        ``sha256=<lowercase hex HMAC-SHA256 of body>``.

    Examples:
        >>> sign(b"{}", "test_secret_do_not_use")[:15]
        'sha256=70f0ac4c'
    """
    key = check_secret(secret)
    return _PREFIX + hmac.digest(key, _body_bytes(body), "sha256").hex()


def verify_signature(body: bytes, signature: str | None, secret: str) -> None:
    """Check a webhook request's signature header against its raw body.

    The comparison takes constant time. A value of the wrong length, with non-hex
    characters or without the ``sha256=`` prefix is simply a wrong signature; upper-
    and lowercase hex are both accepted.

    Args:
        body: The raw request body, exactly as received.
        signature: The ``X-Webhook-Signature`` header's value (``None`` when missing).
        secret: The webhook's signing secret.

    Raises:
        WebhookVerificationError: The signature is missing or does not match.
        ValueError: ``secret`` is empty.
        TypeError: ``body`` is not bytes (e.g. already decoded text).

    Examples:
        >>> body = b'{"event": "message.received"}'
        >>> verify_signature(body, sign(body, "s3cret"), "s3cret")  # no error: genuine
        >>> verify_signature(body + b" ", sign(body, "s3cret"), "s3cret")
        Traceback (most recent call last):
        ...
        connectsafely.webhooks.WebhookVerificationError: The X-Webhook-Signature ...
    """
    key = check_secret(secret)
    raw = _body_bytes(body)
    if signature is None or not signature.strip():
        raise WebhookVerificationError(
            f"The {SIGNATURE_HEADER} header is missing: the request was not signed by "
            "ConnectSafely."
        )
    expected = hmac.digest(key, raw, "sha256").hex().encode("ascii")
    if not _matches(signature, expected):
        raise WebhookVerificationError(
            f"The {SIGNATURE_HEADER} header does not match the body: the request was not "
            "signed with this secret, or the body was changed on the way."
        )


def _matches(signature: str, expected: bytes) -> bool:
    value = signature.strip()
    scheme, sep, received = value.partition("=")
    # Only ASCII reaches compare_digest (it refuses non-ASCII str); anything else is
    # wrong anyway, and every wrong value still goes through one comparison.
    candidate = received.lower().encode("ascii") if value.isascii() else b""
    ok = hmac.compare_digest(candidate, expected)
    return ok and bool(sep) and scheme.lower() == "sha256" and len(candidate) == _HEX_LENGTH
