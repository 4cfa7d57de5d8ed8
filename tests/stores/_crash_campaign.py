"""The processes of the crash test (``test_crash.py``), run by path with ``sys.executable``.

One campaign, shared by every process: `LEADS` leads over `ACCOUNTS` accounts, a mix of
cold sends (``recipient_profile_id``) and replies (``conversation_urn``), each
`SendRequest` keyed by campaign and lead, so a re-run resumes instead of re-sending.

``serve``
    The fake API on loopback (``fake.serve()``), shared by every worker: the campaign's
    accounts and reply threads, a per-account ``MESSAGE`` limit (`ACCOUNT_LIMIT` per
    `ACCOUNT_WINDOW` seconds), 500s answered *after* a send was stored (seeded), and
    `LATENCY` seconds before every answer. Prints ``BASE_URL <url>``, serves until its
    stdin closes. `CrashApp` wraps the fake with two things the test needs:

    - ``GET /__crash/state``: what the fake holds (every accepted send, the per-account
      limit's 429 counts, what was stalled), as JSON;
    - a *stall* for the worker to be killed (requests carrying ``X-Crash-Worker: victim``):
      once `STALL_AFTER` of its sends were answered, its later sends are still processed
      (the message is stored, as LinkedIn would) but never answered, so when the test
      kills it, it dies holding claims whose message did reach "LinkedIn".

Both run one of two campaigns (``--kind``): ``messages`` (above) or ``invitations``:
the same leads, each a profile of the fake sent one connection request with a note
(`InvitationRequest`, keyed by campaign and lead) through ``invitations.send_many``; the
limit is then the ``CONNECT`` action's, the 500s hit ``/linkedin/connect``, and the
ledger's in-doubt check reads the relationship.

``work``
    One worker: an `AsyncClient` with ``Limits(account_writes=...)`` (`CLIENT_WINDOW`)
    and a shared store (``sqlite:<path>`` or a ``redis://`` URL, with a short ``lease``),
    running the whole campaign with ``send_many``. Prints one line per outcome
    (``OUTCOME <lead> <ok|replayed|in_progress|error> <detail>``) and a final
    ``SUMMARY <json>``. ``--mode pass`` goes over the campaign once (items another worker
    holds are left to it); ``--mode finish`` repeats the items still held elsewhere until
    every lead is settled (or ``--deadline`` seconds pass): the fresh run after a crash.
    ``CRASH_LOG=1`` in its environment logs the SDK's debug output to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from itertools import pairwise
from typing import Any

import anyio

from connectsafely import (
    AsyncClient,
    InvitationRequest,
    Limits,
    RateLimit,
    SendInProgressError,
    SendRequest,
)
from connectsafely.stores import RedisStore, SQLiteStore, Store

CAMPAIGN = "crash16"
ACCOUNTS = tuple(f"{n:024x}" for n in range(0xC0DE00, 0xC0DE04))
LEADS = 240
REPLY_EVERY = 3
"""Every third lead already has a thread with its account: those sends are replies."""

ACCOUNT_LIMIT = 15
ACCOUNT_WINDOW = 1.0
"""The API's 15 writes a minute per account, on a clock compressed 60 times."""

CLIENT_WINDOW = ACCOUNT_WINDOW * 1.25
"""The workers' ``RateLimit(ACCOUNT_LIMIT, per=CLIENT_WINDOW)``: the fake's limit with a
quarter of its window as slack. Paced at exactly the limit, a request reaches the fake
at its slot plus a delay that varies (wake-up, store, HTTP; more with five processes on
a small machine); the fake's fixed window opens at the first request after the last one
closed, so whenever that opening request was later than the one ``ACCOUNT_LIMIT`` slots
on, the latter lands in the same window and gets a 429 (measured: 2 to 10 of 240 sends,
with one process as with three, SQLite or Redis; the SDK's pause on ``Remaining: 0``
cannot help, since the fake's cold sends carry the daily quota's headers instead). Three
processes that did *not* share the pace would send at three times this rate: the test
still tells."""

FAILURE_RATE = 0.06
FAILURES = 12
"""At most this many sends are answered 500 after the fake stored them (seeded)."""

LATENCY = 0.03
STALL_AFTER = 8
SEED = 16


def lead_name(lead: int) -> str:
    return f"lead-{lead:03d}"


def account_of(lead: int) -> str:
    return ACCOUNTS[lead % len(ACCOUNTS)]


def thread_of(lead: int) -> str | None:
    """The existing conversation of a reply lead (``None``: a cold send)."""
    if lead % REPLY_EVERY:
        return None
    return (
        f"urn:li:msg_conversation:(urn:li:fsd_profile:ACoAACrash{lead % len(ACCOUNTS)},"
        f"2-{CAMPAIGN}-{lead_name(lead)})"
    )


