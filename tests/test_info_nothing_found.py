"""``melcli info`` over a folder with no audio says so, as ``melcli mel`` does.

It printed nothing at all (exit 0): a newcomer could not tell an empty folder
from a wrong path or a wrong ``--ext``.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLE_FILES, invoke


def test_info_says_no_audio_files_found(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("no audio here\n")
    said = (  # as 'melcli mel' says it
        "warning: no audio files found: 1 file passed over for its extension "
        "(txt); -v lists each, --ext chooses the extensions\n"
    )
    table = invoke("info", folder)
    assert (table.exit_code, table.stdout) == (0, "")
    assert table.stderr == said
    as_json = invoke("info", folder, "--json")
    assert (as_json.stdout, as_json.stderr) == ("", said)
    summary = invoke("info", folder, "--summary", "--json")
    assert json.loads(summary.stdout)["files"] == 0
    assert summary.stderr == said


def test_info_with_files_says_nothing_more(tmp_path: Path) -> None:
    for options in ((), ("--json",), ("--summary",), ("--summary", "--json")):
        result = invoke("info", SAMPLE_FILES[0], *options)
        assert result.exit_code == 0
        assert result.stderr == ""
