"""Fault injection for the fake server: scripted failures for the next N matching calls.

`Fault` records and the `FaultQueue` the core consults before and after each route, the
builders behind ``fail_next`` / ``rate_limit_next`` / ``drop_next`` (`status_fault`,
`rate_limit_fault`, `drop_fault`), and the kinds of paging bug the two paging routes can
simulate (`PagingFault`, queued by `paging_faults`).
"""

from __future__ import annotations

import enum
import random
from datetime import datetime
from typing import Any, Literal

import attrs

from ._clock import iso_utc, require_aware
from ._wire import ErrorStyle, FakeResponse, RecordedRequest, error_body

__all__ = [
    "DEFAULT",
    "PAGING_FAULTS",
    "Default",
    "Fault",
    "FaultQueue",
    "PagingFault",
    "drop_fault",
    "paging_faults",
    "rate_limit_fault",
    "status_fault",
]

FaultKind = Literal["status", "drop", "truncate", "delay"]

PagingFault = Literal["repeat_cursor", "empty_page", "duplicate_boundary"]
"""Server paging bugs the fake can simulate (see ``FakeConnectSafely.paging_fault_next``)."""

PAGING_FAULTS: tuple[str, ...] = ("repeat_cursor", "empty_page", "duplicate_boundary")


class Default(enum.Enum):
    """Marks a parameter left at its default (where ``None`` means something else)."""

    token = 0


DEFAULT = Default.token


@attrs.define
class Fault:
    """One scripted misbehaviour.

    Attributes:
        kind: ``status`` (answer with ``response``), ``drop`` (close the connection with
            no response), ``truncate`` (send headers and half the body, then close) or
            ``delay`` (wait ``delay`` seconds, then answer normally).
        remaining: How many more matching requests it applies to.
        response: The response for ``status`` faults.
        delay: Seconds to wait before acting (every kind honours it).
        method: Only requests with this method match (any when ``None``).
        path: Only requests whose decoded path starts with this match.
        after_processing: Apply after the route handled the request (the send *was*
            accepted, but the client sees a failure): the "unknown outcome" case.
        rate: Probability of applying to a matching request (random faults).
        rng: The generator that decides ``rate``; ``None`` (the default) uses the one
            of the queue the fault is added to, i.e. the fake's, which
            ``FakeConnectSafely(seed=...)`` seeds.
    """

    kind: FaultKind
    remaining: int = 1
    response: FakeResponse | None = None
    delay: float = 0.0
    method: str | None = None
    path: str | None = None
    after_processing: bool = False
    rate: float = 1.0
    rng: random.Random | None = attrs.field(default=None, repr=False)

    def matches(self, request: RecordedRequest, *, after: bool) -> bool:
        """Whether this fault applies to ``request`` at this phase."""
        if self.remaining <= 0 or self.after_processing != after:
            return False
        if self.method is not None and request.method != self.method.upper():
            return False
        return self.path is None or request.path.startswith(self.path)


class FaultQueue:
    """Faults in the order they were added; the first match is consumed.

    Args:
        seed: Seeds the queue's one `random.Random` (``rng``), which decides every
            random fault (``rate`` below 1) that has no generator of its own. ``None``
            seeds it from the OS: different on every run.
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self.rng = random.Random(seed)  # noqa: S311 - fault injection, not security

    def add(self, fault: Fault) -> Fault:
        """Queue ``fault`` and return it."""
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        if not 0.0 <= fault.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._faults.append(fault)
        return fault

    def take(self, request: RecordedRequest, *, after: bool) -> Fault | None:
        """Consume and return the first fault matching ``request``, if any."""
        for fault in self._faults:
            if fault.matches(request, after=after):
                rng = self.rng if fault.rng is None else fault.rng
                if fault.rate < 1.0 and rng.random() >= fault.rate:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Forget every pending fault."""
        self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)

    def pending(self) -> list[Fault]:
        """The faults still queued, in order (a new list)."""
        return list(self._faults)


def drop_fault(
    *,
    count: int,
    mid_body: bool,
    method: str | None,
    path: str | None,
    after_processing: bool,
    delay: float,
) -> Fault:
    """The fault behind ``drop_next``: a cut mid-body comes after the route answered."""
    return Fault(
        "truncate" if mid_body else "drop",
        remaining=count,
        method=method,
        path=path,
        after_processing=after_processing or mid_body,
        delay=delay,
    )


def paging_faults(kind: PagingFault, count: int) -> list[PagingFault]:
    """The queue entries behind ``paging_fault_next``: ``kind``, ``count`` times.

    Raises:
        ValueError: For a kind that is not a `PagingFault`.
    """
    if kind not in PAGING_FAULTS:
        raise ValueError(f"kind must be one of {', '.join(PAGING_FAULTS)}")
    return [kind] * count


def status_fault(
    style: ErrorStyle,
    status: int,
    *,
    count: int,
    body: Any,
    headers: dict[str, str] | None,
    method: str | None,
    path: str | None,
    after_processing: bool,
    delay: float,
    rate: float,
) -> Fault:
    """The fault behind ``fail_next``: ``body`` defaults to an error in ``style``."""
    if body is None:
        body = error_body(style, f"Injected failure ({status})", code="injected")
    return Fault(
        "status",
        remaining=count,
        response=FakeResponse(status, body, dict(headers or {})),
        method=method,
        path=path,
        after_processing=after_processing,
        delay=delay,
        rate=rate,
    )


def rate_limit_fault(
    style: ErrorStyle,
    *,
    retry_after: float | str | Default | None,
    count: int,
    headers: dict[str, str] | None,
    method: str | None,
    path: str | None,
    hold_until: datetime | None,
    action: str | None,
    limit: int | None,
) -> Fault:
    """The fault behind ``rate_limit_next`` (see there for the shapes)."""
    all_headers: dict[str, str] = {}
    if action is not None:
        all_headers["X-RateLimit-Action"] = action
    if limit is not None:
        all_headers["X-RateLimit-Limit"] = str(limit)
        all_headers["X-RateLimit-Used"] = str(limit)
        all_headers["X-RateLimit-Remaining"] = "0"
    text = "Rate limit exceeded" if action is None else f"Rate limit exceeded for {action}"
    if limit is not None:
        text += f": {limit}/{limit} used"
    if hold_until is None:
        if retry_after is DEFAULT:
            retry_after = 1
        body: Any = error_body(style, text, code="rate_limited")
    else:
        require_aware(hold_until, "hold_until")
        until = iso_utc(hold_until)
        all_headers["X-RateLimit-Reset"] = until
        # The cookbook's 429 for an account on hold: this shape whatever error_style.
        body = {"success": False, "error": f"{text}. Resets at {until}", "holdUntil": until}
    if retry_after is not None and retry_after is not DEFAULT:
        all_headers["Retry-After"] = str(retry_after)
    all_headers.update(headers or {})
    return status_fault(
        style,
        429,
        count=count,
        body=body,
        headers=all_headers,
        method=method,
        path=path,
        after_processing=False,
        delay=0.0,
        rate=1.0,
    )
