"""The one request pipeline every resource method goes through.

    resource method -> HttpCore.request / HttpCore.stream
        -> rate gate -> build request -> send -> observe -> typed error | decoded model
        (each attempt under the retry policy of `connectsafely._retry`)

Resources only say *what* to send (method, path, query, JSON or raw content) and *what*
they expect back (a model class); everything about transports, retries, idempotency
keys, error mapping and decoding lives here, once:

- `_pool`: the httpx client shared by a client and its copies, bound to one event loop;
- `_bodies`: request bodies that can be produced afresh for every attempt;
- `_core`: `HttpCore`, with ``request`` and ``stream`` side by side;
- `_attempt`: one attempt of a ``request`` (`Attempt`) and the decoding of its answer.
"""

from ._bodies import RequestContent
from ._core import HttpCore, ResponseStream
from ._pool import DEFAULT_LIMITS, ConnectionPool

__all__ = ["DEFAULT_LIMITS", "ConnectionPool", "HttpCore", "RequestContent", "ResponseStream"]
