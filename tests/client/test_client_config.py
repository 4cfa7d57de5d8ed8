"""Configuring AsyncClient: key, base URL, account, timeouts, pools and lifecycle."""

from __future__ import annotations

import gc
import pickle
import warnings

import anyio
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient, ConfigurationError, ConnectSafelyError
from connectsafely.testing import FakeConnectSafely

KEY = "cs_live_abcdef0123456789"


class Recording(httpx.AsyncBaseTransport):
    """Records each `httpx.Request` as sent (URL, headers, timeouts), then lets the fake
    answer it in-process."""

    def __init__(self, fake: FakeConnectSafely) -> None:
        self.inner = fake.transport()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


async def sent_request(**options: object) -> tuple[httpx.Request, FakeConnectSafely]:
    """Build a client with ``options``, send one message, return the request on the wire.

    The fake accepts ``KEY`` and knows the account ``options`` name, if any.
    """
    fake = FakeConnectSafely(api_key=KEY)
    if isinstance(options.get("account_id"), str):
        fake.add_account(str(options["account_id"]))
    recording = Recording(fake)
    async with AsyncClient(transport=recording, **options) as client:  # type: ignore[arg-type]
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
    [request] = recording.sent
    return request, fake


@pytest.mark.anyio
async def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSAFELY_API_KEY", KEY)
    client = AsyncClient()
    assert client.base_url == httpx.URL("https://api.connectsafely.ai")
    request, _ = await sent_request()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.url == httpx.URL("https://api.connectsafely.ai/linkedin/conversations/send")


def test_missing_key_names_the_environment_variable() -> None:
    with pytest.raises(ConfigurationError, match="CONNECTSAFELY_API_KEY"):
        AsyncClient()


def test_empty_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSAFELY_API_KEY", "")
    with pytest.raises(ConfigurationError, match="CONNECTSAFELY_API_KEY"):
        AsyncClient()


@pytest.mark.parametrize("bad", ["abc def", "abc\n", "\tabc", "ab\x00c", "abc\r\n"])
def test_key_with_whitespace_or_control_characters_is_refused_without_echoing_it(
    bad: str,
) -> None:
    with pytest.raises(ConfigurationError) as info:
        AsyncClient(api_key=bad)
    assert bad.strip() not in str(info.value)


@pytest.mark.anyio
async def test_base_url_and_account_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSAFELY_BASE_URL", "https://sandbox.api.connectsafely.ai/")
    monkeypatch.setenv("CONNECTSAFELY_ACCOUNT_ID", "696ce9e780e0483585e4e553")
    client = AsyncClient(api_key=KEY)
    assert str(client.base_url) == "https://sandbox.api.connectsafely.ai"
    assert client.account_id == "696ce9e780e0483585e4e553"
    request, fake = await sent_request(api_key=KEY)
    assert request.url == httpx.URL(
        "https://sandbox.api.connectsafely.ai/linkedin/conversations/send"
    )
    assert fake.requests[0].json()["accountId"] == "696ce9e780e0483585e4e553"


@pytest.mark.anyio
async def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSAFELY_API_KEY", "cs_from_env")
    monkeypatch.setenv("CONNECTSAFELY_BASE_URL", "https://env.example")
    monkeypatch.setenv("CONNECTSAFELY_ACCOUNT_ID", "from-env")
    options = {"api_key": KEY, "account_id": "from-arg", "base_url": "https://example.test"}
    client = AsyncClient(**options)  # type: ignore[arg-type]
    assert client.account_id == "from-arg"
    assert client.base_url.host == "example.test"
    request, fake = await sent_request(**options)
    assert request.url.host == "example.test"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert fake.requests[0].json()["accountId"] == "from-arg"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",
        "http://127.0.0.1:9",
        "http://127.10.0.5",
        "http://[::1]:8080",
        "https://api.connectsafely.ai",
    ],
)
@pytest.mark.anyio
async def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert AsyncClient(api_key=KEY, base_url=url).base_url == httpx.URL(url)
    request, fake = await sent_request(api_key=KEY, base_url=url)
    assert request.url == httpx.URL(url).join("/linkedin/conversations/send")
    assert len(fake.sends) == 1


@pytest.mark.parametrize(
    "url", ["http://api.connectsafely.ai", "http://10.0.0.1", "http://localhost.evil.com"]
)
def test_plain_http_to_a_network_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="http://"):
        AsyncClient(api_key=KEY, base_url=url)


