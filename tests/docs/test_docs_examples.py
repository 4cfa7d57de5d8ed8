"""Every ```python block in the README and docs/ runs against the fake, so examples cannot rot.

Two kinds of block:
- complete programs (they call ``anyio.run``, ``asyncio.run`` or ``trio.run``) run as-is in
  a worker thread, with ``CONNECTSAFELY_API_KEY``/``CONNECTSAFELY_BASE_URL`` pointing at
  the fake served on a loopback port;
- snippets run as async code (top-level ``await`` allowed) with ``client`` (an open
  `AsyncClient`), ``fake`` and ``conversation_urn`` defined, as the docs say.

A block whose first line is ``# docs: no-run`` is shown but not executed. A block whose
first line is ``# docs: pytest <file name>`` is a test file for the pytest plugin:
tests/plugin/test_docs_plugin.py runs it with pytest instead.

What each block prints is checked too (`EXPECTED_OUTPUT`), so an example that runs but
shows wrong values fails: a block without ``print`` must print nothing, and a block
that prints needs an entry there (found by a marker string from its code).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
THREAD = (
    "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAAm9n8b7v6c5x4z3a2s1d0fG,"
    "2-Zm9vYmFyYmF6XzEwMA==)"
)
_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_PROGRAM = re.compile(r"\b(anyio|asyncio|trio)\.run\(")

# Pieces of output that differ between runs (random ids, the clock). The examples run
# against a fake that follows the wall clock, as a real server would: the send ledger's
# read-back compares the server's timestamps with the client's clock. Message times are
# whole milliseconds, so one in a thousand prints without a fraction (``12:00:01+00:00``).
TS = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{6})?\+00:00"
EPOCH_MS = r"\d{13}"
PROFILE_URN = r"urn:li:fsd_profile:ACoAA[\w-]+"
MESSAGE_URN = r"urn:li:msg_message:\(urn:li:fsd_profile:ACoAA[\w-]+,2-[\w+/=]+\)"
ASSET_URN = r"urn:li:digitalmediaAsset:D4E10AQ\w{12}"

Check = Callable[[list[str]], None]


def lines(*patterns: str) -> Check:
    """The output is exactly these lines, each matching its regular expression."""

    def check(output: list[str]) -> None:
        assert len(output) == len(patterns), output
        for line, pattern in zip(output, patterns, strict=True):
            assert re.fullmatch(pattern, line), (line, pattern)

    return check


def exactly(*expected: str) -> Check:
    """The output is exactly these lines."""
    return lines(*(re.escape(line) for line in expected))


def in_any_order(*expected: str) -> Check:
    """These lines, in any order (e.g. outcomes in completion order)."""

    def check(output: list[str]) -> None:
        assert sorted(output) == sorted(expected)

    return check


def _stopped_batch(output: list[str]) -> None:
    """docs/bulk.md: where a cancelled batch stopped; the counts must add up."""
    [line] = output
    match = re.fullmatch(
        r"stopped: (\d+) done, resume from item (\d+); "
        r"never sent: \(([\d, ]*)\); unknown: \(([\d, ]*)\)",
        line,
    )
    assert match, line
    done, unread_from = int(match[1]), int(match[2])
    never_sent = [int(n) for n in match[3].replace(",", " ").split()]
    unknown = [int(n) for n in match[4].replace(",", " ").split()]
    assert done > 0 and len(unknown) <= 4  # concurrency=4
    assert done + len(never_sent) + len(unknown) == unread_from
    assert all(index < unread_from for index in never_sent + unknown)


def _quota_reset(output: list[str]) -> None:
    """docs/sending.md: the daily quota resets within a day."""
    [line] = output
    match = re.fullmatch(r"quota used up; resets in (\d+\.\d) h", line)
    assert match, line
    assert 0 <= float(match[1]) <= 24


def _console_spans(output: list[str]) -> None:
    """docs/observability.md: the console exporter's JSON names the attempt, then the call."""
    names = re.findall(r'^    "name": "([^"]*)",$', "\n".join(output), re.MULTILINE)
    assert names == [
        "GET /linkedin/conversations/exists/{profileId}",
        "connectsafely conversations.exists",
    ], output


THREAD_LINE = f"None 0 {THREAD}"
SEEDED_120 = [
    rf"{TS} {'me' if n % 2 == 0 else 'Jordan Lee'} Message {n}" for n in range(120, 0, -1)
]

