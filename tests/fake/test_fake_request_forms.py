"""The fake refuses the request forms the real API refuses (issue 23, item 4).

Every endpoint the fake serves declares the form it accepts (``testing/_shapes.py``):
a required field missing (a field under a wrong name comes to that), a value of the
wrong JSON type, an enum value it does not know, a malformed query parameter. Such a
request gets a 400 in the documented error body, before anything happens, so a user's
own HTTP code tested against the fake fails the way it would against the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from connectsafely.testing import FakeConnectSafely
from tests._support import SEND

pytestmark = pytest.mark.anyio

URN = "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAowner,2-dGhyZWFk)"


@pytest.fixture
async def http(fake: FakeConnectSafely) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the fake in-process: requests no SDK call would build."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app),
        base_url="https://api.connectsafely.ai",
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as raw:
        yield raw


# (method, path, JSON body or None, query, the field named, the message)
WRONG: list[tuple[str, str, Any, dict[str, str], str, str]] = [
    # a field under a name the API does not know: the required one is missing
    ("POST", SEND, {"text": "Hi", "conversationUrn": URN}, {}, "message", "message is required"),
    ("POST", SEND, {"message": 42, "conversationUrn": URN}, {}, "message", "must be a string"),
    ("POST", SEND, {"message": "  ", "conversationUrn": URN}, {}, "message", "is required"),
    ("POST", SEND, {"message": "Hi"}, {}, "recipientProfileId", "must be provided"),
    (
        "POST",
        SEND,
        {"message": "Hi", "conversationUrn": URN, "accountId": 7},
        {},
        "accountId",
        "must be a string",
    ),
    (
        "POST",
        SEND,
        {"message": "Hi", "conversationUrn": URN, "attachments": {"assetUrn": "a"}},
        {},
        "attachments",
        "must be an array",
    ),
    (
        "POST",
        SEND,
        {"message": "Hi", "conversationUrn": URN, "attachments": ["urn:li:asset:1"]},
        {},
        "attachments.0",
        "attachments[0] must be an object",
    ),
    (
        "POST",
        SEND,
        {"message": "Hi", "conversationUrn": URN, "messagingChannel": "email"},
        {},
        "messagingChannel",
        "must be one of auto, sales_navigator, linkedin_inbox",
    ),
    ("POST", "/linkedin/messaging/mark-seen", {}, {}, "conversationUrn", "is required"),
    (
        "POST",
        "/linkedin/messaging/typing-indicator",
        {"conversationUrn": [URN]},
        {},
        "conversationUrn",
        "must be a string",
    ),
    (
        "POST",
        "/linkedin/messaging/check-email-support",
        {"profile": "jane-doe"},
        {},
        "profileUrn",
        "profileId or profileUrn is required",
    ),
    ("POST", "/linkedin/conversations/sync", {"force": "true"}, {}, "force", "must be a boolean"),
    ("POST", "/linkedin/conversations/refresh", {"urn": URN}, {}, "conversationUrn", "required"),
    (
        "POST",
        "/linkedin/conversations/download-media",
        {"url": "https://media.licdn.com/x"},
        {},
        "accountId",
        "accountId is required",
    ),
    (
        "POST",
        "/linkedin/sales-nav/send",
        {"body": "Hi", "recipients": ["urn:li:fsd_profile:A", 3]},
        {},
        "recipients.1",
        "recipients[1] must be a string",
    ),
    ("POST", "/linkedin/sales-nav/send", {"body": "Hi"}, {}, "threadId", "threadId or recipients"),
    ("GET", f"/linkedin/conversations/{URN}/messages", None, {"count": "0"}, "count", ">= 1"),
    ("GET", f"/linkedin/conversations/{URN}/messages", None, {"sync": "yes"}, "sync", "true or"),
    ("GET", "/linkedin/conversations", None, {"unreadOnly": "1"}, "unreadOnly", "true or false"),
    ("GET", "/linkedin/sales-nav/threads", None, {"filter": "ALL"}, "filter", "must be one of"),
    ("POST", "/linkedin/connect", {"profileId": 5}, {}, "profileId", "must be a string"),
    (
        "POST",
        "/linkedin/profile",
        {"profileId": "jane-doe", "includeSkills": "yes"},
        {},
        "includeSkills",
        "must be a boolean",
    ),
    (
        "GET",
        "/linkedin/profile",
        None,
        {"profileId": "jane-doe", "forceRefresh": "1"},
        "forceRefresh",
        "true or false",
    ),
    ("POST", "/linkedin/invitations/withdraw", {"memberId": "ACoAA1"}, {}, "profileId", "required"),
    (
        "POST",
        "/linkedin/invitations/received/respond",
        {"action": "MAYBE", "invitationId": "1", "validationToken": "t"},
        {},
        "action",
        "must be one of ACCEPT, IGNORE",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "field", "message"),
    WRONG,
    ids=[f"{case[1].rsplit('/', 1)[-1]}-{case[4]}" for case in WRONG],
)
async def test_a_wrong_request_form_gets_the_documented_400_and_changes_nothing(
    http: httpx.AsyncClient,
    fake: FakeConnectSafely,
    method: str,
    path: str,
    body: Any,
    query: dict[str, str],
    field: str,
    message: str,
) -> None:
    conversation = fake.add_conversation(urn=URN)
    conversation.unread, conversation.unread_count = True, 2
    fake.error_style = "success_error"  # the cookbook's body: {"success": false, "error"}
    response = await http.request(method, path, json=body, params=query)
    assert response.status_code == 400
    answer = response.json()
    assert answer["success"] is False and message in answer["error"]
    assert fake.sends == [] and fake.refreshes == []
    assert conversation.unread_count == 2  # nothing was marked
    # In the zod style the issue names the field's path and the types.
    fake.error_style = "zod"
    issue = (await http.request(method, path, json=body, params=query)).json()["error"]
    [only] = issue["issues"]
    expected_path = [int(p) if p.isdigit() else p for p in field.split(".")]
    assert only["path"] == expected_path and message in only["message"]
    assert only["code"] in ("invalid_type", "custom")


async def test_the_zod_issue_says_what_was_expected_and_received(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.error_style = "zod"
    response = await http.post(SEND, json={"message": 42, "conversationUrn": URN})
    assert response.json() == {
        "success": False,
        "error": {
            "name": "ZodError",
            "issues": [
                {
                    "code": "invalid_type",
                    "expected": "string",
                    "received": "integer",
                    "path": ["message"],
                    "message": "message must be a string",
                }
            ],
        },
    }


async def test_a_body_that_is_not_a_json_object_is_refused(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    for content in (b"[1, 2]", b"message=Hi", b""):
        response = await http.post(
            SEND, content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
    assert fake.sends == []


async def test_null_optional_fields_and_unknown_fields_are_accepted(
    http: httpx.AsyncClient, fake: FakeConnectSafely
) -> None:
    # The reference does not say optional fields may not be null, nor that unknown
    # fields are refused: the fake refuses neither (it promises no more than the API).
    fake.add_conversation(urn=URN)
    body = {"message": "Hi", "conversationUrn": URN, "subject": None, "trackingTag": "q3"}
    response = await http.post(SEND, json=body)
    assert response.status_code == 200 and len(fake.sends) == 1
    empty = await http.post("/linkedin/messaging/mark-all-read")  # no body at all: {}
    assert empty.status_code == 200
