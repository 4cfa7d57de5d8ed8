"""A worker of ``test_crash_pacing.py``, run by path with ``sys.executable``.

It sends `LEADS` cold messages with ``send_many`` (all at once: ``concurrency`` is the
number of leads), one account, through a shared store, paced by ``Limits(account_writes=
RateLimit(1, per=PACE))``: the first send goes at once, every other one waits for its
slot, a minute or more away. Each outcome prints as ``OUTCOME <lead> <ok|replayed|error>``
(flushed). The test SIGKILLs it while the rest wait for their slots.
"""

from __future__ import annotations

import argparse

import anyio

from connectsafely import AsyncClient, Limits, RateLimit, SendRequest
from connectsafely.stores import RedisStore, SQLiteStore, Store

LEADS = 6
PACE = 60.0
CAMPAIGN = "paced23"


def lead_name(lead: int) -> str:
    return f"lead-{lead:03d}"


def request_for(lead: int) -> SendRequest:
    return SendRequest(
        f"Hi {lead_name(lead)}, a note from campaign {CAMPAIGN}.",
        recipient_profile_id=lead_name(lead),
        idempotency_key=f"campaign:{CAMPAIGN}:lead:{lead_name(lead)}:step:1",
    )


def open_store(spec: str, namespace: str) -> Store:
    """The shared store, with its default lease."""
    if spec.startswith("sqlite:"):
        return SQLiteStore(spec.removeprefix("sqlite:"), namespace=namespace)
    return RedisStore.from_url(spec, namespace=namespace)


async def work(args: argparse.Namespace) -> None:
    store = open_store(args.store, args.namespace)
    limits = Limits(account_writes=RateLimit(1, per=PACE))
    try:
        async with AsyncClient(
            api_key=args.api_key, base_url=args.base_url, limits=limits, store=store
        ) as client:
            items = [request_for(lead) for lead in range(LEADS)]
            async with client.conversations.send_many(items, concurrency=LEADS) as outcomes:
                async for outcome in outcomes:
                    kind = "error" if not outcome.ok else "replayed" if outcome.replayed else "ok"
                    print("OUTCOME", lead_name(outcome.index), kind, flush=True)
    finally:
        await store.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(work, args, backend=args.backend)


if __name__ == "__main__":
    main()
