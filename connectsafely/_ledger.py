"""The send ledger: at most one message per idempotency key (design §10).

The API documents no server-side deduplication, so the SDK keeps the promise itself, in
the client's store (this process, this machine or every machine sharing a Redis):

    claim the key ─┬─ delivered before   -> the recorded result, ``replayed=True``
                   ├─ held by a live call -> SendInProgressError
                   ├─ used for another request -> ValueError
                   ├─ in doubt           -> check the conversation first:
                   │                        found -> recorded, ``replayed=True``
                   │                        not found -> send; cannot check -> SendInDoubtError
                   └─ new                -> send, renewing the claim's lease meanwhile
    then: sent -> deliver (record the result) | refused for sure -> release | unknown -> doubt

Inside the call the same rule holds: after an ambiguous failure (5xx, timeout, a
connection that died once the request was sent) the next attempt is preceded by the
check, and where no check is possible the call raises `SendInDoubtError` instead of
retrying. The check is a callable the resource provides (it reads the conversation);
the ledger knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio
import attrs

from ._errors import SendInDoubtError, SendInProgressError, StoreError
from ._models.messages import SendResult
from ._models.sales_navigator import SalesNavSendResult
from ._retry import Recover, outcome_unknown
from ._serde import structure, unstructure
from .stores._base import ClaimStatus, Store

if sys.version_info < (3, 11):  # pragma: no cover - the backport anyio brings along
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found, unused-ignore]

__all__ = ["Ledger", "Verify", "request_digest"]

logger = logging.getLogger("connectsafely")

R = TypeVar("R", SendResult, SalesNavSendResult)
"""What a send returns: a `SendResult`, or a `SalesNavSendResult` (both record ``replayed``)."""

Verify = Callable[[float], Awaitable[Any]]
"""Looks for the message of a send whose first attempt began at the given epoch
seconds: the delivered result if it is there, else ``None`` (read errors propagate)."""

SendOnce = Callable[["Recover[R] | None"], Awaitable[R]]
"""Sends the request through the pipeline, checking with the given recover hook."""


def request_digest(body: Mapping[str, Any]) -> str:
    """A digest of what a send asks for (text, recipients, channel, account, ...), to
    tell a reused key from a repeated request. The body itself is never stored."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Ledger:
    """The send ledger of one client scope in a store.

    Args:
        store: Where entries live.
        prefix: The client's scope in the store (a hash of the API key).
    """

    __slots__ = ("prefix", "store")

    def __init__(self, store: Store, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    async def send(
        self,
        idempotency_key: str,
        digest: str,
        send: SendOnce[R],
        verify: Verify | None,
        result_type: type[R] = SendResult,  # type: ignore[assignment]
    ) -> R:
        """Send at most once for ``idempotency_key`` (see the module docs).

        ``verify`` returns the delivered result (of ``result_type``) if it finds one.
        """
        store = self.store
        key = f"{self.prefix}|send|{idempotency_key}" if self.prefix else idempotency_key
        claim = await store.claim(key, digest, time.time())
        if claim.status is ClaimStatus.MISMATCH:
            raise ValueError(
                f"idempotency_key {idempotency_key!r} was already used for a different "
                "request (other text, recipient, channel or account); use a new key."
            )
        if claim.status is ClaimStatus.DELIVERED:
            return _replayed(claim.result, store, result_type)
        if claim.status is ClaimStatus.IN_PROGRESS:
            raise SendInProgressError(
                f"idempotency_key {idempotency_key!r} is being sent by another caller "
                "right now; not sending it twice.",
                idempotency_key=idempotency_key,
            )
        token = claim.token
        started_at = claim.started_at if claim.started_at is not None else time.time()
        assert token is not None
        if claim.status is ClaimStatus.IN_DOUBT:
            found = await self._check(idempotency_key, key, token, verify, started_at)
            if found is not None:
                assert isinstance(found, result_type)
                return found

        async def recover(error: BaseException) -> R | None:
            if verify is None:
                raise _in_doubt(idempotency_key) from error
            result = await _look(verify, started_at, idempotency_key)
            return None if result is None else attrs.evolve(result, replayed=True)

        return await self._send_claimed(key, token, send, recover)

    async def _check(
        self, idempotency_key: str, key: str, token: str, verify: Verify | None, started_at: float
    ) -> Any:
        """Settle a key in doubt: record and return what was found, or ``None`` to send."""
        store = self.store
        if verify is None:
            await _shielded(store.doubt(key, token))
            raise _in_doubt(idempotency_key)
        try:
            found = await _look(verify, started_at, idempotency_key)
        except BaseException:
            await _shielded(store.doubt(key, token))
            raise
        if found is None:
            return None
        result = attrs.evolve(found, replayed=True)
        await store.deliver(key, token, _encode(result), time.time())
        return result

    async def _send_claimed(
        self, key: str, token: str, send: SendOnce[R], recover: Recover[R]
    ) -> R:
        store = self.store
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._renew, key, token)
                try:
                    result = await send(recover)
                finally:
                    group.cancel_scope.cancel()
        except BaseException as raised:
            error = _single(raised)  # the task group wraps the send's own error
            settle = store.release(key, token) if _definite(error) else store.doubt(key, token)
            await _shielded(settle)
            if isinstance(error, Exception):
                raise error from error.__cause__  # out of the group, its cause kept
            raise  # cancellation and the like: as it came, for its scope to catch
        try:
            await _shielded(store.deliver(key, token, _encode(result), time.time()))
        except StoreError as exc:
            # The message went out: return it. The entry stays claimed until its lease
            # expires; the next claimant then checks the conversation and finds it.
            logger.warning("Sent, but could not record it in %r: %s", store, exc)
        return result

    async def _renew(self, key: str, token: str) -> None:
        """Keep the claim alive while the send runs (a third of the lease apart)."""
        store = self.store
        while True:
            await anyio.sleep(store.lease / 3)
            try:
                if not await store.renew(key, token, time.time()):
                    logger.warning("Lost the claim on a send in %r while sending it", store)
                    return
            except StoreError as exc:
                logger.warning("Could not renew a send's claim in %r: %s", store, exc)