# (document, a string from the block's code, what the block prints)
EXPECTED_OUTPUT: list[tuple[str, str, Check]] = [
    (
        "README.md",
        "loved your post on ops tooling",
        lines(
            rf"sent {MESSAGE_URN}",
            rf"{TS} Alex Rivera Following up on my note\.",
            rf"{TS} Alex Rivera Hi Jordan, loved your post on ops tooling\. Open to a quick chat\?",
        ),
    ),
    ("README.md", "Quarterly report attached.", exactly("None")),
    ("README.md", "page_size=50", exactly("0 False None")),
    ("README.md", "could not reach ConnectSafely", exactly()),
    ("README.md", '("Ana", "ana-lima")', in_any_order("0 ok", "1 ok")),
    (
        "docs/attachments.md",
        "print(attachment.asset_urn, attachment.byte_size",
        lines(rf"{ASSET_URN} 26 application/pdf q3-report\.pdf"),
    ),
    (
        "docs/attachments.md",
        "from_async_file",
        exactly(
            "image/png text/csv "
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        ),
    ),
    (
        "docs/attachments.md",
        "Here is the chart.",
        lines(
            rf"\[\{{'assetUrn': '{ASSET_URN}', 'byteSize': 11, 'mediaType': 'image/png', "
            r"'name': 'chart\.png'\}\]"
        ),
    ),
    ("docs/bulk.md", "quick question about your roadmap", in_any_order("0 sent", "1 sent")),
    (
        "docs/bulk.md",
        "send_many(requests, concurrency=3)",
        in_any_order(*(f"{n} True" for n in range(6))),
    ),
    ("docs/bulk.md", "def leads()", _stopped_batch),
    (
        "docs/errors.md",
        "recipientProfileId is not a valid profile",
        exactly("400 Bad Request: recipientProfileId is not a valid profile"),
    ),
    ("docs/errors.md", "holdUntil", exactly("True 24")),
    (
        "docs/limits.md",
        "documented = Limits.documented()",
        exactly(
            "RateLimit(limit=60, per=60.0, burst=1) RateLimit(limit=15, per=60.0, burst=1) 150",
            "RateLimit(limit=12, per=60.0, burst=1)",
        ),
    ),
    (
        "docs/limits.md",
        "Sam Quinn",
        exactly("quota used up; resets in 12 h", "refused without a request: True"),
    ),
    (
        "docs/limits.md",
        "hold_until=until",
        exactly("first MESSAGE True False", "second MESSAGE True True"),
    ),
    ("docs/limits.md", "refused_locally", exactly("6 2 True")),
    (
        "docs/limits.md",
        "account_connects=2",
        exactly("CONNECT week used up; resets in 60 h", "3 requests"),
    ),
    ("docs/limits.md", "account_profile_views=1", exactly("PROFILE_VIEW used up; resets in 6 h")),
    (
        "docs/limits.md",
        'old-friend")  # a thread that exists',
        exactly("two new conversations today; the reply was not counted"),
    ),
    (
        "docs/inbox.md",
        "open_profiles.add",
        exactly(
            "Conversation marked as seen successfully",
            "Typing indicator sent successfully",
            "All messages marked as read successfully",
            "open profile: True",
        ),
    ),
    ("docs/inbox.md", "inmail_credits()", exactly("FREE 0")),
    ("docs/inbox.md", "navigator.threads(", exactly("True 1", "1", "True False")),
    (
        "docs/scaling.md",
        'SQLiteStore("outreach.db")',
        exactly("RateLimit(limit=15, per=60.0, burst=1)"),
    ),
    ("docs/scaling.md", "def message_key", exactly("[False, False] [True, True]")),
    (
        "docs/testing.md",
        "fake.hold(held.account_id",
        exactly("held: MESSAGE True", "paced: True 0"),
    ),
    (
        "docs/getting-started.md",
        "open to a quick chat about ops tooling",
        lines(rf"{PROFILE_URN} {EPOCH_MS}"),
    ),
    (
        "docs/inbox.md",
        "conversation.last_activity_at",
        exactly(
            THREAD_LINE, "  with Jordan Lee DISTANCE_1 https://www.linkedin.com/in/jordan-lee/"
        ),
    ),
    ("docs/inbox.md", "page.from_cache", exactly("1 True False None", "['Alex Rivera']")),
    ("docs/inbox.md", "is_sales_navigator", exactly()),  # the fake's thread is a standard one
    ("docs/inbox.md", "sync(force=True)", lines(r"1 0 0\.01", rf"Alex Rivera {TS} True")),
    ("docs/inbox.md", "refresh(conversation_urn)", exactly("Conversation refresh started")),
    (
        "docs/media.md",
        "aiter_bytes(chunk_size=64 * 1024)",
        exactly("application/pdf 12000", "12000"),
    ),
    ("docs/media.md", 'save_media(url, "photo.png"', exactly("photo.png image/png 5008")),
    (
        "docs/media.md",
        "evil.example/x.png",
        exactly(
            "refused: url is not on a LinkedIn media host: 'https://evil.example/x.png'. "
            "Allowed: https://www.linkedin.com/dms/prv/... or https://media.licdn.com/...",
            "refused: url must not carry user info: "
            "'https://media.licdn.com@evil.example/x.png'. "
            "Allowed: https://www.linkedin.com/dms/prv/... or https://media.licdn.com/...",
        ),
    ),
    ("docs/reading.md", "seed_messages(conversation_urn, 120)", lines(*SEEDED_120)),
    (
        "docs/reading.md",
        "seed_messages(conversation_urn, 45)",
        lines(
            rf"20 messages; more: True cursor: {EPOCH_MS}",
            rf"20 messages; more: True cursor: {EPOCH_MS}",
            rf"5 messages; more: False cursor: {EPOCH_MS}",
            re.escape("['Jordan Lee']"),
        ),
    ),
    ("docs/reading.md", "Are you free on Tuesday?", exactly("new: Are you free on Tuesday?")),
    ("docs/reading.md", "seen_up_to", exactly()),  # nothing new arrives while it polls
    (
        "docs/reading.md",
        '"repeat_cursor"',
        lines(
            rf"stopped after 20 messages: The server returned the cursor '{EPOCH_MS}' again "
            r"\(after 2 pages\); stopping instead of fetching the same pages forever\."
        ),
    ),
    (
        "docs/testing.md",
        'fake.error_style = "code_message"',
        exactly(
            "404 {'success': False, 'code': 'account_not_found', 'message': 'Account not found'}"
        ),
    ),
    (
        "docs/testing.md",
        "fail_next_with",
        exactly(
            "['Tell me more.', 'Message 3', 'Message 2', 'Message 1']",
            "LinkedIn session expired",
        ),
    ),
    (
        "docs/testing.md",
        "sent.new_conversation",
        exactly("linkedin_inbox True Hi Sam", "['POST']", "Alex Rivera True", "2 {} True"),
    ),
    ("docs/testing.md", "fake.pending_faults[0].remaining", exactly("1 2")),
    ("docs/testing.md", 'response.json()["hasMore"]', exactly("200 False")),
    (
        "docs/testing.md",
        "CRM timeout",
        exactly("[(1, 500), (2, 200)] ['Tuesday works.', 'Tuesday works.']"),
    ),
    (
        "docs/reliability.md",
        'idempotency_key="a\\nb"',
        exactly("idempotency_key must not contain control characters (CR, LF, tab, ...)."),
    ),
    (
        "docs/sending.md",
        'recipient_profile_id="john-doe-123"',
        lines(rf"True {PROFILE_URN}", rf"{MESSAGE_URN} {EPOCH_MS}"),
    ),
    ("docs/sending.md", "Sent at most once.", exactly()),
    ("docs/sending.md", "daily_quota = 0", _quota_reset),
    (
        "docs/webhooks.md",
        "Sure, Tuesday works.",
        exactly("Jordan Lee said: Sure, Tuesday works.", "[(1, 200)]"),
    ),
    (
        "docs/webhooks.md",
        "Over a real socket.",
        exactly("200 200 {'ok': True, 'duplicate': True} 1"),
    ),
    ("README.md", "Thanks, Tuesday works", exactly("Jordan Lee: Thanks, Tuesday works for me.")),
    ("docs/observability.md", "ConsoleSpanExporter(out=sys.stdout)", _console_spans),
    (
        "docs/observability.md",
        "InMemoryMetricReader()",
        exactly(
            "http.client.request.duration 503 1",
            "http.client.request.duration 200 1",
            "connectsafely.retries - 1",
        ),
    ),
    (
        "docs/testing.md",
        'send("jordan-lee", note="Hi Jordan!")',
        exactly(
            "[('sent', 'pending', 'Hi Jordan!')]",
            "True",
            "['accepted', 'pending', 'declined']",
        ),
    ),
    (
        "docs/network.md",
        "include_skills=True",
        exactly("Jane Doe | CTO at Example | False", "True () Jane", "True"),
    ),
    ("docs/network.md", "no-such-person", exactly("not found: 200")),
    ("docs/network.md", 'relationship("sam-lee")', exactly("NOT_CONNECTED False False")),
    (
        "docs/network.md",
        "enjoyed your talk on async Python",
        exactly(
            "note must be at most 300 characters (LinkedIn's limit for a connection note), "
            "got 301.",
            "Connection request sent successfully False",
            "True",
        ),
    ),
    (
        "docs/network.md",
        "the 91st of the week",
        exactly("CONNECT 24", "weekly 90 0 Monday 00:00"),
    ),
    (
        "docs/network.md",
        "Loved your post on ops tooling!",
        exactly(
            "CONNECTION just now Loved your post on ops tooling!",
            "Invitation from Deepika Khare accepted",
            "True",
            "Successfully withdrew invitation to Old Lead",
        ),
    ),
    (
        "docs/network.md",
        "q3-outreach:maya-chen:connect",
        exactly("False True 1", "True 2"),
    ),
    (
        "docs/network.md",
        "Just following up, Lena.",
        exactly("not sent: Lena Park replied q3:lena-park:2"),
    ),
    (
        "docs/scaling.md",
        'CAMPAIGN = "q3-ops"',
        exactly(
            "[True, True, True]",
            "[('ana-lima', True, False), ('bo-chen', False, True)]",
            "1 follow-up skipped: they had replied",
        ),
    ),
    (
        "docs/network.md",
        "accounts.list()",
        exactly("True alex-rivera AVAILABLE", "AVAILABLE True FREE"),
    ),
]


