"""What a newcomer's trial run (session 22) tripped on.

- ``--dry-run`` printed ``error:`` lines for inputs that would fail (two inputs
  writing one output, a listed file not found) and exited 0: a CI step that
  checks a plan with ``melcli mel --dry-run`` saw success, and the last line
  counted only what would be built.
"""

from __future__ import annotations

from pathlib import Path

import soundfile as sf
from conftest import invoke, mel, tone


def _clashing(tmp_path: Path) -> Path:
    src = tmp_path / "audio"
    src.mkdir()
    for name in ("a.wav", "a.flac", "b.wav"):
        sf.write(src / name, tone(sr=8000, seconds=0.2), 8000)
    return src


def test_a_dry_run_with_inputs_that_would_fail_exits_1(tmp_path: Path) -> None:
    src = _clashing(tmp_path)
    plan = mel(src, tmp_path / "out", "--dry-run")
    run = mel(src, tmp_path / "out2")
    assert run.exit_code == 1
    assert plan.exit_code == run.exit_code
    assert plan.stderr.splitlines()[-1] == (
        "1 to build, 0 up to date, 2 would fail (dry run: nothing written)."
    )
    assert not (tmp_path / "out").exists()


def test_a_dry_run_of_a_list_none_of_whose_files_is_found_exits_1(
    tmp_path: Path,
) -> None:
    listed = tmp_path / "list.txt"
    listed.write_text("gone1.wav\ngone2.wav\n")
    plan = invoke("mel", "--files-from", listed, "-o", tmp_path / "out", "--dry-run")
    assert plan.exit_code == 1
    assert "2 would fail" in plan.stderr.splitlines()[-1]


def test_a_clean_dry_run_still_exits_0(tmp_path: Path) -> None:
    src = _clashing(tmp_path)
    plan = mel(src, tmp_path / "out", "--dry-run", "--exclude", "*.flac")
    assert plan.exit_code == 0, plan.stderr
    assert plan.stderr.splitlines()[-1] == (
        "2 to build, 0 up to date (dry run: nothing written)."
    )


# ------------------------------------------------------------- melcli presets
# 'melcli presets' printed about 220 lines (every preset's settings, sources,
# test and notes): the names a newcomer looks for scrolled away. Now one line
# each; NAME or --all shows the details.


def test_presets_lists_one_line_per_preset_and_says_how_to_see_more() -> None:
    from melcli.presets import PRESETS

    result = invoke("presets")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(PRESETS)
    for line, preset in zip(lines, PRESETS.values(), strict=True):
        name, summary = line.split(maxsplit=1)
        assert (name, summary) == (preset.name, preset.summary)
    assert "settings:" not in result.stdout
    assert "'melcli presets NAME'" in result.stderr
    assert "--all" in result.stderr


def test_presets_all_and_name_show_the_details() -> None:
    from melcli.presets import PRESETS

    every = invoke("presets", "--all")
    one = invoke("presets", "whisper")
    assert every.exit_code == one.exit_code == 0
    assert every.stdout.count("\n  settings: ") == len(PRESETS)
    assert every.stdout.startswith(one.stdout)
    assert one.stdout.startswith("whisper: ")
    assert "  source:   " in one.stdout
