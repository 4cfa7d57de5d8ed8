"""Every ```python block in the README and docs/ runs against the fake, so examples cannot rot.

Two kinds of block:
- complete programs (they call ``anyio.run``, ``asyncio.run`` or ``trio.run``) run as-is in
  a worker thread, with ``CONNECTSAFELY_API_KEY``/``CONNECTSAFELY_BASE_URL`` pointing at
  the fake served on a loopback port;
- snippets run as async code (top-level ``await`` allowed) with ``client`` (an open
  `AsyncClient`), ``fake`` and ``conversation_urn`` defined, as the docs say.

A block whose first line is ``# docs: no-run`` is shown but not executed.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from connectsafely import AsyncClient
from connectsafely.testing import FakeConnectSafely

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
THREAD = (
    "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAAm9n8b7v6c5x4z3a2s1d0fG,"
    "2-Zm9vYmFyYmF6XzEwMA==)"
)
_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_PROGRAM = re.compile(r"\b(anyio|asyncio|trio)\.run\(")


def _blocks() -> list[Any]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            code = match.group(1)
            if code.lstrip().startswith("# docs: no-run"):
                continue
            line = text.count("\n", 0, match.start()) + 1
            name = f"{document.relative_to(ROOT)}:{line}"
            found.append(pytest.param(name, code, id=name))
    return found


def test_documents_have_examples() -> None:
    assert len(_blocks()) >= 8


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "code"), _blocks())
async def test_example_runs(
    name: str,
    code: str,
    fake: FakeConnectSafely,
    loopback: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server, app = loopback
    app.target = fake
    fake.add_conversation(urn=THREAD, recipient_profile_id="jordan-lee")
    monkeypatch.setenv("CONNECTSAFELY_API_KEY", fake.api_key)
    monkeypatch.setenv("CONNECTSAFELY_BASE_URL", server.base_url)
    monkeypatch.chdir(tmp_path)
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    with anyio.fail_after(30):
        if _PROGRAM.search(code):
            namespace: dict[str, Any] = {"__name__": "__main__"}
            await anyio.to_thread.run_sync(exec, compiled, namespace)
            return
        async with AsyncClient() as client:
            namespace = {"client": client, "fake": fake, "conversation_urn": THREAD}
            result = eval(compiled, namespace)  # runs our own documentation
            if inspect.iscoroutine(result):
                await result