def text_of(lead: int) -> str:
    return f"Hi {lead_name(lead)}, a note from campaign {CAMPAIGN}."


def idempotency_key(lead: int) -> str:
    return f"campaign:{CAMPAIGN}:lead:{lead_name(lead)}:step:1"


SEND_PATHS = {"messages": "/linkedin/conversations/send", "invitations": "/linkedin/connect"}
"""The POST of each campaign kind."""


def label_of(kind: str, lead: int) -> str:
    """What identifies a lead's send in the fake: the text, or the invited profile."""
    return text_of(lead) if kind == "messages" else lead_name(lead)


def invitation_for(lead: int) -> InvitationRequest:
    return InvitationRequest(
        lead_name(lead),
        note=f"Hi, campaign {CAMPAIGN} here.",
        account_id=account_of(lead),
        idempotency_key=idempotency_key(lead),
    )


def request_for(lead: int) -> SendRequest:
    thread = thread_of(lead)
    if thread is None:
        return SendRequest(
            text_of(lead),
            recipient_profile_id=lead_name(lead),
            account_id=account_of(lead),
            idempotency_key=idempotency_key(lead),
        )
    return SendRequest(
        text_of(lead),
        conversation_urn=thread,
        account_id=account_of(lead),
        idempotency_key=idempotency_key(lead),
    )


# -- the server ---------------------------------------------------------------------------


class CrashApp:
    """The fake, plus ``GET /__crash/state`` and the stall of the worker to be killed."""

    def __init__(self, kind: str = "messages") -> None:
        from connectsafely.testing import FakeConnectSafely

        fake = FakeConnectSafely(seed=SEED)
        for number, account in enumerate(ACCOUNTS):
            fake.add_account(account, name=f"Sender {number}")
        for lead in range(LEADS):
            thread = thread_of(lead)
            if kind == "invitations":
                fake.add_profile(lead_name(lead))
            elif thread is not None:
                fake.add_conversation(
                    account_id=account_of(lead), urn=thread, recipient_profile_id=lead_name(lead)
                )
        action = "MESSAGE" if kind == "messages" else "CONNECT"
        self.kind = kind
        self.send_path = SEND_PATHS[kind]
        self.limit = fake.enforce_account_limit(ACCOUNT_LIMIT, per=ACCOUNT_WINDOW, action=action)
        fake.fail_next(
            500,
            count=FAILURES,
            rate=FAILURE_RATE,
            method="POST",
            path=self.send_path,
            after_processing=True,
        )
        fake.latency = LATENCY
        self.fake = fake
        self.api_key = fake.api_key
        self.victim_answered = 0
        self.stalled: list[tuple[int, str]] = []  # (status, idempotency key)
        self.statuses: Counter[str] = Counter()  # "send 200", "read 200", "stalled 200", ...

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.fake(scope, receive, send)
            return
        if scope["path"] == "/__crash/state":
            await _json(send, self.state())
            return
        headers = dict(scope.get("headers") or ())
        is_send = scope["path"] == self.send_path
        kind = "send" if is_send else "read"
        statuses: list[int] = []

        async def counted(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))
                self.statuses[f"{kind} {message['status']}"] += 1
            await send(message)

        if not (is_send and headers.get(b"x-crash-worker") == b"victim"):
            await self.fake(scope, receive, counted)
            return
        if self.victim_answered < STALL_AFTER:
            await self.fake(scope, receive, counted)
            self.victim_answered += 1
            return
        # The victim's send is processed (the message stored, when accepted) but never
        # answered: the worker is killed while it waits, as a process dies mid-call.

        async def held(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))
                self.statuses[f"stalled {message['status']}"] += 1

        await self.fake(scope, receive, held)
        key = headers.get(b"idempotency-key", b"").decode()
        self.stalled.append((statuses[0] if statuses else 0, key))
        await anyio.sleep_forever()

    def state(self) -> dict[str, Any]:
        fake = self.fake
        arrivals: dict[str, list[float]] = {}
        for request in fake.requests_to(self.send_path, "POST"):
            account = json.loads(request.body).get("accountId", "")
            arrivals.setdefault(account, []).append(request.received_at)
        return {
            "sends": self._sends(),
            "limit": {
                "allowed": self.limit.allowed,
                "rejected": self.limit.rejected,
                "rejected_by_account": self.limit.rejected_by_account,
            },
            "statuses": dict(self.statuses),
            "faults_left": sum(f.remaining for f in fake.pending_faults),
            "stalled": self.stalled,
            "send_requests": {account: len(times) for account, times in arrivals.items()},
            "min_gap": {
                account: min((b - a for a, b in pairwise(sorted(t))), default=0.0)
                for account, t in arrivals.items()
            },
            "max_in_window": {
                account: _max_in_window(sorted(times), ACCOUNT_WINDOW)
                for account, times in arrivals.items()
            },
            "requests": len(fake.requests),
        }

    def _sends(self) -> list[dict[str, Any]]:
        """What reached "LinkedIn": every stored message, or every invitation sent."""
        fake = self.fake
        if self.kind == "invitations":
            return [
                {
                    "account": i.account_id,
                    "text": i.profile.profile_id,
                    "key": idempotency_key(int(i.profile.profile_id.removeprefix("lead-"))),
                }
                for i in fake.invitations
                if i.direction == "sent"
            ]
        return [
            {
                "account": s.account_id,
                "text": s.text,
                "conversation": s.conversation_urn,
                "key": s.idempotency_key,
                "new_conversation": s.new_conversation,
            }
            for s in fake.sends
        ]


