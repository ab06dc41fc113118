"""Every descriptor melcli opens inside an API call is opened by ``interrupts.os_open``.

A stop signal's handler runs as a C function returns: a descriptor ``os.open``
returned in a call of the API (``melcli.run``, ``melcli.info``, ...) was lost
for the caller's life when Ctrl-C landed there. ``interrupts.os_open`` keeps
it (tests/test_signals_25_writes.py sweeps the moments); this test keeps the
next ``os.open`` from coming back bare where the API runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "melcli"

#: Where a bare os.open is right, and why.
ALLOWED = {
    "interrupts.py": "os_open itself",
    "__main__.py": "the command's start: no API call, the process ends when stopped",
    "_zygote.py": "the pool's fork server and workers: they end when stopped",
    "data.py": "the training loader runs outside any API call (os_open is os.open)",
}


def bare_opens(path: Path) -> list[int]:
    """The lines of ``path`` that call ``os.open`` directly."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "open"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "os"
    ]


def test_no_bare_os_open_where_the_api_runs() -> None:
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.parts[len(PACKAGE.parts)] != "cli"  # the command only
        and str(path.relative_to(PACKAGE)) not in ALLOWED
        and (lines := bare_opens(path))
    }
    assert found == {}, f"open with interrupts.os_open: {found}"


def test_the_scan_sees_a_bare_open(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfd = os.open('a', os.O_RDONLY)\n", encoding="utf-8")
    assert bare_opens(sample) == [2]
