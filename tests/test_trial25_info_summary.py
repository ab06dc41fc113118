"""``Inventory.summary()`` prints as the other reports' ``summary()`` do.

Session 25's trial: ``print(report.summary())`` shows a run's line, but
``print(melcli.info(...).summary())`` showed a dict; its str() is now the
text ``melcli info --summary`` prints, and it is still the dict of
``--summary --json`` (the documented use).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import invoke, short_tones

import melcli


def test_the_totals_print_as_the_command_prints_them(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 3)
    (src / "broken.wav").write_bytes(b"RIFF" + b"\0" * 40)
    totals = melcli.info([src]).summary()
    said = invoke("info", src, "--summary")
    assert said.exit_code == 1
    assert str(totals) + "\n" == said.stdout
    assert said.stdout.startswith("files         3 (1 unreadable, not counted)\n")
    # Still the dict --summary --json prints.
    as_json = invoke("info", src, "--summary", "--json").stdout
    assert totals == json.loads(as_json)
    assert totals["files"] == 3
