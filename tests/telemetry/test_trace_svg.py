"""docs/images/trace-retried-send.svg is drawn by a script that must keep running."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from benchmarks import trace_svg

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}text"


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ElementTree.fromstring(svg).iter(SVG)]


def test_the_generator_draws_the_retried_send(tmp_path: Path) -> None:
    out = tmp_path / "trace.svg"
    trace_svg.main([str(out)])

    drawn = texts(out.read_text(encoding="utf-8"))
    assert drawn.count("connectsafely conversations.send") == 1
    assert drawn.count("POST /linkedin/conversations/send") == 2
    assert "GET /linkedin/conversations/{conversationUrn}/messages" in drawn  # the check
    assert any("http.request.resend_count=1" in text for text in drawn)
    assert any("error.type=503" in text for text in drawn)


def test_the_committed_picture_shows_the_same_trace() -> None:
    committed = texts((ROOT / "docs/images/trace-retried-send.svg").read_text(encoding="utf-8"))
    assert committed.count("POST /linkedin/conversations/send") == 2
    assert "connectsafely conversations.send" in committed