def _single(error: BaseException) -> BaseException:
    """The one exception inside (nested) single-member exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def _definite(error: BaseException) -> bool:
    """A failure that proves the message was not sent: the key may be used again."""
    if isinstance(error, Exception):
        return not outcome_unknown(error) and not isinstance(error, SendInDoubtError)
    return False  # cancelled or interrupted mid-call: unknown


async def _look(verify: Verify, started_at: float, idempotency_key: str) -> Any:
    """Run the check that settles a send in doubt: THE rule for a check that fails.

    A check that cannot be completed (an error status, a connection error, a timeout,
    a body that does not decode: any `Exception`) is a check that was not possible:
    `SendInDoubtError`, with the check's error as ``__cause__``; the caller leaves the
    key in doubt and sends nothing. Cancellation (not an `Exception`) stays
    cancellation.
    """
    try:
        return await verify(started_at)
    except SendInDoubtError:
        raise  # the check itself said it cannot tell
    except Exception as exc:
        raise _check_failed(idempotency_key, exc) from exc


def _check_failed(idempotency_key: str, error: Exception) -> SendInDoubtError:
    return SendInDoubtError(
        f"A send under idempotency_key {idempotency_key!r} may have reached LinkedIn, and "
        f"the check that should tell (reading the conversation) could not be completed "
        f"({type(error).__name__}: {error}): not sending it again. Look at the "
        "conversation; if the message is not there, send it with a new key.",
        idempotency_key=idempotency_key,
    )


def _in_doubt(idempotency_key: str) -> SendInDoubtError:
    return SendInDoubtError(
        f"A send under idempotency_key {idempotency_key!r} may have reached LinkedIn and "
        "there is no way to check (a send by recipient_profile_urn): not sending it again. "
        "Check the conversation, then send with a new key if it is not there.",
        idempotency_key=idempotency_key,
    )


def _encode(result: object) -> str:
    return json.dumps(unstructure(result), separators=(",", ":"), ensure_ascii=False)


def _replayed(recorded: str | None, store: Store, result_type: type[R]) -> R:
    try:
        data = json.loads(recorded or "")
        result = structure(data, result_type)
    except Exception as exc:
        raise StoreError(f"A recorded send in {store!r} is corrupt: {exc}") from None
    return attrs.evolve(result, replayed=True)


async def _shielded(step: Awaitable[None]) -> None:
    """Record an outcome even while the caller is being cancelled."""
    with anyio.CancelScope(shield=True):
        await step
