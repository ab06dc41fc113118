"""``mel --stats`` that cannot write ``stats.npz`` names it once.

A folder at ``OUT/stats.npz`` gave ``error: OUT/stats.npz: cannot write
OUT/stats.npz: is a directory``: the path twice. ``melcli stats`` says it once;
so does ``mel --stats`` now. A reason that does not name the file still gets
it in front.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli.cli.console import print_stats
from melcli.session import StatsOutcome


def test_a_folder_at_stats_npz_is_named_once(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 2)
    out = tmp_path / "out"
    (out / "stats.npz").mkdir(parents=True)
    result = mel(src, out, "--stats")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "2 written.",
        f"error: cannot write {out / 'stats.npz'}: is a directory",
    ]


def test_a_reason_without_the_path_is_given_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out" / "stats.npz"
    print_stats(StatsOutcome(path=path, error="not written: no room"), quiet=False)
    assert capsys.readouterr().err == f"error: {path}: not written: no room\n"
