"""verify_signature and sign: the documented header, checked in constant time."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectsafely import ConnectSafelyError
from connectsafely.webhooks import WebhookVerificationError, sign, verify_signature
from tests.webhooks._support import SECRET

# The self-computed vector of the API notes (cross-checked there with openssl).
VECTOR_SECRET = "test_secret_do_not_use"
VECTOR_BODY = (
    b'{"event":"message.received","object":"event","data":{"id":"urn:li:messagingMessage:2-abc",'
    b'"message_urn":"urn:li:messagingMessage:2-abc"}}'
)
VECTOR_SIGNATURE = "sha256=f0cf07ceda1cff11c3383cbbafb8ef767844181cd5d40dd29ad8d992d200a220"


def test_sign_matches_the_documented_test_vector() -> None:
    assert len(VECTOR_BODY) == 137
    assert sign(VECTOR_BODY, VECTOR_SECRET) == VECTOR_SIGNATURE


def test_the_right_signature_is_accepted() -> None:
    verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_SECRET)


@pytest.mark.parametrize(
    "signature",
    [
        VECTOR_SIGNATURE.upper().replace("SHA256=", "sha256="),  # uppercase hex
        "SHA256=" + VECTOR_SIGNATURE[7:],  # the scheme in any case
        f"  {VECTOR_SIGNATURE} ",  # surrounding whitespace
    ],
)
def test_harmless_spellings_are_accepted(signature: str) -> None:
    verify_signature(VECTOR_BODY, signature, VECTOR_SECRET)


@pytest.mark.parametrize("signature", [None, "", "   "])
def test_a_missing_signature_is_refused(signature: str | None) -> None:
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_signature(VECTOR_BODY, signature, VECTOR_SECRET)


@pytest.mark.parametrize(
    "signature",
    [
        VECTOR_SIGNATURE[7:],  # no prefix
        "sha1=" + VECTOR_SIGNATURE[7:],  # another scheme
        "sha256" + VECTOR_SIGNATURE[7:],  # no "="
        VECTOR_SIGNATURE[:-1],  # one character short
        VECTOR_SIGNATURE + "0",  # one too many
        VECTOR_SIGNATURE[:-1] + "g",  # not hex
        VECTOR_SIGNATURE[:-1] + "é",  # not ASCII
        "sha256=" + "0" * 64,
        "sha256=",
        "=",
        "sha256=" + VECTOR_SIGNATURE[7:] + VECTOR_SIGNATURE[7:],
    ],
)
def test_a_wrong_signature_is_refused(signature: str) -> None:
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_signature(VECTOR_BODY, signature, VECTOR_SECRET)


def test_another_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError):
        verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_SECRET + "x")


def test_bytearray_and_memoryview_bodies_work() -> None:
    verify_signature(bytearray(VECTOR_BODY), VECTOR_SIGNATURE, VECTOR_SECRET)
    verify_signature(memoryview(VECTOR_BODY), VECTOR_SIGNATURE, VECTOR_SECRET)


def test_a_decoded_body_is_refused_with_a_reason() -> None:
    with pytest.raises(TypeError, match="raw request bytes"):
        verify_signature(VECTOR_BODY.decode(), VECTOR_SIGNATURE, VECTOR_SECRET)  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", ["", None, b"bytes"])
def test_an_empty_or_non_text_secret_is_refused(secret: object) -> None:
    with pytest.raises((ValueError, TypeError), match="secret"):
        verify_signature(VECTOR_BODY, VECTOR_SIGNATURE, secret)  # type: ignore[arg-type]
    with pytest.raises((ValueError, TypeError), match="secret"):
        sign(VECTOR_BODY, secret)  # type: ignore[arg-type]


def test_the_error_is_a_picklable_connectsafely_error_without_secrets() -> None:
    signature = sign(b"{}", SECRET)
    with pytest.raises(WebhookVerificationError) as caught:
        verify_signature(b"{ }", signature, SECRET)
    error = caught.value
    assert isinstance(error, ConnectSafelyError)
    assert SECRET not in str(error) and signature[7:] not in str(error)
    assert sign(b"{ }", SECRET)[7:] not in str(error)  # nor the expected value
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is WebhookVerificationError and str(again) == str(error)


@given(body=st.binary(max_size=512), secret=st.text(min_size=1, max_size=40))
def test_property_the_right_signature_is_always_accepted(body: bytes, secret: str) -> None:
    verify_signature(body, sign(body, secret), secret)


@given(
    body=st.binary(max_size=256),
    other=st.binary(max_size=256),
    secret=st.text(min_size=1, max_size=40),
)
def test_property_any_other_body_is_refused(body: bytes, other: bytes, secret: str) -> None:
    if other == body:
        return
    with pytest.raises(WebhookVerificationError):
        verify_signature(other, sign(body, secret), secret)


@given(
    body=st.binary(max_size=256),
    secret=st.text(min_size=1, max_size=40),
    position=st.integers(min_value=7, max_value=70),
    replacement=st.characters(codec="utf-8"),
)
def test_property_any_changed_signature_is_refused(
    body: bytes, secret: str, position: int, replacement: str
) -> None:
    right = sign(body, secret)
    changed = right[:position] + replacement + right[position + 1 :]
    if changed.strip().lower() == right or changed.strip() == right:
        return  # the same value (same character, or a change of case)
    with pytest.raises(WebhookVerificationError):
        verify_signature(body, changed, secret)


@given(body=st.binary(max_size=256), secret=st.text(min_size=1), other=st.text(min_size=1))
def test_property_any_other_secret_is_refused(body: bytes, secret: str, other: str) -> None:
    if other == secret:
        return
    with pytest.raises(WebhookVerificationError):
        verify_signature(body, sign(body, secret), other)
