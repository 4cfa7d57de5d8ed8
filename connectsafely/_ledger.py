"""The send ledger: at most one message per idempotency key (design §10, §13).

The API documents no server-side deduplication, so the SDK keeps the promise itself, in
the client's store (this process, this machine or every machine sharing a Redis):

    peek at the key (before any pacing wait; stores that cannot peek skip this):
        delivered before   -> the recorded result, ``replayed=True``, no wait, no request
        held by another    -> SendInProgressError (when its claim expires), no wait
        another request    -> ValueError
    wait for admission (limits, pacing), then claim the key (`_Run.claim`, the
    pipeline's ``before_send`` hook): the same answers, or
        in doubt -> check first: found -> recorded, ``replayed=True``;
                    not found -> send; no check, or the check failed -> SendInDoubtError
        new      -> send, renewing the claim's lease meanwhile
    then: sent -> deliver (record the result) | refused for sure -> release | unknown -> doubt

The claim is taken as late as possible, once the call is admitted to send: a worker
killed while its sends wait for their pacing slots holds no claim on them, so a re-run
sends them at once. The lease is short (`stores.DEFAULT_LEASE`) and renewed every third
of it, so a claim whose holder died ends within seconds.

Inside the call the same rule holds: after an ambiguous failure (5xx, timeout, a
connection that died once the request was sent) the next attempt is preceded by the
check, and where no check is possible the call raises `SendInDoubtError` instead of
retrying. The check is a callable the resource provides (it reads the conversation,
or for an invitation the relationship);
the ledger knows nothing of HTTP. A check that fails is decided in one place, `_look`:
in doubt, never the check's own error.

What became of one keyed send is read at `Ledger.send`: a result with ``replayed``
False was sent, True was replayed (recorded, or found by a check); `SendInDoubtError`
means in doubt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import anyio.lowlevel
import attrs
from anyio.abc import TaskGroup

from ._errors import SendInDoubtError, SendInProgressError, StoreError
from ._models.messages import SendResult
from ._retry import BeforeSend, Recover, outcome_unknown
from ._serde import structure, unstructure
from .stores._base import Claim, ClaimStatus, Store

if TYPE_CHECKING:
    # Only the type checker needs these: at run time the constraints below stay strings,
    # so importing the client does not load the invitation and profile models.
    from ._models.invitations import InvitationResult
    from ._models.sales_navigator import SalesNavSendResult

if sys.version_info < (3, 11):  # pragma: no cover - the backport anyio brings along
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found, unused-ignore]

__all__ = ["Ledger", "Verify", "request_digest"]

logger = logging.getLogger("connectsafely")

R = TypeVar("R", SendResult, "SalesNavSendResult", "InvitationResult")
"""What a keyed send returns: a `SendResult`, a `SalesNavSendResult` or an
`InvitationResult` (each records ``replayed``)."""

Verify = Callable[[float], Awaitable[Any]]
"""Looks for what a send whose first attempt began at the given epoch seconds would
have left (the message in its conversation, the invitation in the relationship): the
delivered result if it is there, else ``None``. Any error it raises makes
the send in doubt (see `_look`)."""

SendOnce = Callable[["Recover[R] | None", "BeforeSend | None"], Awaitable[R]]
"""Sends the request through the pipeline, checking with the given recover hook and
awaiting the given ``before_send`` hook once the call is admitted to send."""


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
        key = f"{self.prefix}|send|{idempotency_key}" if self.prefix else idempotency_key
        run = _Run(
            self.store,
            key,
            idempotency_key=idempotency_key,
            digest=digest,
            verify=verify,
            result_type=result_type,
        )
        seen = await self.store.peek(key, digest, time.time())
        if seen is not None:
            replayed = run.settled(seen)
            if replayed is not None:
                return replayed
        return await run.go(send)


class _AnsweredError(Exception):
    """Raised by `_Run.claim` through the pipeline when the answer is known without a
    send (recorded before, or found by the check): ends the call, nothing sent."""

    def __init__(self, result: Any) -> None:
        super().__init__("answered without a send")
        self.result = result


class _Run(Generic[R]):
    """One keyed send: its claim (taken once admitted), its check and its settlement."""

    __slots__ = (
        "_done",
        "_group",
        "_renewing",
        "digest",
        "idempotency_key",
        "in_doubt",
        "key",
        "result_type",
        "sending",
        "started_at",
        "store",
        "token",
        "verify",
    )

    def __init__(
        self,
        store: Store,
        key: str,
        *,
        idempotency_key: str,
        digest: str,
        verify: Verify | None,
        result_type: type[R],
    ) -> None:
        self.store = store
        self.key = key
        self.idempotency_key = idempotency_key
        self.digest = digest
        self.verify = verify
        self.result_type: type[R] = result_type
        self.token: str | None = None  # set once the claim is ours
        self.started_at = time.time()  # when the first attempt under the key began
        self.in_doubt = False  # the claim was taken over in doubt
        self.sending = False  # the claim and its check passed: the request may go out
        self._group: TaskGroup | None = None
        self._done: anyio.Event | None = None  # set when the send ended: stop renewing
        self._renewing = False  # a renewal is talking to the store right now

    def settled(self, claim: Claim) -> R | None:
        """The answer for a key the caller cannot take: the recorded result (replayed),
        or raise; ``None`` when the caller may claim it (new, or in doubt)."""
        status = claim.status
        if status is ClaimStatus.MISMATCH:
            raise ValueError(
                f"idempotency_key {self.idempotency_key!r} was already used for a different "
                "request (other text, recipient, channel or account); use a new key."
            )
        if status is ClaimStatus.DELIVERED:
            recorded: R = _replayed(claim.result, self.store, self.result_type)
            return recorded
        if status is ClaimStatus.IN_PROGRESS:
            raise _in_progress(self.idempotency_key, claim.lease_until, self.store.lease)
        return None

    async def go(self, send: SendOnce[R]) -> R:
        """Send through the pipeline, which calls `claim` once admitted; settle after."""
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                try:
                    result = await send(self.recover, self.claim)
                finally:
                    self._stop_renewing(group)
        except BaseException as raised:
            error = _single(raised)  # the task group wraps the send's own error
            if isinstance(error, _AnsweredError):
                answered: R = error.result
                return answered
            if self.token is not None:
                await _shielded(self._settle(error))
            if isinstance(error, Exception):
                raise error from error.__cause__  # out of the group, its cause kept
            raise  # cancellation and the like: as it came, for its scope to catch
        await self._record(result)
        return result

    async def claim(self) -> None:
        """The pipeline's ``before_send`` hook: claim the key now that the call may send,
        and check a key in doubt. Raises `_AnsweredError` when no send is needed."""
        store = self.store
        with anyio.CancelScope(shield=True):  # a claim taken is a claim we know of
            claim = await store.claim(self.key, self.digest, time.time())
        replayed = self.settled(claim)
        if replayed is not None:
            raise _AnsweredError(replayed)
        assert claim.token is not None
        assert self._group is not None
        self.token = claim.token
        if claim.started_at is not None:
            self.started_at = claim.started_at
        self.in_doubt = claim.status is ClaimStatus.IN_DOUBT
        self._done = anyio.Event()
        self._group.start_soon(self._renew, self._done)
        await anyio.lowlevel.checkpoint_if_cancelled()
        if self.in_doubt:
            found = await self._check(None)
            if found is not None:
                await self._record(found)
                raise _AnsweredError(found)
        self.sending = True

    async def recover(self, error: BaseException) -> R | None:
        """The pipeline's recover hook: after an ambiguous failure, check before the
        next attempt (and after the last)."""
        return await self._check(error)

    async def _check(self, error: BaseException | None) -> R | None:
        """Was the message delivered? The result found (``replayed``), or ``None``."""
        if self.verify is None:
            raise _in_doubt(self.idempotency_key) from error
        found = await _look(self.verify, self.started_at, self.idempotency_key)
        if found is None:
            return None
        assert isinstance(found, self.result_type)
        replayed: R = attrs.evolve(found, replayed=True)
        return replayed

    def _settle(self, error: BaseException) -> Awaitable[None]:
        """After a failure: free the key when nothing can have gone out under it, else
        leave it in doubt for the next claimant to check."""
        assert self.token is not None
        # Failed while claiming or checking, this call sent nothing, though an earlier
        # one may have (a key taken over in doubt).
        nothing_sent = _definite(error) if self.sending else not self.in_doubt
        if nothing_sent:
            return self.store.release(self.key, self.token)
        return self.store.doubt(self.key, self.token)

    async def _record(self, result: R) -> None:
        """Record the key as delivered (shielded: the message went out)."""
        assert self.token is not None
        try:
            await _shielded(self.store.deliver(self.key, self.token, _encode(result), time.time()))
        except StoreError as exc:
            # The message went out: return it. The entry stays claimed until its lease
            # expires; the next claimant then checks the conversation and finds it.
            logger.warning("Sent, but could not record it in %r: %s", self.store, exc)

    def _stop_renewing(self, group: TaskGroup) -> None:
        """End the renewing task, if one runs, as the send ends however it ends.

        Waiting between renewals, it is woken to return: cancelling it would do as
        well, but anyio's ``cancel`` formats the current task's repr for its reason, a
        cost paid on every send for nothing. Only a renewal in the middle of a store
        call is cancelled. (When the send raised, the task group cancels anyway.)
        """
        if self._done is not None:
            self._done.set()
        if self._renewing:
            group.cancel_scope.cancel()

    async def _renew(self, done: anyio.Event) -> None:
        """Keep the claim alive while the send runs (a third of the lease apart)."""
        store, key, token = self.store, self.key, self.token
        assert token is not None
        while True:
            with anyio.move_on_after(store.lease / 3):
                await done.wait()
            if done.is_set():
                return
            self._renewing = True
            try:
                if not await store.renew(key, token, time.time()):
                    logger.warning("Lost the claim on a send in %r while sending it", store)
                    return
            except StoreError as exc:
                logger.warning("Could not renew a send's claim in %r: %s", store, exc)
            finally:
                self._renewing = False


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
        f"the check that should tell (reading the conversation, or the relationship for "
        f"an invitation) could not be completed ({type(error).__name__}: {error}): not "
        "sending it again. Look for it yourself; if it is not there, send it with a new "
        "key.",
        idempotency_key=idempotency_key,
    )


def _in_progress(
    idempotency_key: str, lease_until: float | None, lease: float
) -> SendInProgressError:
    if lease_until is None:
        when, expires_at, retry_after = f"within {lease:g} s (the store's lease)", None, None
    else:
        retry_after = max(0.0, lease_until - time.time())
        expires_at = datetime.fromtimestamp(lease_until, tz=timezone.utc)
        when = f"in {retry_after:.1f} s (at {expires_at.isoformat(timespec='seconds')})"
    return SendInProgressError(
        f"idempotency_key {idempotency_key!r} is held by another caller: its send is "
        "still running, or its holder is gone (a crashed worker). Not sending it twice. "
        f"Its claim expires {when} unless renewed: retry after that (a finished send "
        "is then replayed; a dead holder's send is checked before it is sent).",
        idempotency_key=idempotency_key,
        expires_at=expires_at,
        retry_after=retry_after,
    )


def _in_doubt(idempotency_key: str) -> SendInDoubtError:
    return SendInDoubtError(
        f"A send under idempotency_key {idempotency_key!r} may have reached LinkedIn and "
        "there is no way to check (a message sent by recipient_profile_urn, a Sales "
        "Navigator send, or an invitation sent by profile_urn): not sending it again. "
        "Check the conversation or the relationship, then send with a new key if it is "
        "not there.",
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
