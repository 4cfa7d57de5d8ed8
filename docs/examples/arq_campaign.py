"""A campaign as arq jobs: one job per lead, any number of workers, one message per lead.

Start workers (as many as you like, on any machines that reach Redis):

    arq arq_campaign.WorkerSettings

Enqueue the campaign:

    python arq_campaign.py

The API key comes from ``CONNECTSAFELY_API_KEY``, Redis from ``REDIS_URL``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any

from arq import ArqRedis, Retry, create_pool
from arq.connections import RedisSettings
from arq.jobs import Job

from connectsafely import (
    APIConnectionError,
    AsyncClient,
    InternalServerError,
    Limits,
    RateLimitError,
    SendInProgressError,
    StoreError,
)
from connectsafely.stores import RedisStore

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CAMPAIGN = "q3-founders"
LIMITS = Limits.documented()  # per key, per account and per day: shared by every worker


def message_key(campaign_id: str, lead_id: str, step: int) -> str:
    return f"campaign:{campaign_id}:lead:{lead_id}:step:{step}"


async def startup(ctx: dict[str, Any]) -> None:
    # One client per worker process. Its store is shared by every worker: one budget
    # of limits, one send ledger.
    store = RedisStore.from_url(REDIS_URL, namespace="acme")
    ctx["store"] = store
    ctx["client"] = AsyncClient(limits=LIMITS, store=store)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["client"].aclose()
    await ctx["store"].aclose()  # a store you pass in is yours to close


async def send_message(ctx: dict[str, Any], lead_id: str, first_name: str) -> str:
    """One lead's message. Safe to run twice, or to retry: the key makes it at most once."""
    client: AsyncClient = ctx["client"]
    try:
        result = await client.conversations.send(
            f"Hi {first_name}, quick question about your roadmap.",
            recipient_profile_id=lead_id,
            idempotency_key=message_key(CAMPAIGN, lead_id, step=1),
        )
    except SendInProgressError:
        # The lead was enqueued twice and another job is sending it right now. Look
        # again shortly: the ledger then returns that job's result.
        raise Retry(defer=2) from None
    except RateLimitError as exc:  # a hold, or the account's daily quota is used up
        raise Retry(defer=exc.retry_after or 60) from exc
    except (APIConnectionError, InternalServerError, StoreError) as exc:
        # Still failing after the SDK's own retries. Retrying the job is safe: if the
        # message may have gone out, the ledger checks the conversation before sending.
        raise Retry(defer=2 * ctx["job_try"]) from exc
    return "replayed" if result.replayed else "sent"


class WorkerSettings:
    functions = [send_message]  # noqa: RUF012 - arq reads these class attributes
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    max_jobs = 4  # jobs at once per worker; the limits pace them across all workers
    max_tries = 5


async def enqueue_campaign(redis: ArqRedis, leads: Iterable[tuple[str, str]]) -> list[Job]:
    """One job per (lead id, first name)."""
    jobs = []
    for lead_id, first_name in leads:
        job = await redis.enqueue_job("send_message", lead_id, first_name)
        assert job is not None  # None only when a _job_id is reused
        jobs.append(job)
    return jobs


async def main() -> None:
    redis = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    jobs = await enqueue_campaign(redis, [("ana-lima", "Ana"), ("ben-okafor", "Ben")])
    print(f"enqueued {len(jobs)} jobs")
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
