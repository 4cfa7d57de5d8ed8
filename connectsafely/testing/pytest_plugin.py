"""The ``connectsafely`` pytest plugin: the fake, a client, a loopback server, environment
wiring and a webhook signer as fixtures for your own tests (see ``docs/testing.md``).

Installing the package registers it (the ``pytest11`` entry point ``connectsafely``);
``pytest -p no:connectsafely`` switches it off. This module imports nothing but pytest:
each fixture imports what it needs when a test first asks for it.

Fixtures (function scope unless said):

- ``connectsafely_fake``: a fresh `FakeConnectSafely`, seeded from the
  ``@pytest.mark.connectsafely(...)`` marker and checked at teardown (strict mode: a
  queued fault no request consumed, or a request to a path the fake does not serve,
  fails the test);
- ``connectsafely_client``: an `AsyncClient` wired to that fake in-process, closed after
  the test; retries happen at once (no backoff waits);
- ``connectsafely_server`` (session scope): that fake on a real ``127.0.0.1`` port (one
  server for the session, a fresh fake behind it for every test that uses it);
- ``connectsafely_env``: ``CONNECTSAFELY_API_KEY``, ``CONNECTSAFELY_BASE_URL`` and
  ``CONNECTSAFELY_ACCOUNT_ID`` pointing at that server, so code that builds its own
  ``AsyncClient()`` reaches the fake; restored after the test;
- ``connectsafely_webhook``: ``await connectsafely_webhook(target, secret=...)`` signs
  and POSTs a ``message.received`` event to an ASGI app or a URL, returning the
  response.

Every fixture is synchronous (the client is made and closed without an event loop), so
they work the same under anyio's plugin (asyncio and Trio) and pytest-asyncio (strict
and auto modes).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from connectsafely import AsyncClient
    from connectsafely.testing import FakeConnectSafely

    from ._plugin_server import FakeServer
    from ._plugin_webhook import PostWebhook

__all__ = [
    "connectsafely_client",
    "connectsafely_env",
    "connectsafely_fake",
    "connectsafely_server",
    "connectsafely_webhook",
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_makereport",
]

_MARKER = (
    "connectsafely(strict=True, accounts=(), sales_navigator=False, limits=None, now=None): "
    "seed the connectsafely_fake fixture and choose whether leftovers fail the test "
    "(nearest marker wins, per argument: test, then class, then module)"
)

_STRICT_INI = "connectsafely_strict"

_CALL_FAILED = pytest.StashKey[bool]()
_CURRENT_FAKE = pytest.StashKey["FakeConnectSafely"]()  # the running test's fake
_SERVER = pytest.StashKey["FakeServer"]()  # the session's server, once started


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``connectsafely_strict`` ini option (suite-wide default strictness)."""
    parser.addini(
        _STRICT_INI,
        type="bool",
        default=True,
        help="connectsafely_fake fails a test that left a queued fault unconsumed or sent "
        "a request the fake does not serve (default: true); "
        "@pytest.mark.connectsafely(strict=...) overrides it per test",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``connectsafely`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line("markers", _MARKER)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Remember whether a test's body failed: strict mode does not pile its leftovers
    (a fault the failed code never got to) onto the failure."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.stash[_CALL_FAILED] = True


@pytest.fixture
def connectsafely_fake(request: pytest.FixtureRequest) -> Iterator[FakeConnectSafely]:
    """A fresh `FakeConnectSafely` for the test, seeded from ``@pytest.mark.connectsafely``.

    Strict by default: at teardown, a fault queued with ``fail_next``,
    ``rate_limit_next``, ``drop_next`` or ``delay_next`` that no request consumed, or a
    request to a path the fake does not serve (``fake.unserved``), fails the test with
    the list of leftovers, even when the code under test swallowed the error.
    ``@pytest.mark.connectsafely(strict=False)`` (or ``connectsafely_strict = false`` in
    the ini file) relaxes it.
    """
    from ._plugin_options import new_fake, plugin_options

    options = plugin_options(request.node, request.config.getini(_STRICT_INI))
    fake = new_fake(options)
    request.config.stash[_CURRENT_FAKE] = fake
    server = request.config.stash.get(_SERVER, None)
    if server is not None:
        server.serve(fake)
    try:
        yield fake
    finally:
        del request.config.stash[_CURRENT_FAKE]
    if options.strict and not request.node.stash.get(_CALL_FAILED, False):
        from ._plugin_strict import leftovers

        problem = leftovers(fake)
        if problem is not None:
            pytest.fail(problem, pytrace=False)


@pytest.fixture
def connectsafely_client(
    connectsafely_fake: FakeConnectSafely, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AsyncClient]:
    """An `AsyncClient` wired to ``connectsafely_fake`` in-process, closed after the test.

    It keeps the default ``max_retries``, but retries happen at once: the backoff and
    ``Retry-After`` waits between attempts are skipped, so a test never sleeps for them.
    """
    from ._plugin_client import close_now, skip_retry_waits

    skip_retry_waits(monkeypatch)
    client = connectsafely_fake.client()
    yield client
    close_now(client)


@pytest.fixture(scope="session")
def connectsafely_server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    """The fake on a real ``127.0.0.1`` port (needs the ``server`` extra).

    Session-scoped: one uvicorn server (one ``base_url``) for the whole session, so a
    session-scoped fixture of yours can start your service against it. Before each test
    that uses it, a fresh fake is put behind the port: the test's ``connectsafely_fake``
    (also ``connectsafely_server.fake``). ``connectsafely_server.client(**options)`` is an
    `AsyncClient` over the socket, which the test closes.
    """
    from ._plugin_server import FakeServer

    server = FakeServer()
    request.config.stash[_SERVER] = server
    current = request.config.stash.get(_CURRENT_FAKE, None)
    if current is not None:
        server.serve(current)
    try:
        yield server
    finally:
        del request.config.stash[_SERVER]
        server.stop()


@pytest.fixture(autouse=True)
def _connectsafely_server_reset(request: pytest.FixtureRequest) -> None:
    """A test that uses ``connectsafely_server`` (itself or through a fixture of yours)
    gets a fresh fake behind it: its ``connectsafely_fake``, made now if it asked for none."""
    if "connectsafely_server" in request.fixturenames:
        request.getfixturevalue("connectsafely_fake")


@pytest.fixture
def connectsafely_env(
    connectsafely_server: FakeServer,
    connectsafely_fake: FakeConnectSafely,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """Point ``CONNECTSAFELY_API_KEY``, ``CONNECTSAFELY_BASE_URL`` and
    ``CONNECTSAFELY_ACCOUNT_ID`` at ``connectsafely_server``'s fake for the test.

    Code under test that builds its own ``AsyncClient()`` then reaches the fake; retries
    happen at once, as with ``connectsafely_client``. The variables are restored after
    the test. Returns the values set.
    """
    from ._plugin_client import skip_retry_waits

    skip_retry_waits(monkeypatch)
    values = {
        "CONNECTSAFELY_API_KEY": connectsafely_fake.api_key,
        "CONNECTSAFELY_BASE_URL": connectsafely_server.base_url,
        "CONNECTSAFELY_ACCOUNT_ID": connectsafely_fake.default_account_id,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def connectsafely_webhook() -> PostWebhook:
    """``await connectsafely_webhook(target, *, secret, text=..., conversation_urn=None)``:
    sign and POST one ``message.received`` event, as ConnectSafely would, to ``target``
    (an ASGI app, e.g. your `WebhookReceiver` or your service's app, or a URL) and
    return the `httpx.Response`."""
    from ._plugin_webhook import post_message_received

    return post_message_received


def __getattr__(name: str) -> Any:
    # `FakeServer` for annotations (``connectsafely_server: FakeServer``), without
    # importing its module before a test needs it.
    if name == "FakeServer":
        from ._plugin_server import FakeServer

        return FakeServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