def _blocks() -> list[Any]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            code = match.group(1)
            if code.lstrip().startswith(("# docs: no-run", "# docs: pytest")):
                continue
            line = text.count("\n", 0, match.start()) + 1
            name = f"{document.relative_to(ROOT)}:{line}"
            found.append(pytest.param(name, code, id=name))
    return found


def test_documents_have_examples() -> None:
    assert len(_blocks()) >= 8


def _expected_output(name: str, code: str) -> Check:
    document = name.rsplit(":", 1)[0]
    found = [
        check for path, marker, check in EXPECTED_OUTPUT if path == document and marker in code
    ]
    if not found and "print(" not in code:
        return exactly()
    assert len(found) == 1, (
        f"{name}: {len(found)} entries of EXPECTED_OUTPUT match this example; "
        "give every printing example exactly one"
    )
    return found[0]


def test_every_expected_output_belongs_to_one_example() -> None:
    codes = [(param.values[0].rsplit(":", 1)[0], param.values[1]) for param in _blocks()]
    for path, marker, _ in EXPECTED_OUTPUT:
        matching = [code for document, code in codes if document == path and marker in code]
        assert len(matching) == 1, f"{path}: {marker!r} matches {len(matching)} examples"


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "code"), _blocks())
async def test_example_runs(
    name: str,
    code: str,
    fake: FakeConnectSafely,
    loopback: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, app = loopback
    app.target = fake
    fake.add_conversation(urn=THREAD, recipient_profile_id="jordan-lee")
    monkeypatch.setenv("CONNECTSAFELY_API_KEY", fake.api_key)
    monkeypatch.setenv("CONNECTSAFELY_BASE_URL", server.base_url)
    monkeypatch.chdir(tmp_path)
    check = _expected_output(name, code)
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    capsys.readouterr()
    with anyio.fail_after(30):
        if _PROGRAM.search(code):
            namespace: dict[str, Any] = {"__name__": "__main__"}
            await anyio.to_thread.run_sync(exec, compiled, namespace)
        else:
            async with AsyncClient() as client:
                namespace = {"client": client, "fake": fake, "conversation_urn": THREAD}
                result = eval(compiled, namespace)  # runs our own documentation
                if inspect.iscoroutine(result):
                    await result
    check(capsys.readouterr().out.splitlines())
