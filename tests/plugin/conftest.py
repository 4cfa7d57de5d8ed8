"""Running user-style test files through pytester, in a fresh pytest process each.

The plugin is loaded the way an install loads it: by the ``pytest11`` entry point the
package's pyproject.toml declares. A throwaway ``.dist-info`` holding exactly that entry
point goes on the child's ``PYTHONPATH``, so the child finds the plugin under the name
``connectsafely`` (what ``-p no:connectsafely`` refers to) even from a source checkout
whose installed metadata predates the plugin.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import attrs
import pytest

import connectsafely

ROOT = Path(__file__).resolve().parents[2]


def declared_entry_point() -> tuple[str, str]:
    """(name, module) of the ``pytest11`` entry point in pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[project\.entry-points\.pytest11\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert section, "pyproject.toml declares no pytest11 entry point"
    found = re.findall(r'^(\w+)\s*=\s*"([\w.]+)"', section[1], re.M)
    assert len(found) == 1, found
    return found[0]


@attrs.define
class UserPytest:
    """A pytester bound to the plugin's entry point."""

    pytester: pytest.Pytester

    def run(self, *args: str) -> pytest.RunResult:
        """Run pytest on the files made so far, in a child process."""
        return self.pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "-W",
            "error::ResourceWarning",
            "-W",
            "error::pytest.PytestUnraisableExceptionWarning",
            *args,
            timeout=120,
        )


@pytest.fixture
def user_pytest(
    pytester: pytest.Pytester,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> UserPytest:
    """pytester, with the plugin installed by entry point for its child processes."""
    name, module = declared_entry_point()
    site = tmp_path_factory.mktemp("site")
    dist = site / "connectsafely_entry_point-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: connectsafely-entry-point\nVersion: 0\n"
    )
    (dist / "entry_points.txt").write_text(f"[pytest11]\n{name} = {module}\n")
    # The child imports connectsafely from where this process did.
    package_root = str(Path(connectsafely.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    entries = [package_root, str(site), *(path.split(os.pathsep) if path else [])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(entries))
    return UserPytest(pytester)
