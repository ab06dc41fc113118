"""A list whose files all lie outside the root names the folder to give.

``find /data/audio -name '*.wav' | melcli mel --files-from - -o out`` run from
another folder: every path is found, but outside the root (the current
folder), and fails so. The last line said ``give --root the folder that holds
them``; it now names it, as it does for a table kept apart from its audio.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import short_tones

import melcli
from melcli.cli.main import cli

pytestmark = pytest.mark.usefixtures("isolated")  # cwd: tmp_path / "cwd"


def test_absolute_paths_from_elsewhere(tmp_path: Path) -> None:
    audio = short_tones(tmp_path / "audio", 3)
    listing = "".join(f"{audio / f'{k}.wav'}\n" for k in range(3))
    out = str(tmp_path / "out")
    command = ["mel", "--files-from", "-", "-o", out, "-j", "1"]
    done = CliRunner().invoke(cli, command, input=listing)
    assert done.exit_code == 1
    assert done.stderr.splitlines()[-2:] == [
        "warning: no file listed in <stdin> was found; its paths are taken "
        f"relative to the current folder, and they lie outside it, in {audio}: "
        f"give --root {audio}",
        "0 written, 3 failed.",
    ]
    again = CliRunner().invoke(cli, [*command, "--root", str(audio)], input=listing)
    assert again.stderr.splitlines() == ["3 written."]


def test_relative_paths_climbing_out(tmp_path: Path) -> None:
    short_tones(Path.cwd() / "audio", 2)
    (Path.cwd() / "meta").mkdir()
    table = Path("meta") / "list.csv"
    table.write_text("path,label\n../audio/0.wav,a\n../audio/1.wav,b\n")
    report = melcli.run([], tmp_path / "out", files_from=table, jobs=1)
    assert report.warnings == [
        f"no file listed in {table} was found; its paths are taken relative to "
        "meta, and they lie outside it, in audio: give --root audio"
    ]
    again = melcli.run([], tmp_path / "out", files_from=table, root="audio", jobs=1)
    assert again.summary() == "2 written."


def test_a_path_missing_is_not_said_outside(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    table = tmp_path / "list.txt"
    table.write_text(f"{elsewhere / 'gone.wav'}\n")
    report = melcli.run([], tmp_path / "out", files_from=table, root=".", jobs=1)
    assert report.count(melcli.Status.FAILED) == 1
    assert "lie outside it" not in " ".join(report.warnings)
