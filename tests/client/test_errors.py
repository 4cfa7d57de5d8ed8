"""Server faults become typed exceptions with status, body, code, request id and request."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import connectsafely
from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely, error_body
from tests._support import SEND, send

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, connectsafely.BadRequestError),
        (401, connectsafely.AuthenticationError),
        (403, connectsafely.PermissionDeniedError),
        (404, connectsafely.NotFoundError),
        (409, connectsafely.ConflictError),
        (422, connectsafely.UnprocessableEntityError),
        (418, connectsafely.APIStatusError),
    ],
)
async def test_client_errors_map_to_their_class_and_are_not_retried(
    client: AsyncClient, fake: FakeConnectSafely, status: int, error_class: type[Exception]
) -> None:
    fake.fail_next(status, body={"error": "Nope"}, headers={"X-Request-Id": "req-42"})
    with pytest.raises(error_class) as info:
        await send(client)
    error = info.value
    assert isinstance(error, connectsafely.APIStatusError)
    assert error.status_code == status
    assert error.body == {"error": "Nope"}
    assert error.request_id == "req-42"
    assert error.request is not None and error.request.url.path == SEND
    assert error.response is not None
    assert "Nope" in str(error) and str(status) in str(error)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_internal_server_errors_after_retries(
    client: AsyncClient, fake: FakeConnectSafely, status: int
) -> None:
    fake.fail_next(status, count=3)
    with pytest.raises(connectsafely.InternalServerError) as info:
        await send(client)
    assert info.value.status_code == status
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("style", "expected_code"),
    [
        ("error", None),
        ("code_message", "validation_error"),
        ("success_error", None),
        ("zod", "ZodError"),
    ],
)
async def test_every_documented_error_shape_gives_a_readable_message(
    client: AsyncClient, fake: FakeConnectSafely, style: Any, expected_code: str | None
) -> None:
    body = error_body(style, "recipient is invalid", code="validation_error", field="message")
    fake.fail_next(400, body=body)
    with pytest.raises(connectsafely.BadRequestError) as info:
        await send(client)
    assert "recipient is invalid" in str(info.value)
    assert info.value.code == expected_code
    assert info.value.body == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "success": False,
                "error": "Failed to send message",
                "errorDetails": {"message": "Recipient is not a 1st-degree connection"},
            },
            "400 Bad Request: Failed to send message: Recipient is not a 1st-degree connection",
        ),
        (
            {"success": False, "errorDetails": {"message": "Profile is private"}},
            "400 Bad Request: Profile is private",
        ),
        (
            {
                "success": False,
                "error": {
                    "name": "ZodError",
                    "issues": [
                        {
                            "code": "invalid_type",
                            "path": ["recipientProfileId"],
                            "message": "Required",
                        },
                        {
                            "code": "invalid_type",
                            "path": ["attachments", 0, "file", "assetUrn"],
                            "message": "Expected string, received number",
                        },
                    ],
                },
            },
            "400 Bad Request: recipientProfileId: Required; "
            "attachments.0.file.assetUrn: Expected string, received number",
        ),
        (
            {
                "success": False,
                "message": "Validation failed",
                "error": {
                    "name": "ZodError",
                    "issues": [{"path": ["message"], "message": "String must not be empty"}],
                },
            },
            "400 Bad Request: Validation failed: message: String must not be empty",
        ),
    ],
    ids=["error+errorDetails", "errorDetails-only", "zod-issues", "message+zod-issues"],
)
async def test_error_messages_name_the_details_and_fields(
    client: AsyncClient, fake: FakeConnectSafely, body: dict[str, Any], expected: str
) -> None:
    fake.fail_next(400, body=body)
    with pytest.raises(connectsafely.BadRequestError) as info:
        await send(client)
    assert str(info.value) == expected
    assert info.value.body == body  # the raw body stays on the error


async def test_html_error_page_gives_its_title(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    fake.fail_next(502, body=page, headers={"content-type": "text/html"}, count=3)
    with pytest.raises(connectsafely.InternalServerError) as info:
        await send(client)
    assert "502 Bad Gateway" in str(info.value)
    assert info.value.body == page


async def test_empty_error_body_still_names_the_status(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(403, body=b"")
    with pytest.raises(connectsafely.PermissionDeniedError) as info:
        await send(client)
    assert str(info.value) == "403 Forbidden"
    assert info.value.body is None


async def test_huge_error_body_gives_a_short_message(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(400, body={"error": "x" * 1_000_000})
    with pytest.raises(connectsafely.BadRequestError) as info:
        await send(client)
    assert len(str(info.value)) < 400


async def test_success_false_on_200_is_operation_failed_and_not_retried(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": False, "error": "LinkedIn refused the message"})
    with pytest.raises(connectsafely.OperationFailedError) as info:
        await send(client)
    assert info.value.status_code == 200
    assert "LinkedIn refused the message" in str(info.value)
    assert len(fake.requests) == 1


async def test_non_json_200_is_a_response_validation_error(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body="<html>maintenance</html>", headers={"content-type": "text/html"})
    with pytest.raises(connectsafely.APIResponseValidationError, match="JSON"):
        await send(client)
    assert len(fake.requests) == 1


async def test_wrongly_typed_200_names_the_json_path(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True, "sentMessage": ["not", "an", "object"]})
    with pytest.raises(connectsafely.APIResponseValidationError) as info:
        await send(client)
    assert "$.sentMessage" in str(info.value)
    assert info.value.body == {"success": True, "sentMessage": ["not", "an", "object"]}


async def test_unknown_fields_are_ignored_and_missing_ones_are_none(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True, "brandNewField": {"x": 1}})
    result = await send(client)
    assert result.success is True
    assert result.thread_id is None and result.sent_message is None


async def test_redirects_are_not_followed(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.fail_next(307, body=b"", headers={"Location": "/linkedin/conversations"})
    with pytest.raises(connectsafely.APIStatusError, match="redirect") as info:
        await send(client)
    assert info.value.status_code == 307
    assert len(fake.requests) == 1


async def test_dropped_connection_is_a_connection_error(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.drop_next(count=3)
    with pytest.raises(connectsafely.APIConnectionError) as info:
        await send(client)
    assert not isinstance(info.value, connectsafely.APITimeoutError)
    assert info.value.request is not None
    assert len(fake.requests) == 3


async def test_slow_response_is_a_timeout_error(make_client: Any, fake: FakeConnectSafely) -> None:
    fake.delay_next(2, count=2)
    async with make_client(timeout=0.2, max_retries=1) as client:
        with pytest.raises(connectsafely.APITimeoutError):
            await send(client)
        assert len(fake.requests) == 2
        # Both delays were used up: the same client works again at once.
        assert fake.pending_faults == []
        assert (await send(client)).success
        assert len(fake.requests) == 3


async def test_errors_pickle_with_their_data(client: AsyncClient, fake: FakeConnectSafely) -> None:
    fake.fail_next(
        429, body={"error": "slow down"}, headers={"Retry-After": "3600", "X-Request-Id": "r-1"}
    )
    with pytest.raises(connectsafely.RateLimitError) as info:
        await send(client)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is connectsafely.QuotaExceededError  # a cold send: the quota
    assert copy.status_code == 429
    assert copy.body == {"error": "slow down"}
    assert copy.request_id == "r-1"
    assert copy.retry_after == pytest.approx(3600)
    assert str(copy) == str(info.value)
    assert copy.request is None and copy.response is None


def test_exception_tree() -> None:
    assert issubclass(connectsafely.ConfigurationError, connectsafely.ConnectSafelyError)
    assert issubclass(connectsafely.PaginationError, connectsafely.ConnectSafelyError)
    assert issubclass(connectsafely.APITimeoutError, connectsafely.APIConnectionError)
    assert issubclass(connectsafely.APIConnectionError, connectsafely.APIError)
    assert issubclass(connectsafely.APIResponseValidationError, connectsafely.APIError)
    for name in (
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
        "OperationFailedError",
    ):
        assert issubclass(getattr(connectsafely, name), connectsafely.APIStatusError)
