"""CONTRIBUTING.md's "Where is ...?" table names every module of the package, and only
modules that exist: a newcomer's map that cannot drift from the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "CONTRIBUTING.md"


def _modules() -> set[str]:
    package = ROOT / "connectsafely"
    return {path.relative_to(ROOT).as_posix() for path in package.rglob("*.py")}


def _named() -> set[str]:
    return set(re.findall(r"`(connectsafely/[\w/]+\.py)`", MAP.read_text(encoding="utf-8")))


def test_every_module_is_on_the_map() -> None:
    missing = sorted(_modules() - _named())
    assert not missing, f"add these to CONTRIBUTING.md's 'Where is ...?' table: {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    gone = sorted(_named() - _modules())
    assert not gone, f"CONTRIBUTING.md names modules that do not exist: {gone}"
