"""``--dry-run`` counts the paths the run would pass over, as the run does.

A newcomer compares the dry run's last line with the run's: ``8 written, 1
skipped.`` after ``8 to build, 0 up to date (dry run: ...)`` looked like a
file gone missing between the two. The plan now counts them (``1 skipped``),
its JSON has ``skipped``, and ``-v`` lists each with its reason, as the run's
``-v`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import mel, short_tones

import melcli

pytestmark = pytest.mark.usefixtures("isolated")

DRY = "(dry run: nothing written, nothing decoded)."


def audio_with_notes(tmp_path: Path) -> Path:
    src = short_tones(tmp_path / "audio", 2)
    (src / "README.md").write_text("notes\n")
    return src


def test_the_dry_run_counts_skipped_as_the_run_does(tmp_path: Path) -> None:
    src = audio_with_notes(tmp_path)
    out = tmp_path / "out"
    plan = mel(src, out, "--dry-run")
    assert plan.exit_code == 0
    assert plan.stderr.splitlines()[-1] == f"2 to build, 0 up to date, 1 skipped {DRY}"
    run = mel(src, out)
    assert run.stderr.splitlines()[-1] == "2 written, 1 skipped."
    again = mel(src, out, "--dry-run")
    assert again.stderr.splitlines()[-1] == f"0 to build, 2 up to date, 1 skipped {DRY}"


def test_the_dry_run_lists_each_skipped_path_with_v(tmp_path: Path) -> None:
    src = audio_with_notes(tmp_path)
    plan = mel(src, tmp_path / "out", "--dry-run", "-v")
    assert f"skipped {src / 'README.md'}: not an audio extension" in (
        plan.stderr.splitlines()
    )
    quiet = mel(src, tmp_path / "out", "--dry-run")
    assert "skipped" not in quiet.stderr.replace("1 skipped", "")


def test_the_plan_json_counts_skipped(tmp_path: Path) -> None:
    src = audio_with_notes(tmp_path)
    plan = mel(src, tmp_path / "out", "--dry-run", "--json")
    assert json.loads(plan.stdout)["skipped"] == 1


def test_the_python_plan_holds_the_skipped_paths(tmp_path: Path) -> None:
    src = audio_with_notes(tmp_path)
    plan = melcli.run([src], tmp_path / "out", dry_run=True)
    assert plan.skipped == [(src / "README.md", "not an audio extension")]
    assert plan.summary() == f"2 to build, 0 up to date, 1 skipped {DRY}"
    assert plan.to_json()["skipped"] == 1