@pytest.mark.parametrize(
    "url", ["ftp://x.test", "not a url", "https://user:pw@x.test", "https://x.test/?a=1"]
)
def test_malformed_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        AsyncClient(api_key=KEY, base_url=url)


@pytest.mark.anyio
async def test_timeout_float_and_default() -> None:
    assert AsyncClient(api_key=KEY).timeout == httpx.Timeout(30.0, connect=5.0)
    assert AsyncClient(api_key=KEY, timeout=2.5).timeout == httpx.Timeout(2.5)
    assert AsyncClient(api_key=KEY, timeout=60).timeout == httpx.Timeout(60, connect=5.0)
    # ... and what each request carries to the transport.
    default, _ = await sent_request(api_key=KEY)
    assert default.extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }
    short, _ = await sent_request(api_key=KEY, timeout=2.5)
    assert short.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    custom = httpx.Timeout(10.0, read=1.0)
    given, _ = await sent_request(api_key=KEY, timeout=custom)
    assert given.extensions["timeout"] == custom.as_dict()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": -1}, ValueError),
        ({"timeout": None}, ValueError),
        ({"timeout": "3"}, TypeError),
        ({"max_retries": -1}, ValueError),
        ({"max_retries": 1.5}, TypeError),
        ({"max_retries": True}, TypeError),
        ({"account_id": 42}, TypeError),
        ({"account_id": "  "}, ValueError),
        ({"default_headers": {"X-A": "b\r\nInjected: 1"}}, ValueError),
        ({"default_headers": {"Bad Name": "x"}}, ValueError),
        ({"transport": object()}, TypeError),
        ({"http_client": object()}, TypeError),
    ],
)
def test_bad_options_name_the_argument(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        AsyncClient(api_key=KEY, **kwargs)  # type: ignore[arg-type]
    assert next(iter(kwargs)) in str(info.value)


def test_http_client_and_transport_are_exclusive() -> None:
    with pytest.raises(ValueError, match="http_client or transport"):
        AsyncClient(
            api_key=KEY,
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


def test_repr_shows_base_url_but_never_the_key() -> None:
    client = AsyncClient(api_key=KEY, account_id="acc")
    text = repr(client)
    assert "api.connectsafely.ai" in text
    assert KEY not in text
    assert KEY not in repr(client.conversations)
    assert KEY not in repr(client.with_options(max_retries=0))


def test_client_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(AsyncClient(api_key=KEY))


@pytest.mark.anyio
async def test_every_request_carries_bearer_key_and_user_agent(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    await client.conversations.send("hi", recipient_profile_id="jane-doe")
    headers = fake.requests[0].headers
    assert headers["authorization"] == f"Bearer {fake.api_key}"
    assert headers["user-agent"] == f"connectsafely-python/{connectsafely.__version__}"
    assert headers["content-type"] == "application/json"


@pytest.mark.anyio
async def test_default_headers_are_sent(make_client: object, fake: FakeConnectSafely) -> None:
    async with make_client(default_headers={"X-Team": "growth"}) as client:  # type: ignore[operator]
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
    assert fake.requests[0].headers["x-team"] == "growth"


@pytest.mark.anyio
async def test_default_headers_replace_the_sdks_own_in_any_spelling(
    make_client: object, fake: FakeConnectSafely
) -> None:
    async with make_client(default_headers={"user-agent": "outreach-bot/2"}) as client:  # type: ignore[operator]
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
    raw = [v for k, v in fake.requests[0].raw_headers if k.lower() == "user-agent"]
    assert raw == ["outreach-bot/2"]


@pytest.mark.anyio
async def test_a_copys_default_header_replaces_the_parents_in_any_spelling(
    make_client: object, fake: FakeConnectSafely
) -> None:
    async with make_client(default_headers={"X-Team": "growth", "X-Env": "prod"}) as client:  # type: ignore[operator]
        child = client.with_options(default_headers={"x-team": "sales"})
        await child.conversations.send("hi", recipient_profile_id="jane-doe")
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
    child_sent, parent_sent = fake.requests
    assert [v for k, v in child_sent.raw_headers if k.lower() == "x-team"] == ["sales"]
    assert child_sent.headers["x-env"] == "prod"  # headers not named by the copy are kept
    assert [v for k, v in parent_sent.raw_headers if k.lower() == "x-team"] == ["growth"]


def test_default_headers_naming_one_header_twice_are_refused() -> None:
    with pytest.raises(ValueError, match=r"default_headers.*X-Team.*x-team"):
        connectsafely.AsyncClient(api_key="k", default_headers={"X-Team": "a", "x-team": "b"})


@pytest.mark.anyio
async def test_wrong_key_raises_authentication_error(fake: FakeConnectSafely) -> None:
    async with fake.client(api_key="cs_wrong") as client:
        with pytest.raises(connectsafely.AuthenticationError) as info:
            await client.conversations.send("hi", recipient_profile_id="jane-doe")
    assert info.value.status_code == 401
    assert "Invalid credentials" in str(info.value)
    assert "cs_wrong" not in str(info.value)


@pytest.mark.anyio
async def test_default_account_is_sent_and_call_account_wins(fake: FakeConnectSafely) -> None:
    other = fake.add_account(name="Second Seat")
    async with fake.client(account_id=fake.default_account_id) as client:
        await client.conversations.send("a", recipient_profile_id="jane-doe")
        await client.conversations.send(
            "b", recipient_profile_id="jane-doe", account_id=other.account_id
        )
    assert fake.requests[0].json()["accountId"] == fake.default_account_id
    assert fake.requests[1].json()["accountId"] == other.account_id
    assert fake.sends[1].account_id == other.account_id


@pytest.mark.anyio
async def test_closed_client_refuses_calls(fake: FakeConnectSafely) -> None:
    client = fake.client()
    await client.aclose()
    assert client.is_closed
    with pytest.raises(ConnectSafelyError, match="closed"):
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
    assert fake.requests == []
    await client.aclose()  # closing twice is harmless


@pytest.mark.anyio
async def test_with_options_shares_the_pool_and_child_close_leaves_it_open(
    fake: FakeConnectSafely,
) -> None:
    async with fake.client() as parent:
        child = parent.with_options(max_retries=0, timeout=3, account_id="x" * 24)
        assert child.max_retries == 0 and child.timeout.read == 3
        assert child.account_id == "x" * 24 and parent.account_id is None
        assert child._core.pool is parent._core.pool
        await parent.conversations.send("one", recipient_profile_id="jane-doe")
        await child.aclose()
        with pytest.raises(ConnectSafelyError, match="closed"):
            await child.conversations.send("x", recipient_profile_id="jane-doe")
        await parent.conversations.send("two", recipient_profile_id="jane-doe")
    assert [s.text for s in fake.sends] == ["one", "two"]


@pytest.mark.anyio
async def test_closing_the_parent_closes_its_copies(fake: FakeConnectSafely) -> None:
    parent = fake.client()
    child = parent.with_options(max_retries=0)
    await parent.conversations.send("one", recipient_profile_id="jane-doe")
    await parent.aclose()
    assert child.is_closed
    with pytest.raises(ConnectSafelyError, match="closed"):
        await child.conversations.send("x", recipient_profile_id="jane-doe")


@pytest.mark.anyio
async def test_user_supplied_http_client_is_used_and_not_closed(fake: FakeConnectSafely) -> None:
    async with httpx.AsyncClient(transport=fake.transport(), headers={"X-Own": "1"}) as http:
        async with AsyncClient(api_key=fake.api_key, http_client=http) as client:
            await client.conversations.send("hi", recipient_profile_id="jane-doe")
        assert not http.is_closed
        assert fake.requests[0].headers["x-own"] == "1"


@pytest.mark.anyio
async def test_user_supplied_transport_is_used(fake: FakeConnectSafely) -> None:
    transport = httpx.ASGITransport(app=fake.app)  # type: ignore[arg-type]
    async with AsyncClient(api_key=fake.api_key, transport=transport) as client:
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
    assert len(fake.sends) == 1


def test_unclosed_client_that_made_requests_warns(fake: FakeConnectSafely) -> None:
    async def use() -> None:
        client = fake.client()
        await client.conversations.send("hi", recipient_profile_id="jane-doe")

    with pytest.warns(ResourceWarning, match="Unclosed"):
        anyio.run(use)
        gc.collect()


def test_unused_client_does_not_warn() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AsyncClient(api_key=KEY)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_client_used_from_another_event_loop_fails_clearly(fake: FakeConnectSafely) -> None:
    client = fake.client()

    async def use() -> None:
        await client.conversations.send("hi", recipient_profile_id="jane-doe")

    anyio.run(use)
    with pytest.raises(ConnectSafelyError, match="another event loop"):
        anyio.run(use)
    anyio.run(client.aclose)
    assert len(fake.sends) == 1
