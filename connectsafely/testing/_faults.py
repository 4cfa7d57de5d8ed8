"""Fault injection for the fake server: scripted failures for the next N matching calls."""

from __future__ import annotations

import random
from typing import Any, Literal

import attrs

from ._wire import FakeResponse, RecordedRequest

__all__ = ["Fault", "FaultQueue"]

FaultKind = Literal["status", "drop", "truncate", "delay"]


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

    def pending(self) -> list[dict[str, Any]]:
        """A readable summary of what is still queued."""
        return [attrs.asdict(f, filter=lambda a, _: a.name != "rng") for f in self._faults]
