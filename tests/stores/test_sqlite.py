"""`SQLiteStore` beyond the contract: real processes sharing one file, files that cannot
be used, Trio, and a client sending through it.

The multi-process tests start real OS processes (``sys.executable``) that import this
checkout, wait until every one is ready, then race on the same file; each is bounded by a
timeout of a few seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

import connectsafely
from connectsafely._errors import StoreError
from connectsafely.stores import ClaimStatus, SQLiteStore
from connectsafely.testing import FakeConnectSafely

pytestmark = pytest.mark.anyio

T0 = 1_800_000_000.0

ROOT = Path(connectsafely.__file__).resolve().parent.parent
"""The checkout the child processes import (the same code as this test)."""

CHILD_TIMEOUT = 30.0

# -- helpers ----------------------------------------------------------------------------------

# A child waits for "go" on stdin after saying "ready", so every child has imported the
# SDK and opened the store before any starts: they really race.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    import anyio
    from connectsafely.stores import ClaimStatus, SQLiteStore

    path, job, backend = sys.argv[1], sys.argv[2], sys.argv[3]
    T0 = 1_800_000_000.0

    async def main():
        store = SQLiteStore(path)
        if job != "use":
            await store.blocked("warm-up")  # opens the file and makes the tables
        print("ready", flush=True)
        sys.stdin.readline()
        out = []
        if job == "claim":
            for i in range(200):
                claim = await store.claim(f"key-{i}", "digest", time.time())
                if claim.status is ClaimStatus.NEW:
                    await store.deliver(f"key-{i}", claim.token, "{}", time.time())
                out.append([f"key-{i}", claim.status.value])
        elif job == "count":
            out = [await store.count("new|acct|2027-01-15", 100) for _ in range(60)]
        elif job == "reserve":
            out = [await store.reserve("bucket", 1.0, 0.0, T0) for _ in range(50)]
        elif job == "use":
            try:
                await store.claim("k", "d", T0)
                out = "ok"
            except Exception as exc:
                out = f"{type(exc).__name__}: {exc}"
        await store.aclose()
        print(json.dumps(out), flush=True)

    anyio.run(main, backend=backend)
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _spawn(
    path: Path, job: str, backend: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), job, backend],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        preexec_fn=preexec_fn,  # noqa: PLW1509 - only drops a capability, no threads involved
    )


def _race(path: Path, job: str, processes: int = 3) -> list[Any]:
    """Run ``job`` in ``processes`` children at once; their JSON answers."""
    backends = ["asyncio", "trio"] * processes  # Trio and asyncio processes share the file
    children = [_spawn(path, job, backends[i]) for i in range(processes)]
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline()
            if line.strip() != "ready":
                _, err = child.communicate(timeout=CHILD_TIMEOUT)
                pytest.fail(f"child did not start: {line!r} {err}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        answers = []
        for child in children:
            out, err = child.communicate(timeout=CHILD_TIMEOUT)
            assert child.returncode == 0, err
            answers.append(json.loads(out.strip().splitlines()[-1]))
        return answers
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


# -- several processes, one file ------------------------------------------------------------


def test_workers_starting_together_on_a_new_file_all_open_it(tmp_path: Path) -> None:
    """Workers that open one fresh file at the same moment each switch it to WAL; SQLite
    refuses all but one of them at once ("database is locked", no busy wait), which the
    store waits out instead of failing the first call with a `StoreError`. Each round
    is a race of real threads; before the fix about one round in fifteen lost it."""

    def first_use(
        store: SQLiteStore, start: threading.Barrier, errors: list[BaseException]
    ) -> None:
        start.wait()
        try:
            anyio.run(store.peek, "k", "digest", 0.0)  # the first call opens the file
        except BaseException as exc:
            errors.append(exc)
        finally:
            anyio.run(store.aclose)

    for round_ in range(60):
        path = tmp_path / f"fresh-{round_}.db"
        stores = [SQLiteStore(path) for _ in range(6)]
        start = threading.Barrier(len(stores))
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=first_use, args=(store, start, errors)) for store in stores
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], (round_, errors)


def test_processes_claim_each_key_new_exactly_once(tmp_path: Path) -> None:
    answers = _race(tmp_path / "store.db", "claim")
    statuses: dict[str, list[str]] = {}
    for answer in answers:
        assert len(answer) == 200
        for key, status in answer:
            statuses.setdefault(key, []).append(status)
    assert len(statuses) == 200
    for key, seen in statuses.items():
        assert seen.count("new") == 1, (key, seen)
        assert set(seen) <= {"new", "in_progress", "delivered"}, (key, seen)


def test_processes_counting_one_counter_stop_at_the_cap(tmp_path: Path) -> None:
    answers = _race(tmp_path / "store.db", "count")
    counted = [flag for answer in answers for flag in answer]
    assert len(counted) == 180
    assert counted.count(True) == 100


def test_processes_never_get_the_same_pacing_slot(tmp_path: Path) -> None:
    answers = _race(tmp_path / "store.db", "reserve")
    slots = [slot for answer in answers for slot in answer]
    assert len(slots) == 150
    assert sorted(slots) == [T0 + i for i in range(150)]  # distinct, evenly spaced
    for answer in answers:
        assert answer == sorted(answer)  # each process's own slots only move forward


async def test_a_pause_in_one_store_is_seen_by_another_after_refresh(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first, second = SQLiteStore(path), SQLiteStore(path)
    other_namespace = SQLiteStore(path, namespace="other")
    try:
        for store in (first, second, other_namespace):
            assert _quiet(store) is False  # unknown until asked
            await store.refresh()
            assert _quiet(store) is True
        assert await first.pause("key", T0 + 10) is True
        assert _quiet(first) is False  # at once, in the store that recorded it
        assert _quiet(second) is True  # the others learn on refresh
        await second.refresh()
        await other_namespace.refresh()
        assert _quiet(second) is False
        assert _quiet(other_namespace) is True
        assert await second.paused_until(("key",)) == T0 + 10
        assert await other_namespace.paused_until(("key",)) == -float("inf")
        # A long-past pause is swept by a later claim; then everyone is quiet again.
        await second.claim("k", "d", T0 + 10 + 7200)
        await first.refresh()
        assert _quiet(first) is True
    finally:
        for store in (first, second, other_namespace):
            await store.aclose()


async def test_a_block_set_elsewhere_makes_the_store_non_quiet(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first, second = SQLiteStore(path), SQLiteStore(path)
    try:
        await second.refresh()
        await first.set_block("hold|a|CONNECT", T0 + 100, "CONNECT")
        assert _quiet(first) is False
        await second.refresh()
        assert _quiet(second) is False
        assert await second.blocked("hold|a|CONNECT") == (T0 + 100, "CONNECT")
    finally:
        await first.aclose()
        await second.aclose()


async def test_delivered_entries_past_the_ttl_are_swept(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path, ttl=60.0)
    try:
        for i in range(5):
            claim = await store.claim(f"k{i}", "d", T0)
            assert claim.token is not None
            await store.deliver(f"k{i}", claim.token, "{}", T0)
        pending = await store.claim("pending", "d", T0)
        assert _rows(path, "ledger") == 6
        await store.claim("later", "d", T0 + 3600)  # sweeps: 5 delivered entries are old
        assert _rows(path, "ledger") == 2  # an unfinished claim is never swept
        again = await store.claim("pending", "d", T0 + 3601)
        assert again.status is ClaimStatus.IN_DOUBT and pending.started_at == T0
    finally:
        await store.aclose()


def _rows(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _quiet(store: SQLiteStore) -> bool:
    return store.quiet  # read afresh each time (mypy would narrow the property)


def _has_wal(path: Path) -> bool:
    return Path(f"{path}-wal").exists()


async def test_concurrent_tasks_in_one_process_claim_a_key_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    statuses: list[ClaimStatus] = []

    async def claim() -> None:
        statuses.append((await store.claim("k", "d", T0)).status)

    try:
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(claim)
    finally:
        await store.aclose()
    assert Counter(statuses) == {ClaimStatus.NEW: 1, ClaimStatus.IN_PROGRESS: 19}


# -- files that cannot be used ----------------------------------------------------------------


async def test_a_corrupt_file_fails_the_call_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(os.urandom(8192))
    store = SQLiteStore(path)  # no I/O yet
    with pytest.raises(StoreError, match=re.escape(repr(str(path)))) as info:
        await store.claim("k", "d", T0)
    assert "not a database" in str(info.value)
    with pytest.raises(StoreError, match=re.escape(str(path))):
        await store.refresh()  # each call tries again, and fails again
    await store.aclose()


async def test_a_missing_directory_fails_the_call_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "store.db"
    store = SQLiteStore(path)
    with pytest.raises(StoreError, match=re.escape(str(path))):
        await store.count("c", 1)
    # Once the directory exists the same store works: nothing was cached from the failure.
    path.parent.mkdir(parents=True)
    assert await store.count("c", 1) is True
    await store.aclose()


async def test_a_file_from_a_newer_sdk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
    store = SQLiteStore(path)
    with pytest.raises(StoreError, match="newer connectsafely"):
        await store.blocked("x")
    await store.aclose()


def _without_file_permission_override() -> None:
    """In the child, before it runs Python: give up root's power to ignore permissions.

    Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set, so the program
    the child executes runs without them (Linux; ``prctl(PR_CAPBSET_DROP, ...)``).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _use_in_child(path: Path) -> str:
    """What a fresh process gets from its first call on ``path`` (as a non-root user
    would: as root, without the capabilities that ignore file permissions)."""
    preexec = None
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux"):
            pytest.skip("running as root and cannot drop root's file-permission override")
        preexec = _without_file_permission_override
    try:
        child = _spawn(path, "use", "asyncio", preexec)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop root's file-permission override here: {exc}")
    try:
        out, err = child.communicate("go\n", timeout=CHILD_TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    return str(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("read_only", ["file", "directory"])
async def test_a_read_only_file_fails_the_call_naming_the_path(
    tmp_path: Path, read_only: str
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "store.db"
    made = SQLiteStore(path)
    await made.claim("earlier", "d", T0)
    await made.aclose()
    target = path if read_only == "file" else folder
    mode = target.stat().st_mode
    target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH | (mode & 0o111))  # r-x / r--
    try:
        answer = await anyio.to_thread.run_sync(_use_in_child, path)
    finally:
        target.chmod(mode)
    assert answer.startswith("StoreError: ")
    assert repr(str(path)) in answer
    assert re.search("readonly|unable to open", answer), answer


def test_a_bad_path_fails_at_construction() -> None:
    with pytest.raises(TypeError, match="path"):
        SQLiteStore(b"store.db")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path"):
        SQLiteStore(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path"):
        SQLiteStore("")
    with pytest.raises(TypeError, match="namespace"):
        SQLiteStore("x.db", namespace=1)  # type: ignore[arg-type]


async def test_repr_names_the_path_and_a_closed_store_says_so(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path)
    assert repr(store) == f"SQLiteStore({str(path)!r})"
    assert await store.count("c", 1) is True
    await store.aclose()
    await store.aclose()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        await store.count("c", 1)


# -- a client sending through it --------------------------------------------------------------


async def test_a_client_replays_a_repeated_idempotency_key(tmp_path: Path) -> None:
    fake = FakeConnectSafely()
    path = tmp_path / "store.db"
    store = SQLiteStore(path)
    async with fake.client(store=store) as client:
        first = await client.conversations.send(
            "Hello", recipient_profile_id="jane-doe", idempotency_key="campaign-1/lead-7"
        )
        again = await client.conversations.send(
            "Hello", recipient_profile_id="jane-doe", idempotency_key="campaign-1/lead-7"
        )
    assert first.replayed is False and again.replayed is True
    assert again.sent_message == first.sent_message
    assert [s.text for s in fake.sends] == ["Hello"]
    # The client did not create the store, so it left it open; and a re-run (a new
    # store on the same file, as after a restart) replays too.
    assert await store.count("still-open", 1) is True
    await store.aclose()
    restarted = SQLiteStore(path)
    async with fake.client(store=restarted) as client:
        rerun = await client.conversations.send(
            "Hello", recipient_profile_id="jane-doe", idempotency_key="campaign-1/lead-7"
        )
    await restarted.aclose()
    assert rerun.replayed is True
    assert len(fake.sends) == 1


async def test_a_client_opens_and_closes_a_store_from_a_url(tmp_path: Path) -> None:
    fake = FakeConnectSafely()
    path = tmp_path / "store.db"
    async with fake.client(store=f"sqlite:///{path}") as client:
        store = client._core.pool.limiter.state
        assert repr(store) == f"SQLiteStore({str(path)!r})"
        sent = await client.conversations.send(
            "Hi", recipient_profile_id="jane-doe", idempotency_key="k-1"
        )
        assert _has_wal(path)  # opened on first use, in WAL mode
    assert sent.success and len(fake.sends) == 1
    # Closing the client closed the store it made: the last connection folds the WAL
    # back into the file, and the store refuses further calls.
    assert not _has_wal(path)
    with pytest.raises(StoreError, match="closed"):
        await store.count("c", 1)


# -- fork -------------------------------------------------------------------------------------

FORK = textwrap.dedent(
    """
    import os, sys
    import anyio
    from connectsafely.stores import ClaimStatus, SQLiteStore

    store = SQLiteStore(sys.argv[1])

    async def claim(key):
        return (await store.claim(key, "d", 1_800_000_000.0)).status

    assert anyio.run(claim, "parent-before") is ClaimStatus.NEW  # the parent's connection
    inherited = store._connection
    pid = os.fork()
    if pid == 0:  # the child: its own connection, the same file
        ok = anyio.run(claim, "child") is ClaimStatus.NEW
        ok = ok and store._connection is not inherited
        ok = ok and anyio.run(claim, "parent-before") is ClaimStatus.IN_PROGRESS
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    assert store._connection is inherited  # the parent keeps its own
    assert anyio.run(claim, "child") is ClaimStatus.IN_PROGRESS
    assert anyio.run(claim, "parent-after") is ClaimStatus.NEW
    anyio.run(store.aclose)
    print("ok")
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FORK, str(tmp_path / "store.db")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
