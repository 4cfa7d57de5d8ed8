"""The plugin's examples in the docs are test files: each document's are run with pytest.

A block whose first line is ``# docs: pytest <file name>`` is written to that file (a
``conftest.py`` block applies to the document's other files, as a conftest does) and the
document's files run together in one pytest process with the plugin installed; every test
in them must pass. tests/docs/test_docs_examples.py runs the other blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.plugin.conftest import UserPytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"\A\s*# docs: pytest (\S+\.py)\s*\n")


def _test_files() -> dict[str, dict[str, str]]:
    """{document: {file name: code}} for every document with pytest blocks."""
    found: dict[str, dict[str, str]] = {}
    for document in DOCUMENTS:
        for block in _BLOCK.finditer(document.read_text(encoding="utf-8")):
            marker = _MARKER.match(block[1])
            if marker is None:
                continue
            files = found.setdefault(str(document.relative_to(ROOT)), {})
            assert marker[1] not in files, f"{document.name}: two blocks write {marker[1]}"
            files[marker[1]] = block[1][marker.end() :]
    return found


def test_the_testing_guide_has_plugin_examples() -> None:
    files = _test_files()["docs/testing.md"]
    assert "conftest.py" in files and len(files) >= 7


@pytest.mark.parametrize("document", sorted(_test_files()))
def test_every_plugin_example_passes(user_pytest: UserPytest, document: str) -> None:
    files = _test_files()[document]
    for name, code in files.items():
        (user_pytest.pytester.path / name).write_text(code, encoding="utf-8")
    result = user_pytest.run("-rA", "--strict-markers")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0, result.outlines
    passed = {
        line.split()[1].split("::")[0] for line in result.outlines if line.startswith("PASSED ")
    }
    assert passed == set(files) - {"conftest.py"}, result.outlines
