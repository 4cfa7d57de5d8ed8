"""`SdkHttpClient.build_request` builds exactly the request `httpx.AsyncClient` builds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectsafely._http._client import SdkHttpClient
from connectsafely._http._query import with_params

URL = "https://api.example.test/linkedin/conversations/urn%3Ali%3Ax/messages"


def shape(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        request.headers.raw,
        request.read(),
        request.extensions,
    )


def outcome(
    client: httpx.AsyncClient, method: str, kwargs: dict[str, Any], url: str = URL
) -> object:
    try:
        return shape(client.build_request(method, url, **kwargs))
    except Exception as exc:  # the same error either way
        return type(exc), str(exc)


CASES: list[tuple[str, dict[str, Any]]] = [
    ("GET", {"headers": {"Accept": "application/json", "Authorization": "Bearer k"}}),
    ("GET", {"headers": {"accept": "x", "User-Agent": "sdk"}, "params": {"cursor": "a b"}}),
    ("GET", {"headers": {"Accept": "x"}, "params": {}}),
    (
        "POST",
        {
            "headers": {"Content-Type": "application/json", "Idempotency-Key": "k1"},
            "content": b'{"a":1}',
            "timeout": httpx.Timeout(5.0, connect=2.0),
        },
    ),
    ("POST", {"headers": {"Idempotency-Key": "k1"}, "content": b""}),
    ("POST", {"headers": {"Idempotency-Key": "k1"}}),
    ("PUT", {"headers": {"Content-Length": "3", "X": "1"}, "content": b"abc"}),
    ("POST", {"headers": {"Host": "other.test", "X": "1"}, "content": b"abc"}),
    ("POST", {"headers": {"X": "1", "x": "2"}, "content": b"abc"}),  # case duplicates
    ("POST", {"headers": {"User-Agent": "a", "Accept": "b"}, "content": b"abc"}),
    ("DELETE", {"headers": {"Accept-Encoding": "identity"}, "timeout": 3.0}),
    ("post", {"headers": {"Transfer-Encoding": "chunked", "Idempotency-Key": "k"}}),
    ("POST", {"headers": {"Idempotency-Key": "é"}, "content": "text body"}),
    ("POST", {"headers": {"A": "1", "Idempotency-Key": b"bytes"}, "content": b"x"}),
    ("POST", {"headers": {b"A": b"1", "Idempotency-Key": "k"}, "content": b"x"}),
]


@pytest.mark.parametrize(("method", "kwargs"), CASES)
@pytest.mark.parametrize(
    "client_options",
    [{}, {"headers": {"X-Client": "1", "Accept": "*/*"}}, {"cookies": {"c": "1"}}],
)
def test_same_request_as_httpx(
    method: str, kwargs: dict[str, Any], client_options: dict[str, Any]
) -> None:
    # build_request does no I/O: the clients are never opened, so need no closing.
    plain, ours = httpx.AsyncClient(**client_options), SdkHttpClient(**client_options)
    for _ in range(2):  # the second time from the caches
        assert outcome(ours, method, kwargs) == outcome(plain, method, kwargs)


def test_a_changed_client_header_is_seen() -> None:
    plain, ours = httpx.AsyncClient(), SdkHttpClient()
    headers = {"Accept": "a", "Idempotency-Key": "1"}
    ours.build_request("POST", URL, headers=headers, content=b"x")
    for client in (plain, ours):
        client.headers["X-Later"] = "yes"
    assert shape(ours.build_request("POST", URL, headers=headers, content=b"x")) == shape(
        plain.build_request("POST", URL, headers=headers, content=b"x")
    )


def test_base_url_and_params_on_the_client_take_httpx_path() -> None:
    options: dict[str, Any] = {"base_url": "https://api.example.test/v1", "params": {"a": "1"}}
    plain, ours = httpx.AsyncClient(**options), SdkHttpClient(**options)
    for url in ("/x", URL):
        assert shape(ours.build_request("GET", url, headers={"A": "1"})) == shape(
            plain.build_request("GET", url, headers={"A": "1"})
        )


@pytest.mark.parametrize(
    "client_options",
    [
        {},
        {"params": {"team": "a"}},
        {"base_url": "https://api.example.test/v1"},
        {"base_url": "https://api.example.test/v1", "params": {"team": "a"}},
        {"base_url": "https://api.example.test/v1?k=1"},
        {"cookies": {"c": "1"}},
    ],
)
def test_call_params_as_httpx_merges_them(client_options: dict[str, Any]) -> None:
    plain, ours = httpx.AsyncClient(**client_options), SdkHttpClient(**client_options)
    for url in (URL, URL + "?since=1", "/relative", "/relative?x=1"):
        for params in ({"cursor": "a+b&c=d é/?#%41", "count": "50"}, {"n": 5}, {}):
            for headers in ({"A": "1"}, [("A", "1")]):  # the fast branch and httpx's
                kwargs = {"headers": headers, "params": params}
                for _ in range(2):  # the second time from the caches
                    assert outcome(ours, "GET", kwargs, url) == outcome(plain, "GET", kwargs, url)


@pytest.mark.parametrize(("method", "kwargs"), CASES)
@pytest.mark.parametrize(
    "client_options",
    [{}, {"headers": {"X-Client": "1", "Accept": "*/*"}}, {"cookies": {"c": "1"}}],
)
def test_direct_request_is_httpxs_request(
    method: str, kwargs: dict[str, Any], client_options: dict[str, Any]
) -> None:
    """What `AioHttpClient` sends without building the request: httpx's URL and headers
    (names, values, order), or None where httpx must build it."""
    plain, ours = httpx.AsyncClient(**client_options), SdkHttpClient(**client_options)
    content = kwargs.get("content")
    headers = kwargs["headers"]
    for _ in range(2):  # the second time from the caches
        direct = ours._direct_request(method, URL, headers, content)
        if direct is None:
            continue
        expected = plain.build_request(method, URL, **kwargs)
        parsed, items = direct
        if "params" in kwargs:  # as `AioSender` puts them on
            parsed = with_params(parsed, kwargs["params"])
        assert str(parsed) == str(expected.url)
        assert items == expected.headers.multi_items()


@pytest.mark.parametrize(
    ("method", "headers", "content"),
    [
        ("GET", {"Accept": "application/json", "Authorization": "Bearer k"}, None),
        ("POST", {"Content-Type": "application/json", "Idempotency-Key": "k"}, b'{"a":1}'),
        ("PATCH", {"Accept": "application/json", "Idempotency-Key": "k"}, None),
    ],
)
def test_the_sdks_usual_calls_are_sent_directly(
    method: str, headers: dict[str, str], content: bytes | None
) -> None:
    assert SdkHttpClient()._direct_request(method, URL, headers, content) is not None


@pytest.mark.parametrize(
    "options",
    [
        {"event_hooks": {"request": [print], "response": []}},
        {"auth": ("user", "secret")},
        {"follow_redirects": True},
        {"params": {"team": "a"}},
        {"cookies": {"c": "1"}},
        {"mounts": {}},
        {"default_encoding": "latin-1"},
    ],
)
def test_settings_httpx_applies_per_request_are_never_sent_directly(
    options: dict[str, Any],
) -> None:
    client = SdkHttpClient(**options)
    assert client._direct_request("POST", URL, {"Idempotency-Key": "k"}, b"x") is None
    assert SdkHttpClient()._direct_request("POST", URL, {"Idempotency-Key": "k"}, b"x")


def test_a_url_with_credentials_is_never_sent_directly() -> None:
    # httpx turns them into Basic auth.
    url = "https://user:secret@api.example.test/x"
    assert SdkHttpClient()._direct_request("GET", url, {"A": "1"}, None) is None
