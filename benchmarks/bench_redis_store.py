"""`RedisStore`: round trips and microseconds per send (``claim`` + ``deliver``).

``python -m benchmarks.bench_redis_store [--sends N]`` starts its own ``redis-server`` on
a free 127.0.0.1 port (nothing written to disk), then measures, per send's happy path:

- round trips, counted on the client (every ``execute_command`` is one request and
  its reply) and on the server (``INFO commandstats`` after ``CONFIG RESETSTAT``);
- microseconds per send one after another (latency) and with 64 sends in flight
  (throughput), for ``RedisStore`` and, for scale, ``MemoryStore``.

It reports; nothing passes or fails. Needs ``redis-server`` and ``connectsafely[redis]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from connectsafely.stores import MemoryStore, RedisStore, Store
from tests.stores._redis_server import RedisServer

T0 = 1_800_000_000.0


async def one_send(store: Store, key: str) -> None:
    claim = await store.claim(key, "digest", T0)
    assert claim.token is not None
    await store.deliver(key, claim.token, '{"success":true,"messageId":"m"}', T0)


async def timed(store: Store, sends: int, in_flight: int, prefix: str) -> float:
    """Microseconds per send."""
    began = time.perf_counter()
    if in_flight == 1:
        for i in range(sends):
            await one_send(store, f"{prefix}-{i}")
    else:
        queue = iter(range(sends))

        async def worker() -> None:
            for i in queue:
                await one_send(store, f"{prefix}-{i}")

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return (time.perf_counter() - began) / sends * 1e6


def command_calls(admin: redis.Redis) -> dict[str, int]:
    stats: dict[str, Any] = admin.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


async def run(sends: int) -> dict[str, Any]:
    results: dict[str, Any] = {"sends": sends}
    with tempfile.TemporaryDirectory() as directory:
        server = RedisServer(Path(directory)).start()
        try:
            with redis.Redis(host="127.0.0.1", port=server.port) as admin:
                store = RedisStore.from_url(server.url, namespace="bench")
                try:
                    await one_send(store, "warm-up")  # connects, loads the scripts
                    sent: list[str] = []
                    execute = store._client.execute_command

                    async def counting(*args: Any, **options: Any) -> Any:
                        sent.append(str(args[0]))
                        return await execute(*args, **options)

                    store._client.execute_command = counting  # type: ignore[method-assign]
                    admin.config_resetstat()
                    await one_send(store, "counted")
                    calls = command_calls(admin)
                    calls.pop("config|resetstat", None)
                    calls.pop("info", None)
                    store._client.execute_command = execute  # type: ignore[method-assign]
                    results["round_trips_per_send_client"] = len(sent)
                    results["client_commands"] = sent
                    results["server_commandstats_per_send"] = calls

                    for in_flight in (1, 64):
                        await timed(store, min(sends, 500), in_flight, f"w{in_flight}")
                        results[f"redis_us_per_send_in_flight_{in_flight}"] = round(
                            await timed(store, sends, in_flight, f"r{in_flight}"), 1
                        )
                finally:
                    await store.aclose()
        finally:
            server.stop()
    memory = MemoryStore()
    for in_flight in (1, 64):
        results[f"memory_us_per_send_in_flight_{in_flight}"] = round(
            await timed(memory, sends, in_flight, f"m{in_flight}"), 1
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.sends)), indent=2))


if __name__ == "__main__":
    main()