def _max_in_window(times: list[float], window: float) -> int:
    """The most arrivals within any half-open ``window`` seconds."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _json(send: Any, body: Any) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def serve(kind: str) -> None:
    from connectsafely.testing import LoopbackServer

    server = LoopbackServer(CrashApp(kind))  # type: ignore[arg-type]
    with server:
        print("BASE_URL", server.base_url, flush=True)
        sys.stdin.read()  # until the test closes our stdin


# -- a worker -----------------------------------------------------------------------------


def open_store(spec: str, lease: float, namespace: str) -> Store:
    if spec.startswith("sqlite:"):
        return SQLiteStore(spec.removeprefix("sqlite:"), namespace=namespace, lease=lease)
    return RedisStore.from_url(spec, namespace=namespace, lease=lease)


async def work(args: argparse.Namespace) -> None:
    store = open_store(args.store, args.lease, args.namespace)
    limits = Limits(account_writes=RateLimit(ACCOUNT_LIMIT, per=args.window))
    pending = list(range(LEADS))
    tally: Counter[str] = Counter()
    deadline = time.monotonic() + args.deadline
    passes = 0
    try:
        async with AsyncClient(
            api_key=args.api_key,
            base_url=args.base_url,
            limits=limits,
            store=store,
            default_headers={"X-Crash-Worker": args.name},
        ) as client:
            while pending:
                passes += 1
                held: list[int] = []
                if args.kind == "invitations":
                    batch = client.invitations.send_many(
                        [invitation_for(lead) for lead in pending], concurrency=args.concurrency
                    )
                else:
                    batch = client.conversations.send_many(
                        [request_for(lead) for lead in pending], concurrency=args.concurrency
                    )
                async with batch as outcomes:
                    async for outcome in outcomes:
                        lead = pending[outcome.index]
                        if outcome.ok:
                            kind = "replayed" if outcome.replayed else "ok"
                            detail = "-"
                        elif isinstance(outcome.error, SendInProgressError):
                            kind, detail = "in_progress", "-"
                            held.append(lead)
                        else:
                            kind = "error"
                            detail = f"{type(outcome.error).__name__}:{outcome.error}"
                            held.append(lead)
                        tally[kind] += 1
                        print("OUTCOME", lead, kind, detail.replace("\n", " "), flush=True)
                pending = sorted(held)
                if args.mode == "pass" or time.monotonic() > deadline:
                    break
                if pending:
                    await anyio.sleep(args.lease / 4)
    finally:
        await store.aclose()
    summary = {"name": args.name, "passes": passes, "tally": tally, "unsettled": pending}
    print("SUMMARY", json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("serve")
    server.add_argument("--kind", choices=tuple(SEND_PATHS), default="messages")
    worker = commands.add_parser("work")
    worker.add_argument("--kind", choices=tuple(SEND_PATHS), default="messages")
    worker.add_argument("--base-url", required=True)
    worker.add_argument("--api-key", required=True)
    worker.add_argument("--store", required=True)
    worker.add_argument("--namespace", default="crash")
    worker.add_argument("--name", required=True)
    worker.add_argument("--lease", type=float, default=2.0)
    worker.add_argument("--mode", choices=("pass", "finish"), default="pass")
    worker.add_argument("--concurrency", type=int, default=8)
    worker.add_argument("--deadline", type=float, default=30.0)
    worker.add_argument("--window", type=float, default=CLIENT_WINDOW)
    worker.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    if os.environ.get("CRASH_LOG"):
        logging.basicConfig(level=logging.DEBUG, format="%(created).3f %(message)s")
    if args.command == "serve":
        serve(args.kind)
    else:
        anyio.run(work, args, backend=args.backend)


if __name__ == "__main__":
    main()
