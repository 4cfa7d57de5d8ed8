"""A call's query parameters reach the server as httpx would have sent them.

`with_params` puts the query on an already-parsed URL itself instead of letting httpx
parse the whole URL again; the URL it gives must be httpx's in every detail, for any
keys and values, and anything it does not handle must be left to httpx.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import connectsafely
from connectsafely import AsyncClient
from connectsafely._http._query import _fast, _fast_works, with_params
from connectsafely.testing import FakeConnectSafely, LoopbackServer

BASES = [
    "https://api.connectsafely.ai/linkedin/conversations/urn%3Ali%3Ax/messages",
    "http://127.0.0.1:8123/linkedin/accounts",
    "https://api.example.test",  # no path at all
    "https://api.example.test/",
    "https://user:pa%20ss@api.example.test:8443/a%20b/%7Ec/é",
    "http://[::1]:8080/p",
    "https://Müller.example/PATH/x#frag",
    "/relative/path",
]

URN = "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAzSwGLhWqNoRn9,2-abc+/def==)"
TRICKY = [
    " ",
    "+",
    "&",
    "=",
    "%",
    "%41",
    "%zz",
    "/",
    "?",
    "#",
    "~",
    "é",
    "😀",
    "",
    "a b+c&d=e",
    URN,
    "linkedin:" + "QUJDREVGRw==" * 200,  # a long cursor
    "\"<>`{}|\\^[]@!$'()*,;:",
    "\n\t\x00\x7f",
    "\ud800",  # a lone surrogate: not UTF-8, refused either way
]
TEXT = st.one_of(st.sampled_from(TRICKY), st.text(max_size=24))
PARAMS = st.dictionaries(TEXT, TEXT, max_size=4)


def httpx_url(url: httpx.URL, params: Any) -> httpx.URL:
    return httpx.Request("GET", url, params=params).url


def same(url: httpx.URL, params: Any) -> None:
    """``with_params`` gives httpx's URL (or raises httpx's error)."""
    try:
        expected = httpx_url(url, params)
    except Exception as exc:
        with pytest.raises(type(exc)):
            with_params(url, params)
        return
    made = with_params(url, params)
    assert str(made) == str(expected)
    assert made.raw_path == expected.raw_path
    assert made.query == expected.query
    assert made.params == expected.params
    assert made == expected
    assert (made.scheme, made.netloc, made.path, made.fragment) == (
        expected.scheme,
        expected.netloc,
        expected.path,
        expected.fragment,
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(base=st.sampled_from(BASES), params=PARAMS)
@example(base=BASES[0], params={"cursor": "a+b&c=d é😀/?#%41 ~", "count": "50"})
@example(base=BASES[0], params={"a b": "1", "c&d": "2", "e=f": "3", "%41": "%41"})
@example(base=BASES[4], params={"cursor": URN})
def test_the_query_is_httpxs(base: str, params: dict[str, str]) -> None:
    same(httpx.URL(base), params)


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("base", BASES)
def test_each_tricky_value_as_key_and_value(base: str, value: str) -> None:
    same(httpx.URL(base), {"cursor": value, value: "x", "count": "50"})


@pytest.mark.parametrize(
    ("base", "params"),
    [
        (BASES[0] + "?since=1", {"cursor": "a b"}),  # a query already there
        (BASES[0] + "?", {"cursor": "a b"}),  # an empty one
        (BASES[0], {}),
        (BASES[0] + "?since=1", {}),
        (BASES[0], {"count": 50}),
        (BASES[0], {"sync": True, "flag": False, "none": None}),
        (BASES[0], {1: "x"}),
        (BASES[0], {"ids": ["a", "b"]}),
        (BASES[0], [("a", "1"), ("a", "2")]),
        (BASES[0], httpx.QueryParams({"a": "1"})),
        (BASES[0], "a=1&b=2"),
        (BASES[0], {"cursor": "x" * 70_000}),  # too long: httpx refuses it
        (BASES[0], {"c": "x" * (65_536 - 2)}),  # the longest query httpx takes
        (BASES[0], {"c": "é" * 30_000}),  # long only once escaped
    ],
)
def test_what_it_does_not_handle_is_left_to_httpx(base: str, params: Any) -> None:
    same(httpx.URL(base), params)
    assert _fast(httpx.URL(base), params) is None


def test_the_sdks_query_is_made_without_parsing_again() -> None:
    assert _fast_works()  # on the installed httpx
    url = httpx.URL(BASES[0])
    assert _fast(url, {"cursor": "1771000000000", "count": "50"}) is not None


# -- through the public API ----------------------------------------------------------------

CURSOR = "a+b&c=d é😀/?#%41 ~"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["standard", "sales_navigator"])
async def test_a_saved_cursor_reaches_the_server_decoded(
    client: AsyncClient, fake: FakeConnectSafely, kind: str
) -> None:
    conversation = fake.add_conversation(kind=kind, recipient_profile_id="jordan-lee")  # type: ignore[arg-type]
    fake.seed_messages(conversation, 3)
    with pytest.raises(connectsafely.BadRequestError, match="cursor"):
        [
            m
            async for m in client.conversations.messages(
                conversation.urn, page_size=12, cursor=CURSOR
            )
        ]
    (request,) = fake.requests
    assert request.query == {"cursor": CURSOR, "count": "12"}


@pytest.mark.anyio
async def test_a_walk_sends_each_cursor_it_was_given(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = fake.add_conversation(kind="sales_navigator", recipient_profile_id="j")
    fake.seed_messages(conversation, 25)
    pages = [p async for p in client.conversations.messages(conversation.urn, page_size=10).pages()]
    sent = [r.query for r in fake.requests]
    assert sent == [
        {"count": "10"},
        {"count": "10", "cursor": pages[0].cursor},
        {"count": "10", "cursor": pages[1].cursor},
    ]


@pytest.mark.anyio
async def test_aiohttps_direct_route_sends_the_same_query(
    anyio_backend: str, fake: FakeConnectSafely, loopback: tuple[LoopbackServer, Any]
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    pytest.importorskip("aiohttp")
    pytest.importorskip("httpx_aiohttp")
    server, app = loopback
    app.target = fake
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 3)
    async with AsyncClient(
        api_key=fake.api_key,
        base_url=server.base_url,
        http_client=connectsafely.AioHttpClient(),
    ) as client:
        with pytest.raises(connectsafely.BadRequestError):
            [
                m
                async for m in client.conversations.messages(
                    conversation.urn, page_size=12, cursor=CURSOR
                )
            ]
    (request,) = fake.requests
    assert request.query == {"cursor": CURSOR, "count": "12"}
