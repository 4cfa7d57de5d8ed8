"""Shared state for many processes: one budget of limits and one send ledger.

=============  ===================================================  =====================
store          shared by                                            needs
=============  ===================================================  =====================
`MemoryStore`  a client and its copies, in this process (default)   nothing
`SQLiteStore`  every process on this machine; survives restarts     the standard library
`RedisStore`   every process that reaches the Redis server          ``connectsafely[redis]``
=============  ===================================================  =====================

Pass one as ``AsyncClient(store=...)``. The interface every store implements is `Store`.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._base import Claim, ClaimStatus, EventStatus, Store
from .memory import MemoryStore

if TYPE_CHECKING:
    from .redis import RedisStore
    from .sqlite import SQLiteStore

__all__ = [
    "Claim",
    "ClaimStatus",
    "EventStatus",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "Store",
]

_LAZY = {"SQLiteStore": ".sqlite", "RedisStore": ".redis"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
