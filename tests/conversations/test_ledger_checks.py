"""A check that fails is "in doubt" (design §13, issue 23 item 1 and M6).

When a keyed send ends ambiguously, the ledger checks before sending again: it reads the
conversation (a reply) or finds it with ``conversations.exists`` and reads it (a send by
profile slug). When that check itself fails, for any reason, the send raises
`SendInDoubtError` (the key, the check's error as ``__cause__``), sends nothing again and
leaves the key in doubt: inside one call and on a later call alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely import AsyncClient, SendRequest, collect_in_order
from connectsafely.stores import MemoryStore
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND

pytestmark = pytest.mark.anyio

EXISTS = "/linkedin/conversations/exists/"
MANY = 9
"""More faults than a call has attempts: the check fails on every retry."""

Fault = Callable[[FakeConnectSafely, str], object]


def _read_path(urn: str) -> str:
    return f"/linkedin/conversations/{urn}/messages"


# Each way a check can fail, installed on the path the check reads, and the error the
# check gets (the `__cause__` of the `SendInDoubtError`).
CHECK_FAILURES: list[tuple[str, Fault, type[Exception]]] = [
    (
        "503-every-retry",
        lambda fake, path: fake.fail_next(503, count=MANY, path=path),
        connectsafely.InternalServerError,
    ),
    (
        "404-not-found",
        lambda fake, path: fake.fail_next(
            404,
            count=MANY,
            path=path,
            body={"success": False, "message": "Conversation not found"},
        ),
        connectsafely.NotFoundError,
    ),
    (
        "dropped",
        lambda fake, path: fake.drop_next(count=MANY, path=path),
        connectsafely.APIConnectionError,
    ),
    (
        "undecodable",
        lambda fake, path: fake.fail_next(200, count=MANY, body="<html>oops</html>", path=path),
        connectsafely.APIResponseValidationError,
    ),
    (
        "timeout",
        lambda fake, path: fake.delay_next(5.0, count=MANY, path=path),
        connectsafely.APITimeoutError,
    ),
]
IDS = [case[0] for case in CHECK_FAILURES]


def thread(fake: FakeConnectSafely) -> str:
    return fake.add_conversation(recipient_profile_id="jordan-lee").urn


def _assert_in_doubt(info: pytest.ExceptionInfo[connectsafely.SendInDoubtError], key: str) -> None:
    error = info.value
    assert error.idempotency_key == key
    assert "could not be completed" in str(error) and "new key" in str(error)


@pytest.mark.parametrize(("name", "fault", "cause"), CHECK_FAILURES, ids=IDS)
async def test_a_reply_whose_check_fails_is_in_doubt_not_the_checks_error(
    make_client: Any, fake: FakeConnectSafely, name: str, fault: Fault, cause: type[Exception]
) -> None:
    urn = thread(fake)
    fake.fail_next(500, path=SEND, after_processing=True)  # sent, but the answer is lost
    fault(fake, _read_path(urn))
    async with make_client(timeout=0.2) as client:
        with pytest.raises(connectsafely.SendInDoubtError) as info:
            await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
        _assert_in_doubt(info, "k")
        assert isinstance(info.value.__cause__, cause)
        assert len(fake.requests_to(SEND)) == 1 and len(fake.sends) == 1  # never re-sent

        # The key stays in doubt: the next call checks again before anything else, and
        # while the check still fails it is refused again, still without a send.
        with pytest.raises(connectsafely.SendInDoubtError):
            await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
        assert len(fake.requests_to(SEND)) == 1
        fake.clear_faults()
        found = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert found.replayed and len(fake.sends) == 1


@pytest.mark.parametrize(("name", "fault", "cause"), CHECK_FAILURES[:3], ids=IDS[:3])
async def test_a_cold_send_whose_exists_lookup_fails_is_in_doubt(
    client: AsyncClient, fake: FakeConnectSafely, name: str, fault: Fault, cause: type[Exception]
) -> None:
    fake.drop_next(path=SEND, after_processing=True)
    fault(fake, EXISTS)
    with pytest.raises(connectsafely.SendInDoubtError) as info:
        await client.conversations.send("Hi!", recipient_profile_id="ana-lima", idempotency_key="k")
    _assert_in_doubt(info, "k")
    assert isinstance(info.value.__cause__, cause)
    assert len(fake.requests_to(SEND)) == 1 and len(fake.sends) == 1


async def test_a_cold_send_whose_thread_read_fails_is_in_doubt(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.drop_next(path=SEND, after_processing=True)
    fake.fail_next(503, count=MANY, method="GET", path="/linkedin/conversations/urn")
    with pytest.raises(connectsafely.SendInDoubtError) as info:
        await client.conversations.send("Hi!", recipient_profile_id="ana-lima", idempotency_key="k")
    assert isinstance(info.value.__cause__, connectsafely.InternalServerError)
    paths = [r.path for r in fake.requests]
    assert paths[:2] == [SEND, f"{EXISTS}ana-lima"] and paths.count(SEND) == 1
    assert len(fake.sends) == 1


async def test_a_later_caller_finding_the_key_in_doubt_gets_the_same_rule(
    make_client: Any, fake: FakeConnectSafely
) -> None:
    """A fresh client (another process, sharing the store) finds the key in doubt; its
    check fails too: `SendInDoubtError`, nothing sent, the key still in doubt."""
    urn = thread(fake)
    store = MemoryStore()
    fake.delay_next(5.0, path=SEND)  # the first caller dies mid-call (cancelled here)
    async with make_client(store=store) as first:
        with anyio.move_on_after(0.3):
            await first.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    fake.fail_next(404, count=MANY, path=_read_path(urn))
    async with make_client(store=store) as later:
        with pytest.raises(connectsafely.SendInDoubtError) as info:
            await later.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    _assert_in_doubt(info, "k")
    assert isinstance(info.value.__cause__, connectsafely.NotFoundError)
    assert len(fake.requests_to(SEND)) == 1 and fake.sends == []
    fake.clear_faults()
    async with make_client(store=store) as last:
        # Still in doubt: checked again (nothing there, as the first send never went
        # out), then sent once.
        result = await last.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert not result.replayed and len(fake.sends) == 1
    assert [r.method for r in fake.requests[-2:]] == ["GET", "POST"]


async def test_send_many_items_carry_the_in_doubt_error_in_their_outcome(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.fail_next(500, path=SEND, after_processing=True)
    fake.fail_next(503, count=MANY, path=_read_path(urn))
    items = [SendRequest("Hi!", conversation_urn=urn, idempotency_key="k")]
    [outcome] = await collect_in_order(client.conversations.send_many(items))
    assert isinstance(outcome.error, connectsafely.SendInDoubtError)
    assert outcome.error.idempotency_key == "k"
    assert isinstance(outcome.error.__cause__, connectsafely.InternalServerError)
    assert len(fake.sends) == 1


async def test_a_check_cancelled_stays_cancellation_and_leaves_the_key_in_doubt(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    urn = thread(fake)
    fake.fail_next(500, path=SEND, after_processing=True)
    fake.delay_next(5.0, path=_read_path(urn))
    with anyio.move_on_after(0.3) as scope:
        await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert scope.cancelled_caught  # cancelled, not turned into an error
    result = await client.conversations.send("Hi!", conversation_urn=urn, idempotency_key="k")
    assert result.replayed and len(fake.sends) == 1  # checked (found), never re-sent
    assert [r.method for r in fake.requests] == ["POST", "GET", "GET"]


# -- M6: an `exists` answer without `hasConversation` is unknown, not "no thread" -------------


async def test_exists_without_has_conversation_is_a_validation_error(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.fail_next(200, body={"success": True}, path=EXISTS)
    with pytest.raises(connectsafely.APIResponseValidationError, match="hasConversation"):
        await client.conversations.exists("ana-lima")
    fake.fail_next(200, body={"success": True, "hasConversation": None}, path=EXISTS)
    with pytest.raises(connectsafely.APIResponseValidationError, match="hasConversation"):
        await client.conversations.exists("ana-lima")
    answered = await client.conversations.exists("ana-lima")  # the fake always says
    assert answered.has_conversation is False


async def test_a_sparse_exists_answer_never_leads_to_a_second_cold_send(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    """The audit's reproduction: the send went out, its answer was lost, and the check's
    ``exists`` answered ``{"success": true}``. Read as "no thread", the message was sent
    a second time; unknown, it is in doubt."""
    fake.drop_next(path=SEND, after_processing=True)
    fake.fail_next(200, count=MANY, body={"success": True}, path=EXISTS)
    with pytest.raises(connectsafely.SendInDoubtError) as info:
        await client.conversations.send("Hi!", recipient_profile_id="ana-lima", idempotency_key="k")
    assert isinstance(info.value.__cause__, connectsafely.APIResponseValidationError)
    assert "hasConversation" in str(info.value.__cause__)
    assert len(fake.requests_to(SEND)) == 1 and len(fake.sends) == 1


async def test_exists_naming_a_thread_without_its_urn_is_in_doubt(
    client: AsyncClient, fake: FakeConnectSafely
) -> None:
    fake.drop_next(path=SEND, after_processing=True)
    fake.fail_next(200, count=MANY, body={"success": True, "hasConversation": True}, path=EXISTS)
    with pytest.raises(connectsafely.SendInDoubtError):
        await client.conversations.send("Hi!", recipient_profile_id="ana-lima", idempotency_key="k")
    assert len(fake.sends) == 1
