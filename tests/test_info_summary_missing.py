"""``melcli info --summary`` counts a list's missing files apart from unreadable ones.

A row of a ``--files-from`` list naming a file that is not there was counted
as ``unreadable``, as a file present but not audio is: a dataset card could
not tell a download that lost files from one that holds junk. Such rows are
now counted in ``missing`` (the exit status stays 1, the errors on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from melcli.cli import cli


def test_missing_listed_files_are_not_unreadable(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "a.wav", np.full(16000, 0.1, np.float32), 16000)
    (audio / "junk.wav").write_bytes(b"not audio at all" * 8)
    (audio / "folder.wav").mkdir()
    listing = tmp_path / "list.csv"
    rows = ["a.wav", "junk.wav", "gone.wav", "also/gone.flac", "folder.wav"]
    listing.write_text("path\n" + "\n".join(rows) + "\n")
    base = ["info", "--files-from", str(listing), "--root", str(audio), "--summary"]

    result = CliRunner().invoke(cli, [*base, "--json"])
    assert result.exit_code == 1
    totals = json.loads(result.stdout)
    assert (totals["files"], totals["unreadable"], totals["missing"]) == (1, 1, 3)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 4, result.stderr  # each named, as before

    text = CliRunner().invoke(cli, base)
    assert text.stdout.splitlines()[0] == (
        "files         1 (1 unreadable, 3 missing, not counted)"
    )


def test_without_a_list_nothing_is_missing(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    (audio / "junk.wav").write_bytes(b"not audio at all" * 8)
    result = CliRunner().invoke(cli, ["info", str(audio), "--summary", "--json"])
    totals = json.loads(result.stdout)
    assert (totals["unreadable"], totals["missing"]) == (1, 0)
