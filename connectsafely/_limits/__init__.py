"""Client-side limits: the layers of the API's limits, and what the SDK does at each.

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
one account's window   150 new conversations per UTC day;        a quota 429 (or the SDK's own
                       90 connection requests per week (from     count, with
                       Monday 00:00 UTC); 120 profile views      ``daily_new_conversations``,
                       per UTC day                               ``account_connects``,
                                                                 ``account_profile_views``)
                                                                 refuses that account's calls
                                                                 of the kind until the reset
=====================  ========================================  ===============================

Modules: `_scope` (what a call is), `_pacing` (GCRA slots and the learned pace),
`_windows` (counts per calendar window), `_limiter` (the state and policy a client and
its copies share), `_gate` (admission and learning, per call). What is remembered lives
in a store (`connectsafely.stores.Store`: this process by default, or shared by many).
"""

from __future__ import annotations

from ._gate import CallGate, RateGate
from ._limiter import Limiter
from ._scope import CONNECT, MESSAGE, PROFILE_VIEW, READ, CallScope

__all__ = [
    "CONNECT",
    "MESSAGE",
    "PROFILE_VIEW",
    "READ",
    "CallGate",
    "CallScope",
    "Limiter",
    "RateGate",
]
