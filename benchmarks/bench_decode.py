"""Decoding a 100-message page: the SDK's converter against ``json.loads`` alone.

``json.loads`` is the floor every client pays; the SDK adds turning the parsed dicts
into frozen `Message` / `MessagesPage` models (camelCase renames, epoch-ms to aware UTC
datetimes, type checks). Reported per message, median of several timed batches.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from connectsafely import MessagesPage, _serde
from connectsafely._serde import structure


def page_body(messages: int = 100) -> bytes:
    """A realistic ``GET .../messages`` body with ``messages`` messages."""
    me = "ACoAABenchOwner000000000000000"
    them = "ACoAABenchPeer0000000000000000"
    items = []
    for index in range(messages):
        mine = index % 2 == 0
        items.append(
            {
                "messageUrn": f"urn:li:msg_message:(urn:li:fsd_profile:{me},2-{index:012d})",
                "text": f"Message number {index}: thanks for connecting, quick question.",
                "sentAt": 1_732_550_400_000 - index * 60_000,
                "senderProfileId": me if mine else them,
                "senderName": "Ada Owner" if mine else "Grace Peer",
                "senderPhoto": "https://media.licdn.com/dms/image/v2/photo.jpg",
                "isSentByOwner": mine,
                "hasAttachment": False,
                "attachments": [],
            }
        )
    body = {
        "success": True,
        "messages": items,
        "participants": [
            {"profileId": me, "name": "Ada Owner", "headline": "Founder"},
            {"profileId": them, "name": "Grace Peer", "headline": "Engineer"},
        ],
        "hasMore": True,
        "cursor": str(1_732_550_400_000 - messages * 60_000),
        "note": "",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _interleaved_us(
    works: dict[str, Any], body: bytes, messages: int, batches: int, loops: int
) -> dict[str, list[float]]:
    """µs per message of each work, one figure per batch, batches alternating between
    the works so that a busy machine slows them alike."""
    samples: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(batches):
        for name, work in works.items():
            started = time.perf_counter()
            for _ in range(loops):
                work(body)
            samples[name].append((time.perf_counter() - started) / loops / messages * 1e6)
    return samples


def sdk_decode(body: bytes) -> MessagesPage:
    """What `HttpCore` does with a 2xx body: orjson straight to models when it can,
    else ``json.loads`` + `structure` (code without `decode_fast` always does that)."""
    fast = getattr(_serde, "decode_fast", None)
    if fast is not None:
        page = fast(body, MessagesPage)
        if page is not None:
            return page  # type: ignore[no-any-return]
    return structure(json.loads(body), MessagesPage)


def run(*, messages: int = 100, batches: int = 7, loops: int = 100) -> dict[str, Any]:
    """µs per message: json.loads alone, structure alone, and both (what a page costs)."""
    body = page_body(messages)
    data = json.loads(body)
    structure(data, MessagesPage)  # build and cache the structuring functions first
    sdk_decode(body)
    batched = _interleaved_us(
        {
            "loads": json.loads,
            "structure": lambda _: structure(data, MessagesPage),
            "total": lambda raw: structure(json.loads(raw), MessagesPage),
            "decode": sdk_decode,
        },
        body,
        messages,
        batches,
        loops,
    )
    us = {name: statistics.median(values) for name, values in batched.items()}
    loads_us, structure_us, total_us, decode_us = (
        us["loads"],
        us["structure"],
        us["total"],
        us["decode"],
    )
    return {
        "orjson": getattr(_serde, "decode_fast", None) is not None and _orjson_installed(),
        "sdk_decode_us_per_message": decode_us,
        "ratio_decode_to_loads": decode_us / loads_us,
        # Batch by batch (each decode batch beside its json.loads batch), as `_paired`
        # decides every ratio.
        "ratios_decode_to_loads": [
            d / loads for d, loads in zip(batched["decode"], batched["loads"], strict=True)
        ],
        "messages_per_page": messages,
        "json_loads_us_per_message": loads_us,
        "structure_us_per_message": structure_us,
        "loads_plus_structure_us_per_message": total_us,
        "ratio_structure_to_loads": structure_us / loads_us,
        "ratio_total_to_loads": total_us / loads_us,
    }


def _orjson_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("orjson") is not None


if __name__ == "__main__":
    import sys

    print(json.dumps(run(batches=int(sys.argv[1]) if len(sys.argv) > 1 else 7)))
