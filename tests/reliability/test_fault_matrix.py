"""Every server fault, for every call, over a real loopback socket.

Each case injects one fault into the fake (served by uvicorn on 127.0.0.1) and checks
what the caller sees: the exact exception type (or success), how many attempts reached
the server, how many retry sleeps were taken, that nothing hangs (``fail_after``), and
that the client is still usable afterwards with no connection left checked out.

The client gets a pool of exactly one connection and a 0.5 s pool timeout, so a
connection leaked by any failure path shows up as a timeout on the very next call.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient, Attachment, Message, SendResult
from connectsafely.stores import MemoryStore
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND, UPLOAD, messages_path

pytestmark = pytest.mark.anyio

MAX_ATTEMPTS = 3  # the default max_retries=2
HUGE = 10 * 1024 * 1024
HTML_502 = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
POOL = httpx.Timeout(5.0, pool=0.5)
SHORT_READ = httpx.Timeout(5.0, read=0.15, pool=0.5)


@attrs.define
class World:
    """What a call needs: the fake, a seeded conversation and a file to upload."""

    fake: FakeConnectSafely
    conversation_urn: str
    file: Path


@attrs.frozen
class Operation:
    """One public call, the path its requests go to, and a check of its result."""

    name: str
    path: Callable[[World], str]
    call: Callable[[AsyncClient, World], Awaitable[object]]
    succeeded: Callable[[object], bool]


async def _send(client: AsyncClient, world: World) -> object:
    return await client.conversations.send("Hello", recipient_profile_id="jane-doe")


async def _messages(client: AsyncClient, world: World) -> object:
    return [m async for m in client.conversations.messages(world.conversation_urn)]


async def _upload(client: AsyncClient, world: World) -> object:
    return await client.attachments.upload(world.file)


OPERATIONS = [
    Operation("send", lambda w: SEND, _send, lambda r: isinstance(r, SendResult) and r.success),
    Operation(
        "messages",
        lambda w: messages_path(w.conversation_urn),
        _messages,
        lambda r: isinstance(r, list) and len(r) == 3 and isinstance(r[0], Message),
    ),
    Operation(
        "upload",
        lambda w: UPLOAD,
        _upload,
        lambda r: isinstance(r, Attachment) and r.byte_size == 4096,
    ),
]


@attrs.frozen
class Fault:
    """A fault to inject and what the caller must see.

    ``error`` is ``None`` when the call must succeed (the fault was retried away);
    ``send_error`` replaces it for the (cold) send where that is more precise.
    ``check`` gets the raised error (or ``None``) and the recorded retry sleeps.
    """

    name: str
    inject: Callable[[FakeConnectSafely, str], object]
    error: type[Exception] | None
    attempts: int
    timeout: httpx.Timeout = POOL
    check: Callable[[Exception | None, list[float]], None] | None = None
    send_error: type[Exception] | None = None


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def _waited(seconds: float) -> Callable[[Exception | None, list[float]], None]:
    def check(error: Exception | None, sleeps: list[float]) -> None:
        assert sleeps == [pytest.approx(seconds)]

    return check


def _http_date_wait(error: Exception | None, sleeps: list[float]) -> None:
    assert len(sleeps) == 1 and 17 <= sleeps[0] <= 21


def _hours_away(error: Exception | None, sleeps: list[float]) -> None:
    assert isinstance(error, connectsafely.RateLimitError)
    assert error.retry_after == pytest.approx(3 * 3600)
    assert sleeps == []


def _titled(error: Exception | None, sleeps: list[float]) -> None:
    assert isinstance(error, connectsafely.APIStatusError)
    assert str(error) == "502 Bad Gateway: 502 Bad Gateway"
    assert error.body == HTML_502


def _status_text_only(error: Exception | None, sleeps: list[float]) -> None:
    assert str(error) == "503 Service Unavailable"
    assert isinstance(error, connectsafely.APIStatusError) and error.body is None


def _short_message(error: Exception | None, sleeps: list[float]) -> None:
    assert isinstance(error, connectsafely.APIStatusError)
    assert len(str(error)) < 400
    assert isinstance(error.body, str) and len(error.body) == HUGE


def _reason_kept(error: Exception | None, sleeps: list[float]) -> None:
    assert isinstance(error, connectsafely.OperationFailedError)
    assert error.status_code == 200
    assert "LinkedIn refused" in str(error)


def _not_json(error: Exception | None, sleeps: list[float]) -> None:
    assert isinstance(error, connectsafely.APIResponseValidationError)
    assert error.status_code == 200


FAULTS = [
    *(
        Fault(f"{status}-once", lambda f, p, s=status: f.fail_next(s, path=p), None, 2)
        for status in (500, 502, 503, 504)
    ),
    *(
        Fault(
            f"{status}-persistent",
            lambda f, p, s=status: f.fail_next(s, count=MAX_ATTEMPTS, path=p),
            connectsafely.InternalServerError,
            MAX_ATTEMPTS,
        )
        for status in (500, 502, 503, 504)
    ),
    Fault(
        "429-retry-after-seconds",
        lambda f, p: f.rate_limit_next(retry_after=2, path=p),
        None,
        2,
        check=_waited(2.0),
    ),
    Fault(
        "429-retry-after-http-date",
        lambda f, p: f.rate_limit_next(retry_after=_http_date(20), path=p),
        None,
        2,
        check=_http_date_wait,
    ),
    Fault(
        "429-retry-after-hours-away",
        lambda f, p: f.rate_limit_next(retry_after=3 * 3600, path=p),
        connectsafely.RateLimitError,
        1,
        check=_hours_away,
        # A cold send told to wait hours has met its account's daily quota.
        send_error=connectsafely.QuotaExceededError,
    ),
    Fault(
        "429-persistent",
        lambda f, p: f.rate_limit_next(retry_after=1, count=MAX_ATTEMPTS, path=p),
        connectsafely.RateLimitError,
        MAX_ATTEMPTS,
    ),
    Fault("dropped-once", lambda f, p: f.drop_next(path=p), None, 2),
    Fault(
        "dropped-persistent",
        lambda f, p: f.drop_next(count=MAX_ATTEMPTS, path=p),
        connectsafely.APIConnectionError,
        MAX_ATTEMPTS,
    ),
    Fault("cut-mid-body-once", lambda f, p: f.drop_next(mid_body=True, path=p), None, 2),
    Fault(
        "cut-mid-body-persistent",
        lambda f, p: f.drop_next(mid_body=True, count=MAX_ATTEMPTS, path=p),
        connectsafely.APIConnectionError,
        MAX_ATTEMPTS,
    ),
    Fault(
        "read-timeout-once",
        lambda f, p: f.delay_next(0.6, path=p),
        None,
        2,
        timeout=SHORT_READ,
    ),
    Fault(
        "read-timeout-persistent",
        lambda f, p: f.delay_next(0.6, count=MAX_ATTEMPTS, path=p),
        connectsafely.APITimeoutError,
        MAX_ATTEMPTS,
        timeout=SHORT_READ,
    ),
    Fault(
        "non-json-200",
        lambda f, p: f.fail_next(200, body="<html>maintenance</html>", path=p),
        connectsafely.APIResponseValidationError,
        1,
        check=_not_json,
    ),
    Fault(
        "html-502-once",
        lambda f, p: f.fail_next(502, body=HTML_502, headers={"content-type": "text/html"}, path=p),
        None,
        2,
    ),
    Fault(
        "html-502-persistent",
        lambda f, p: f.fail_next(
            502, body=HTML_502, headers={"content-type": "text/html"}, count=MAX_ATTEMPTS, path=p
        ),
        connectsafely.InternalServerError,
        MAX_ATTEMPTS,
        check=_titled,
    ),
    Fault(
        "empty-200",
        lambda f, p: f.fail_next(200, body=b"", path=p),
        connectsafely.APIResponseValidationError,
        1,
        check=_not_json,
    ),
    Fault(
        "empty-503-persistent",
        lambda f, p: f.fail_next(503, body=b"", count=MAX_ATTEMPTS, path=p),
        connectsafely.InternalServerError,
        MAX_ATTEMPTS,
        check=_status_text_only,
    ),
    Fault(
        "huge-error-body-once",
        lambda f, p: f.fail_next(500, body="x" * HUGE, path=p),
        None,
        2,
    ),
    Fault(
        "huge-error-body-not-retried",
        lambda f, p: f.fail_next(400, body="x" * HUGE, path=p),
        connectsafely.BadRequestError,
        1,
        check=_short_message,
    ),
    Fault(
        "success-false-on-200",
        lambda f, p: f.fail_next(200, body={"success": False, "error": "LinkedIn refused"}, path=p),
        connectsafely.OperationFailedError,
        1,
        check=_reason_kept,
    ),
]


def _end_server_requested_pause(client: AsyncClient) -> None:
    """Let time catch up with the recorded retry sleeps.

    A 429's ``Retry-After`` also pauses every other call of the client (client-wide
    rate-limit coordination) in real time, while the `sleeps` fixture records the
    retry's own wait instead of sleeping it. In real use the retry has slept past the
    pause by the time it returns; here we end the pause as that sleep would have.
    """
    client._core.pool.limiter.state = MemoryStore()


@pytest.fixture
def world(fake: FakeConnectSafely, tmp_path: Path) -> World:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 3)
    file = tmp_path / "report.pdf"
    file.write_bytes(b"%PDF" + bytes(4092))
    return World(fake, conversation.urn, file)


@pytest.fixture
async def one_connection_client(
    fake: FakeConnectSafely, loopback: Any
) -> AsyncIterator[AsyncClient]:
    """A client over loopback whose pool has ONE connection and a 0.5 s pool timeout."""
    server, app = loopback
    app.target = fake
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=POOL) as http,
        AsyncClient(
            api_key=fake.api_key, base_url=server.base_url, http_client=http, timeout=POOL
        ) as client,
    ):
        yield client


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.name)
async def test_fault_ends_in_the_documented_outcome_and_leaves_the_client_usable(
    operation: Operation,
    fault: Fault,
    one_connection_client: AsyncClient,
    world: World,
    sleeps: list[float],
) -> None:
    fake = world.fake
    path = operation.path(world)
    fault.inject(fake, path)
    caller = one_connection_client.with_options(timeout=fault.timeout)

    raised: Exception | None = None
    expected = fault.error
    if operation.name == "send" and fault.send_error is not None:
        expected = fault.send_error
    with anyio.fail_after(10):
        if expected is None:
            assert operation.succeeded(await operation.call(caller, world))
        else:
            with pytest.raises(expected) as info:
                await operation.call(caller, world)
            raised = info.value
            assert type(raised) is expected

    assert len(fake.requests_to(path)) == fault.attempts
    assert len(sleeps) == fault.attempts - 1
    if fault.check is not None:
        fault.check(raised, sleeps)
    assert fake.pending_faults == [], "every injected fault was consumed"

    # Still usable, and the single pooled connection came back: a leak would make
    # these calls wait 0.5 s for the pool and fail with a timeout.
    _end_server_requested_pause(one_connection_client)
    with anyio.fail_after(10):
        for _ in range(2):
            assert operation.succeeded(await operation.call(one_connection_client, world))
    assert len(fake.requests_to(path)) == fault.attempts + 2


async def test_cut_response_after_the_send_was_accepted_is_sent_again_with_the_same_key(
    one_connection_client: AsyncClient, fake: FakeConnectSafely
) -> None:
    # The documented duplicate-send risk: the server accepted the send, the answer was
    # lost, the retry sends it again. Both attempts carry the same Idempotency-Key so a
    # deduplicating server can recognise the repeat.
    fake.drop_next(mid_body=True, path=SEND)
    with anyio.fail_after(10):
        await one_connection_client.conversations.send("Hello", recipient_profile_id="jane-doe")
    assert len(fake.sends) == 2
    assert fake.sends[0].idempotency_key == fake.sends[1].idempotency_key


async def test_deduplicating_server_turns_the_lost_answer_into_one_send(
    one_connection_client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.honor_idempotency_keys = True
    fake.drop_next(mid_body=True, path=SEND)
    with anyio.fail_after(10):
        result = await one_connection_client.conversations.send(
            "Hello", recipient_profile_id="jane-doe"
        )
    assert result.success
    assert len(fake.sends) == 1
    assert len(fake.requests_to(SEND)) == 2


async def test_failure_before_processing_never_duplicates_a_send(
    one_connection_client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(503, path=SEND)
    fake.drop_next(path=SEND)
    with anyio.fail_after(10):
        await one_connection_client.conversations.send("Hello", recipient_profile_id="jane-doe")
    assert len(fake.requests_to(SEND)) == 3
    assert len(fake.sends) == 1


async def test_no_retries_means_one_attempt_for_every_retryable_fault(
    one_connection_client: AsyncClient, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    once = one_connection_client.with_options(max_retries=0)
    injections: list[tuple[Callable[[], object], type[Exception]]] = [
        (lambda: fake.fail_next(503, path=SEND), connectsafely.InternalServerError),
        (lambda: fake.rate_limit_next(retry_after=1, path=SEND), connectsafely.RateLimitError),
        (lambda: fake.drop_next(path=SEND), connectsafely.APIConnectionError),
        (lambda: fake.drop_next(mid_body=True, path=SEND), connectsafely.APIConnectionError),
    ]
    with anyio.fail_after(10):
        for inject, error in injections:
            inject()
            with pytest.raises(error):
                await once.conversations.send("Hello", recipient_profile_id="jane-doe")
            _end_server_requested_pause(once)
        assert (await once.conversations.send("Hello", recipient_profile_id="jane-doe")).success
    assert len(fake.requests_to(SEND)) == len(injections) + 1
    assert sleeps == []


async def test_a_page_failing_mid_walk_resumes_at_that_page(
    one_connection_client: AsyncClient, fake: FakeConnectSafely
) -> None:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 25)
    path = messages_path(conversation.urn)
    pager = one_connection_client.conversations.messages(conversation.urn, page_size=10)
    got: list[Message] = []
    with anyio.fail_after(10):
        async for message in pager:
            got.append(message)
            if len(got) == 10:
                break
        fake.fail_next(503, count=MAX_ATTEMPTS, path=path)
        with pytest.raises(connectsafely.InternalServerError):
            await anext(pager)
        got.extend([m async for m in pager])
    assert len(got) == 25 and len({m.message_urn for m in got}) == 25
