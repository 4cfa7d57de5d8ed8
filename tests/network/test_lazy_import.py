"""The network namespaces cost a program that does not use them nothing at import:
``from connectsafely import AsyncClient`` loads neither their models nor their resources,
and the first use of ``client.invitations`` loads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NETWORK_MODULES = (
    "connectsafely._models.invitations",
    "connectsafely._models.profiles",
    "connectsafely.resources.invitations",
    "connectsafely.resources.profiles",
)

CODE = f"""
import sys
from connectsafely import AsyncClient
names = {NETWORK_MODULES!r}
print([name for name in names if name in sys.modules])
client = AsyncClient(api_key="sk_test_lazy", base_url="http://127.0.0.1:9")
client.invitations, client.profiles
print([name for name in names if name in sys.modules])
"""


def test_importing_the_client_loads_no_network_module_until_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    before, after = done.stdout.split("\n")[:2]
    assert before == "[]"
    assert after == repr(list(NETWORK_MODULES))
