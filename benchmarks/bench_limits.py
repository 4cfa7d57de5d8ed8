"""Limits per layer (issue 15): pacing many accounts through one key, holds, 429 counts.

The documented limits, scaled down so a run takes seconds instead of minutes: 8
LinkedIn accounts, each allowed 15 sends per 3 s window (``enforce_account_limit(15,
per=3.0)``; the real API's 15 a minute), and a key limit of 160 per 3 s, above the
accounts' sum of 8 x 15 = 120 (so the accounts, not the key, are what binds). The
allowed total is therefore 8 x 15 / 3 = 40 sends/s.

Server: `FakeConnectSafely` served by uvicorn on loopback in a SEPARATE process (a
fresh one per measurement), so requests see real sockets and scheduling jitter and the
fake's CPU does not share this process's GIL. The child takes commands on stdin
(``hold <account> <seconds>``, ``stats``) and answers one JSON line.

Items are spread round-robin over the 8 accounts, from an endless generator, run through
``send_many(concurrency=16)`` (two senders per account). Each of (a) (b) (c) runs twice:
with replies (``SendRequest(..., conversation_urn=..., account_id=...)``, one
conversation per account) and with cold sends (``recipient_profile_id=`` a new lead
each time; ``daily_quota`` set high). They differ: the fake answers a cold send with
the daily quota's ``X-RateLimit-*`` headers, so only replies show the per-account
window's ``Remaining``. Sends are counted from the end of a one-window warm-up, over
``duration`` seconds; 429s are the fake's counters over the whole run (and after the
warm-up, in the JSON).

(a) ``AsyncClient(limits=Limits(key=RateLimit(160, per=3), account_writes=RateLimit(15,
    per=3)))``: achieved sends/s / 40, and the 429s the fake answered.
    Target: >= 0.95 of allowed, 0 x 429.
(b) The same, with one account put on hold (``fake.hold``) half-way through the
    measured span: the other seven's sends/s / (7 x 15 / 3 = 35), the held account's
    later items refused locally (``summary.refused_locally``) and how long they took.
    Target: the seven >= 0.95 of their allowed rate.
(c) A plain client (no client-side limits; server-driven pauses only): the fraction of
    requests answered 429. Target < 2 %.
(d) CPU of the limits machinery with no limits set: ``time.process_time`` per ``send``
    (a reply) through ``fake.client()`` in-process (this process runs the fake too),
    as the code stands and with ``CallGate.admit`` / ``CallGate.observe`` replaced by
    no-op coroutines, interleaved, median of the repeats. Target: within 5 %.

Run: ``python -m benchmarks.bench_limits [--quick] [--duration S] [--only a b c d]
[--kinds reply cold]``; writes ``benchmarks/results/limits.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

import connectsafely
from benchmarks._common import RESULTS_DIR, environment, write_results
from connectsafely import Limits, RateLimit, SendRequest

ACCOUNTS = 8
PER_ACCOUNT = 15  # sends per window per account
PER = 3.0  # the window, seconds (the API's minute, compressed 20x)
KEY_LIMIT = 160  # per window for the whole key: above ACCOUNTS * PER_ACCOUNT = 120
CONCURRENCY = 16
ALLOWED = ACCOUNTS * PER_ACCOUNT / PER  # 40 sends/s
TARGETS = {
    "a_fraction": 0.95,
    "a_429": 0,
    "b_fraction_others": 0.95,
    "c_429_fraction": 0.02,
    "d_overhead": 0.05,
}

# -- the server process -------------------------------------------------------------------


def serve() -> None:
    """Serve the fake with the scaled limits; print ``READY <port> <json>``; obey stdin."""
    from datetime import timedelta

    from connectsafely.testing import FakeConnectSafely

    fake = FakeConnectSafely()
    ids = [
        fake.add_account(name=f"Account {i}", daily_quota=10**9).account_id for i in range(ACCOUNTS)
    ]
    urns = [
        fake.add_conversation(account_id=account, recipient_profile_id=f"friend-{n}").urn
        for n, account in enumerate(ids)
    ]
    key = fake.enforce_rate_limit(KEY_LIMIT, per=PER)
    accounts = fake.enforce_account_limit(PER_ACCOUNT, per=PER)
    with fake.serve() as server:
        print(
            "READY",
            server.port,
            json.dumps({"accounts": ids, "conversations": urns, "api_key": fake.api_key}),
        )
        sys.stdout.flush()
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "hold":
                until = fake.clock.now() + timedelta(seconds=float(words[2]))
                fake.hold(words[1], until=until)
                answer: dict[str, Any] = {"held": words[1], "until": until.isoformat()}
            elif words[0] == "stats":
                answer = {
                    "key": {"allowed": key.allowed, "rejected": key.rejected},
                    "accounts": {
                        "allowed": accounts.allowed,
                        "rejected": accounts.rejected,
                        "rejected_by_account": dict(accounts.rejected_by_account),
                    },
                    "requests": len(fake.requests),
                }
            else:
                answer = {"error": f"unknown command {words[0]!r}"}
            print(json.dumps(answer), flush=True)


class Server:
    """The fake in its own process; `command` talks to it over stdin/stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_limits", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("READY "):
            self.close()
            raise RuntimeError(f"server did not start: {line!r}")
        port, info = line[len("READY ") :].split(" ", 1)
        data = json.loads(info)
        self.base_url = f"http://127.0.0.1:{port}"
        self.accounts: list[str] = data["accounts"]
        self.conversations: list[str] = data["conversations"]
        self.api_key: str = data["api_key"]

    def command(self, text: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def server() -> Iterator[Server]:
    running = Server()
    try:
        yield running
    finally:
        running.close()


# -- (a) (b) (c): sends/s against the limits ------------------------------------------------


def round_robin(srv: Server, kind: str, pulled: list[float]) -> Iterator[SendRequest]:
    """Endless sends over the accounts in turn; records when each item is read.

    ``kind`` is ``"reply"`` (into the account's one conversation) or ``"cold"`` (to a
    new lead each time).
    """
    accounts, urns = srv.accounts, srv.conversations
    n = 0
    while True:
        pulled.append(time.perf_counter())
        i = n % len(accounts)
        if kind == "reply":
            yield SendRequest(f"Hello #{n}", conversation_urn=urns[i], account_id=accounts[i])
        else:
            yield SendRequest(
                f"Hello #{n}", recipient_profile_id=f"lead-{n}", account_id=accounts[i]
            )
        n += 1


async def run_batch(
    srv: Server,
    *,
    kind: str,
    limits: Limits | None,
    warmup: float,
    duration: float,
    hold_at: float | None = None,
) -> dict[str, Any]:
    """Run ``send_many`` for ``warmup + duration`` seconds; count what happened."""
    accounts = srv.accounts
    held = accounts[-1] if hold_at is not None else None
    pulled: list[float] = []
    ok_in_window: dict[str, int] = dict.fromkeys(accounts, 0)
    errors: dict[str, int] = {}
    refused_latency: list[float] = []
    sent_latency: list[float] = []
    hold_429s = 0  # hold answers that came from the server (not refused locally)
    async with connectsafely.AsyncClient(
        api_key=srv.api_key, base_url=srv.base_url, limits=limits
    ) as client:
        started = time.perf_counter()
        window_start = started + warmup
        window_end = window_start + duration
        hold_sent = False
        at_start: dict[str, Any] | None = None
        async with client.conversations.send_many(
            round_robin(srv, kind, pulled), concurrency=CONCURRENCY
        ) as outcomes:
            async for outcome in outcomes:
                now = time.perf_counter()
                if at_start is None and now >= window_start:
                    at_start = await anyio.to_thread.run_sync(srv.command, "stats")
                if hold_at is not None and not hold_sent and now >= window_start + hold_at:
                    # Long enough to outlast the run: the rest of its items are refused.
                    await anyio.to_thread.run_sync(srv.command, f"hold {held} 3600")
                    hold_sent = True
                account = outcome.request.account_id
                error = outcome.error
                if error is None:
                    if window_start <= now < window_end:
                        ok_in_window[account] += 1
                    sent_latency.append(now - pulled[outcome.index])
                else:
                    name = type(error).__name__
                    local = isinstance(error, connectsafely.RateLimitError) and (
                        error.response is None
                    )
                    if local:
                        name += " (no request)"
                        refused_latency.append(now - pulled[outcome.index])
                    elif isinstance(error, connectsafely.RateLimitError) and error.hold_until:
                        hold_429s += 1
                    errors[name] = errors.get(name, 0) + 1
                if now >= window_end:
                    break
        summary = outcomes.summary
        single_refusal_us: float | None = None
        if held is not None:
            # One refused send on its own: what "fast" means without any queueing.
            alone = []
            for _ in range(21):
                began = time.perf_counter()
                try:
                    await client.conversations.send(
                        "x", recipient_profile_id="lead-solo", account_id=held
                    )
                except connectsafely.RateLimitError as error:
                    if error.response is not None:
                        raise RuntimeError("expected a local refusal, not a 429") from None
                alone.append(time.perf_counter() - began)
            single_refusal_us = statistics.median(alone) * 1e6
    stats = await anyio.to_thread.run_sync(srv.command, "stats")
    rejected, requests = _counts(stats)
    before = _counts(at_start) if at_start is not None else (0, 0)
    result: dict[str, Any] = {
        "warmup_s": warmup,
        "duration_s": duration,
        "sends_in_window": sum(ok_in_window.values()),
        "sends_per_s": sum(ok_in_window.values()) / duration,
        "per_account_in_window": ok_in_window,
        "server": stats,
        "rate_limit_429s": rejected,
        "requests_counted_by_key": requests,
        "fraction_429": rejected / requests if requests else float("nan"),
        "after_warmup": {
            "rate_limit_429s": rejected - before[0],
            "requests": requests - before[1],
            "fraction_429": (rejected - before[0]) / max(1, requests - before[1]),
        },
        "errors": errors,
        "sent_latency_p50_ms": _median_ms(sent_latency),
        "done": summary.done,
        "failed": summary.failed,
        "refused_locally": {str(k): v for k, v in summary.refused_locally.items()},
    }
    if held is not None:
        others = {a: n for a, n in ok_in_window.items() if a != held}
        result.update(
            held_account=held,
            hold_at_s=hold_at,
            hold_429s_from_server=hold_429s,
            others_sends_per_s=sum(others.values()) / duration,
            refused_latency_p50_ms=_median_ms(refused_latency),
            refused_latency_max_ms=max(refused_latency) * 1000 if refused_latency else None,
            single_refusal_us=single_refusal_us,
        )
    return result


def _counts(stats: dict[str, Any]) -> tuple[int, int]:
    """Rate-limit 429s (key and accounts) and requests the key counted, so far."""
    rejected = stats["key"]["rejected"] + stats["accounts"]["rejected"]
    return rejected, stats["key"]["allowed"] + stats["key"]["rejected"]


def _median_ms(values: list[float]) -> float | None:
    return statistics.median(values) * 1000 if values else None


def limits_matching_the_fake() -> Limits:
    return Limits(key=RateLimit(KEY_LIMIT, per=PER), account_writes=RateLimit(PER_ACCOUNT, per=PER))


def measure_a(kind: str, duration: float, warmup: float) -> dict[str, Any]:
    with server() as srv:
        result = anyio.run(
            lambda: run_batch(
                srv, kind=kind, limits=limits_matching_the_fake(), warmup=warmup, duration=duration
            )
        )
    result["fraction_of_allowed"] = result["sends_per_s"] / ALLOWED
    result["pass"] = (
        result["fraction_of_allowed"] >= TARGETS["a_fraction"]
        and result["rate_limit_429s"] <= TARGETS["a_429"]
    )
    return result


def measure_b(kind: str, duration: float, warmup: float) -> dict[str, Any]:
    with server() as srv:
        result = anyio.run(
            lambda: run_batch(
                srv,
                kind=kind,
                limits=limits_matching_the_fake(),
                warmup=warmup,
                duration=duration,
                hold_at=duration / 2,
            )
        )
    # The seven others are measured over the whole span; the held account only sends
    # during its first half.
    allowed_others = (ACCOUNTS - 1) * PER_ACCOUNT / PER
    result["others_fraction_of_allowed"] = result["others_sends_per_s"] / allowed_others
    result["pass"] = result["others_fraction_of_allowed"] >= TARGETS["b_fraction_others"]
    return result


def measure_c(kind: str, duration: float, warmup: float) -> dict[str, Any]:
    with server() as srv:
        result = anyio.run(
            lambda: run_batch(srv, kind=kind, limits=None, warmup=warmup, duration=duration)
        )
    result["fraction_of_allowed"] = result["sends_per_s"] / ALLOWED
    result["pass"] = result["fraction_429"] < TARGETS["c_429_fraction"]
    return result


# -- (d): CPU per call of the limits machinery with no limits set ---------------------------


async def _cpu_per_send(calls: int) -> float:
    """Process CPU µs per reply sent through ``fake.client()`` (fake in-process)."""
    from connectsafely.testing import FakeConnectSafely

    fake = FakeConnectSafely()
    urn = fake.add_conversation(recipient_profile_id="cpu-bench").urn
    async with fake.client() as client:
        send = client.conversations.send
        for _ in range(100):  # warm caches, converters, the connection
            await send("Hello", conversation_urn=urn)
        began = time.process_time()
        for _ in range(calls):
            await send("Hello", conversation_urn=urn)
        return (time.process_time() - began) / calls * 1e6


async def _noop_admit(self: Any) -> None:
    return None


async def _noop_observe(self: Any, response: Any) -> None:
    return None


async def _gate_alone(calls: int) -> float:
    """CPU µs of ``gate.call(scope)`` + ``admit()`` + ``observe(response)`` with no limits
    set, on a send's scope and a 200 response without rate-limit headers."""
    import httpx

    from connectsafely._limits import MESSAGE, CallScope, Limiter, RateGate

    gate = RateGate(Limiter())
    scope = CallScope(account="acc", kind=MESSAGE, write=True)
    response = httpx.Response(200, headers={"content-type": "application/json"}, content=b"{}")
    began = time.process_time()
    for _ in range(calls):
        rate = gate.call(scope)
        await rate.admit()
        await rate.observe(response)
    return (time.process_time() - began) / calls * 1e6


def measure_d(calls: int, repeats: int) -> dict[str, Any]:
    from connectsafely._limits import CallGate

    admit, observe = CallGate.admit, CallGate.observe
    current: list[float] = []
    bypassed: list[float] = []

    def run_bypassed() -> None:
        CallGate.admit, CallGate.observe = _noop_admit, _noop_observe  # type: ignore[method-assign]
        try:
            bypassed.append(anyio.run(_cpu_per_send, calls))
        finally:
            CallGate.admit, CallGate.observe = admit, observe  # type: ignore[method-assign]

    for repeat in range(repeats):  # interleaved, alternating which goes first
        if repeat % 2:
            run_bypassed()
            current.append(anyio.run(_cpu_per_send, calls))
        else:
            current.append(anyio.run(_cpu_per_send, calls))
            run_bypassed()
    gate_alone = statistics.median(anyio.run(_gate_alone, 20_000) for _ in range(5))
    ratio = statistics.median(current) / statistics.median(bypassed)
    return {
        "calls_per_repeat": calls,
        "repeats": repeats,
        "cpu_us_per_send": statistics.median(current),
        "cpu_us_per_send_gate_bypassed": statistics.median(bypassed),
        "runs": {"current": current, "bypassed": bypassed},
        "ratio": ratio,
        "gate_alone_us_per_call": gate_alone,
        "gate_alone_fraction_of_send": gate_alone / statistics.median(current),
        "pass": ratio <= 1 + TARGETS["d_overhead"],
        "note": "process CPU includes the in-process fake's work on each call",
    }


# -- the report -----------------------------------------------------------------------------


KINDS = ("reply", "cold")


def run(
    *,
    quick: bool,
    duration: float | None = None,
    only: tuple[str, ...] = ("a", "b", "c", "d"),
    kinds: tuple[str, ...] = KINDS,
    progress: Any = print,
) -> dict[str, Any]:
    """Measure the targets in ``only`` for each item kind; returns the results."""
    duration = duration if duration is not None else (6.0 if quick else 24.0)
    warmup = PER  # one window: the first window (connections opening) is not steady state
    result: dict[str, Any] = {
        "environment": environment(),
        "setup": {
            "accounts": ACCOUNTS,
            "per_account": f"{PER_ACCOUNT} per {PER:g} s",
            "key": f"{KEY_LIMIT} per {PER:g} s",
            "allowed_sends_per_s": ALLOWED,
            "concurrency": CONCURRENCY,
            "items": "replies and cold sends, round-robin over the accounts",
            "server": "FakeConnectSafely on loopback (uvicorn), a separate process per run",
        },
        "quick": quick,
        "targets": TARGETS,
    }
    measures = {"a": measure_a, "b": measure_b, "c": measure_c}
    for name, measure in measures.items():
        if name in only:
            result[name] = {}
            for kind in kinds:
                progress(f"limits: ({name}) {kind}, {warmup + duration:g} s")
                result[name][kind] = measure(kind, duration, warmup)
    if "d" in only:
        progress("limits: (d) CPU per send")
        result["d"] = measure_d(2000 if quick else 4000, 5 if quick else 7)
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(result: dict[str, Any]) -> list[str]:
    """The targets with their measured values, one line each."""
    lines = []
    for kind, a in result.get("a", {}).items():
        lines.append(
            f"(a) {kind}, send_many with Limits: {a['sends_per_s']:.2f} sends/s of "
            f"{ALLOWED:g} allowed = {a['fraction_of_allowed']:.3f} (target >= 0.95), "
            f"{a['rate_limit_429s']} x 429 (target 0; "
            f"{a['after_warmup']['rate_limit_429s']} after the warm-up): {verdict(a['pass'])}"
        )
    for kind, b in result.get("b", {}).items():
        lines.append(
            f"(b) {kind}, one account held mid-run: the other 7 at "
            f"{b['others_sends_per_s']:.2f} sends/s = {b['others_fraction_of_allowed']:.3f} "
            f"of 35 (target >= 0.95): {verdict(b['pass'])}; held account refused locally "
            f"{sum(b['refused_locally'].values())} (p50 {b['refused_latency_p50_ms']:.0f} ms "
            f"from read to outcome; one refusal alone {b['single_refusal_us']:.0f} µs), hold "
            f"429s from the server {b['hold_429s_from_server']}, rate-limit 429s "
            f"{b['rate_limit_429s']} ({b['after_warmup']['rate_limit_429s']} after the warm-up)"
        )
    for kind, c in result.get("c", {}).items():
        lines.append(
            f"(c) {kind}, no client-side limits: {c['rate_limit_429s']} x 429 of "
            f"{c['requests_counted_by_key']} requests = {c['fraction_429'] * 100:.1f} % "
            f"(target < 2 %): {verdict(c['pass'])}; after the warm-up "
            f"{c['after_warmup']['fraction_429'] * 100:.1f} %; {c['sends_per_s']:.2f} sends/s "
            f"= {c['fraction_of_allowed']:.3f} of allowed"
        )
    if "d" in result:
        d = result["d"]
        lines.append(
            f"(d) CPU per send, no limits: {d['cpu_us_per_send']:.1f} µs, gate bypassed "
            f"{d['cpu_us_per_send_gate_bypassed']:.1f} µs -> ratio {d['ratio']:.3f} "
            f"(target <= 1.05): {verdict(d['pass'])}; the gate alone (call + admit + observe) "
            f"{d['gate_alone_us_per_call']:.2f} µs = {d['gate_alone_fraction_of_send'] * 100:.1f} %"
            " of a send"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="6 s spans instead of 24 s")
    parser.add_argument("--duration", type=float, default=None, help="measured seconds")
    parser.add_argument("--only", nargs="+", choices=["a", "b", "c", "d"], default=list("abcd"))
    parser.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return
    result = run(
        quick=args.quick,
        duration=args.duration,
        only=tuple(args.only),
        kinds=tuple(args.kinds),
        progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
    )
    write_results(RESULTS_DIR / "limits.json", result)
    for line in report(result):
        print(line)


if __name__ == "__main__":
    main()
