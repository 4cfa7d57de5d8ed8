"""The pytest plugin's strict mode: what a test left behind, as one readable message.

Leftovers are the queued faults no request consumed (``fake.pending_faults``; random
ones, ``rate`` below 1, are left out since they may rightly never fire) and the requests
to a path the fake does not serve (``fake.unserved``). Only public names of
`connectsafely.testing` are read.
"""

from __future__ import annotations

from . import FakeConnectSafely, Fault, RecordedRequest

__all__ = ["leftovers"]

_RELAX = (
    "Let a request consume each fault, forget them with fake.clear_faults(), or relax the "
    "check: @pytest.mark.connectsafely(strict=False) on the test, class or module, or "
    "connectsafely_strict = false in the pytest configuration."
)


def leftovers(fake: FakeConnectSafely) -> str | None:
    """The strict-mode failure message for ``fake``, or ``None`` when nothing was left."""
    faults = [fault for fault in fake.pending_faults if fault.rate >= 1.0]
    unserved = fake.unserved
    if not faults and not unserved:
        return None
    lines = ["connectsafely_fake (strict): the test left behind:"]
    lines.extend(f"  - a queued fault no request consumed: {describe(f)}" for f in faults)
    lines.extend(
        f"  - a request to a path the fake does not serve: {_request(r)}" for r in unserved
    )
    lines.append(_RELAX)
    return "\n".join(lines)


def describe(fault: Fault) -> str:
    """``answer 503 (method: POST, path: /linkedin/messaging/send*; 1 left)``: a fault
    as a test would read it."""
    if fault.kind == "status" and fault.response is not None:
        action = f"answer {fault.response.status}"
    elif fault.kind == "drop":
        action = "drop the connection"
    elif fault.kind == "truncate":
        action = "cut the connection mid-body"
    else:
        action = f"delay the answer by {fault.delay:g} s"
    method = fault.method.upper() if fault.method else "any"
    path = f"{fault.path}*" if fault.path else "any"
    after = ", after handling the request" if fault.after_processing else ""
    return f"{action} (method: {method}, path: {path}{after}; {fault.remaining} left)"


def _request(request: RecordedRequest) -> str:
    return f"{request.method} {request.path} (answered 404/405)"
