"""Client-side limits: the three layers of the API's limits, and what the SDK does at each.

=====================  ========================================  ===============================
layer                  the API                                   the SDK
=====================  ========================================  ===============================
the API key            60 calls a minute, bursts of 100 / 10 s   ``Limits.key`` paces every call;
                                                                 a 429 without an action pauses
                                                                 every call of the client
one account's action   15 writes a minute per account;           ``Limits.account_writes`` paces
                       ``X-RateLimit-Action`` names the bucket   each account's writes; a 429 or
                                                                 ``Remaining: 0`` naming an action
                                                                 pauses only that account's calls
                                                                 of that action; a ``holdUntil``
                                                                 refuses them until the hold ends
one account's day      150 new conversations per UTC day         a quota 429 (or the SDK's own
                                                                 count, with
                                                                 ``Limits.daily_new_conversations``)
                                                                 refuses that account's cold
                                                                 sends locally until the reset
=====================  ========================================  ===============================

Modules: `_scope` (what a call is), `_pacing` (GCRA slots and the learned pace),
`_gate` (admission and learning, per call). What is remembered lives in a store
(`connectsafely.stores.Store`: this process by default, or shared by many).
"""

from __future__ import annotations

from ._gate import CallGate, Limiter, RateGate
from ._scope import MESSAGE, READ, CallScope

__all__ = [
    "MESSAGE",
    "READ",
    "CallGate",
    "CallScope",
    "Limiter",
    "RateGate",
]
