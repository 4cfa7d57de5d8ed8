"""Conversation URNs travel as exactly one percent-encoded path segment, unchanged."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectsafely import AsyncClient
from connectsafely._validate import path_segment
from connectsafely.testing import FakeConnectSafely, RecordedRequest

pytestmark = pytest.mark.anyio

DOCS_URN = (
    "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAATPlQ0Bc8wdg-Iy8wZgEDuSdIVWJiE1Aio,"
    "2-NzkzMDFlNzAtZjU2OS00MjIwLWE2ZDctYzZkMWE1ZDljZDAyXzEwMA==)"
)
DOCS_URN_ENCODED = (
    "urn%3Ali%3Amsg_conversation%3A%28urn%3Ali%3Afsd_profile%3AACoAAATPlQ0Bc8wdg-Iy8wZgEDuSdIVW"
    "JiE1Aio%2C2-NzkzMDFlNzAtZjU2OS00MjIwLWE2ZDctYzZkMWE1ZDljZDAyXzEwMA%3D%3D%29"
)

REAL_SHAPES = [
    DOCS_URN,
    "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAB1x2y3z,2-ab+cd/ef==)",
    "urn:li:fs_conversation:2-YWM2YTJmYjUtNTdjMS00ZjlmLTgwMDUtOWYxMmMxNjY4M2FlXzAxMg==",
    "urn:li:salesNav_thread:2-Zm9v+YmFy/YmF6==",
    "urn:li:messagingThread:2-ODFkYjU4M2I=",
    "urn:li:example:with spaces and+plus",
    "urn:li:example:../../account/quota",
    "urn:li:example:a?b=c&d#fragment",
    "urn:li:example:100%25 literal %2F percent",
    "urn:li:example:naïve-café-日本",
    "urn:li:example:;semi@at$dollar!bang'quote*star~tilde",
]


def page_request(fake: FakeConnectSafely) -> RecordedRequest:
    (request,) = [r for r in fake.requests if r.segments[-1:] == ("messages",)]
    return request


@pytest.mark.parametrize("urn", REAL_SHAPES)
async def test_urn_reaches_the_server_unchanged_as_one_segment(
    client: AsyncClient, fake: FakeConnectSafely, urn: str
) -> None:
    conversation = fake.add_conversation(urn=urn)
    fake.seed_messages(conversation, 2)
    got = [m async for m in client.conversations.messages(urn)]
    assert len(got) == 2  # the server found the conversation by the decoded URN
    request = page_request(fake)
    assert request.segments == ("linkedin", "conversations", urn, "messages")
    encoded = request.raw_path.split("/")[3]
    assert request.raw_path == f"/linkedin/conversations/{encoded}/messages"
    assert not set(encoded) & set("/?#:()=+, ")


async def test_documented_example_urn_is_encoded_as_the_api_docs_show(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.add_conversation(urn=DOCS_URN)
    await anext(client.conversations.messages(DOCS_URN).pages())
    assert page_request(fake).raw_path == f"/linkedin/conversations/{DOCS_URN_ENCODED}/messages"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("2-YWJjZA==", ValueError),
        ("urn:li:", ValueError),
        ("URN:LI:fs_conversation:1", ValueError),
        ("urn:lix:fs_conversation:1", ValueError),
        (" urn:li:fs_conversation:1", ValueError),
        ("urn:li:fs_conversation:1\n", ValueError),
        ("urn:li:fs_conversation:1\x00", ValueError),
        ("   ", ValueError),
        (b"urn:li:fs_conversation:1", TypeError),
        (None, TypeError),
    ],
)
async def test_value_that_is_not_a_linkedin_urn_is_refused_without_a_request(
    client: AsyncClient, fake: FakeConnectSafely, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="conversation_urn"):
        client.conversations.messages(value)
    assert fake.requests == []


def test_path_segment_encodes_everything_outside_the_unreserved_set() -> None:
    assert path_segment("urn:li:x:a/b c", "urn") == "urn%3Ali%3Ax%3Aa%2Fb%20c"
    unreserved = string.ascii_letters + string.digits + "-._~"
    assert path_segment("urn:li:" + unreserved, "urn") == "urn%3Ali%3A" + unreserved


# -- property-based ---------------------------------------------------------------------

# Printable text only (what a URN may hold), biased towards the characters that
# break naive encoding. `isprintable()` treats every separator except " " as
# unprintable, so spaces come from the sampled set.
_TRICKY = st.sampled_from(list(":()/,+=?#%& .;~'\"\\[]{}<>@!$*|^`"))
_PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S"))
URN_TAILS = st.text(st.one_of(_TRICKY, _PRINTABLE), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tail=URN_TAILS)
async def test_any_printable_urn_round_trips_through_the_path(tail: str) -> None:
    urn = "urn:li:" + tail
    fake = FakeConnectSafely()
    fake.add_conversation(urn=urn)
    async with fake.client() as client:
        pages = [p async for p in client.conversations.messages(urn).pages()]
    assert len(pages) == 1
    request = page_request(fake)
    assert request.segments == ("linkedin", "conversations", urn, "messages")
    assert request.raw_path.count("/") == 4


@settings(max_examples=60, deadline=None)
@given(value=st.text(max_size=30).filter(lambda v: not v.startswith("urn:li:")))
async def test_anything_else_is_refused_before_a_request(value: str) -> None:
    fake = FakeConnectSafely()
    async with fake.client() as client:
        with pytest.raises(ValueError, match="conversation_urn"):
            client.conversations.messages(value)
    assert fake.requests == []
