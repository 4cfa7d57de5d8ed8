"""The newcomer's first command: ``python -m connectsafely demo``."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connectsafely", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_runs_the_whole_flow_and_exits_zero() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "listening on http://127.0.0.1:" in out
    assert "Retrying POST /linkedin/conversations/send" in out  # the injected 503
    assert "(attempts: 2)" in out
    assert "q3-report.pdf" in out and "pipeline.png" in out
    assert "Jordan Lee" in out and "Priya Shah" in out
    # The reply side: a webhook over a second loopback port, handled once.
    assert "/webhooks/connectsafely -> 200 (attempt 1, signature verified)" in out
    assert "webhook POST http://127.0.0.1:" in out
    assert "Sam Okafor: Thanks! Tuesday at 10 works for me." in out
    assert "invite        with a 75-character note" in out
    assert "follow-up     not sent: Sam replied" in out
    assert out.splitlines()[-1].endswith("; the fake server is shut down.")


def test_demo_json_lines_describe_every_step() -> None:
    result = run("demo", "--json", "--backend", "trio")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds.count("uploaded") == 2
    sent = [e for e in events if e["event"] == "sent"]
    assert [e["channel"] for e in sent] == ["linkedin_inbox", "sales_navigator"]
    assert [e["attempts"] for e in sent] == [2, 1]
    assert sent[1]["thread_id"]
    messages = [e for e in events if e["event"] == "message"]
    assert len(messages) == 4
    assert {m["attachments"] for m in messages} >= {"q3-report.pdf", "pipeline.png"}
    [webhook] = [e for e in events if e["event"] == "webhook"]
    assert webhook["status"] == 200 and webhook["endpoint"].startswith("http://127.0.0.1:")
    [reply] = [e for e in events if e["event"] == "reply"]
    assert reply["from"] == "Sam Okafor" and reply["text"] == "Thanks! Tuesday at 10 works for me."
    assert reply["message_urn"] == webhook["message_urn"]
    # The outreach loop, in order: not connected, invited, accepted, messaged, then the
    # guarded follow-up skipped once the webhook brought the reply.
    loop = [e["event"] for e in events if e["event"] not in ("uploaded", "sent", "message")]
    assert loop == [
        "relationship",
        "invitation",
        "accepted",
        "first_message",
        "webhook",
        "reply",
        "follow_up_skipped",
    ]
    [before] = [e for e in events if e["event"] == "relationship"]
    [after] = [e for e in events if e["event"] == "accepted"]
    assert (before["connected"], after["connected"]) == (False, True)
    [skipped] = [e for e in events if e["event"] == "follow_up_skipped"]
    assert skipped["replied_at"] is not None and skipped["reply_urn"]


def test_demo_help_explains_it() -> None:
    result = run("demo", "--help")
    assert result.returncode == 0
    assert "fake" in result.stdout and "--json" in result.stdout


def test_demo_without_the_server_extra_runs_in_process_and_says_so() -> None:
    # `sys.modules["uvicorn"] = None` makes `import uvicorn` fail exactly as it does on
    # a plain `pip install connectsafely`.
    script = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "from connectsafely.__main__ import main\n"
        "sys.exit(main(['demo']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert "uvicorn is not installed" in lines[0] and "in-process" in lines[0]
    assert "connectsafely[server]" in lines[0]
    assert "(attempts: 2)" in result.stdout  # the same flow, the injected 503 retried
    assert "Jordan Lee" in result.stdout and "Priya Shah" in result.stdout
    assert "webhook POST in-process receiver -> 200" in result.stdout
    assert "Sam Okafor: Thanks! Tuesday at 10 works for me." in result.stdout
    assert lines[-1].endswith("; the fake ran in-process.")  # no server was there to stop
    assert "shut down" not in result.stdout


def test_demo_json_without_the_server_extra_keeps_stdout_json() -> None:
    script = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "from connectsafely.__main__ import main\n"
        "sys.exit(main(['demo', '--json']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "in-process" in result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["attempts"] for e in events if e["event"] == "sent"] == [2, 1]
    assert [e["from"] for e in events if e["event"] == "reply"] == ["Sam Okafor"]
