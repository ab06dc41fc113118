"""What a newcomer's trial run (session 22) tripped on; each section says how.

- ``--dry-run`` printed ``error:`` lines for inputs that would fail (two inputs
  writing one output, a listed file not found) and exited 0: a CI step that
  checks a plan with ``melcli mel --dry-run`` saw success, and the last line
  counted only what would be built.
- ``melcli presets`` printed some 220 lines; ``--include``/``--exclude`` missed
  files by case in silence; a list whose paths start with ``--root``'s name;
  ``--shard-size 10``; a ``--path-column`` typo; a dataset's table passed over
  in the tree (its labels lost).
"""

from __future__ import annotations

from pathlib import Path

import pytest
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
        "1 to build, 0 up to date, 2 would fail (dry run: "
        "nothing written, nothing decoded)."
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
        "2 to build, 0 up to date, 1 skipped (dry run: nothing written, "
        "nothing decoded)."
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


# ---------------------------------------------- patterns that miss by case
# --ext is case-insensitive, --include/--exclude match case and all (kept so:
# a pattern means what it spells, see test_trial21_clash_case.py). A newcomer's
# --exclude '*.wav' silently kept sub/UPPER.WAV, and --include '*.wav' silently
# left it out: now a warning names the file and the pattern to add.


def _upper_and_lower(tmp_path: Path) -> Path:
    src = tmp_path / "audio"
    (src / "sub").mkdir(parents=True)
    for rel in ("a.wav", "sub/UPPER.WAV", "sub/Other.WAV", "b.flac"):
        sf.write(src / rel, tone(sr=8000, seconds=0.2), 8000)
    return src


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("warning: ")]


def test_an_exclude_that_misses_by_case_says_so(tmp_path: Path) -> None:
    src = _upper_and_lower(tmp_path)
    result = mel(src, tmp_path / "out", "--exclude", "*.wav")
    assert result.exit_code == 0
    assert _warnings(result.stderr) == [
        "warning: --exclude '*.wav' did not leave out sub/Other.WAV and 1 more "
        "file, which it matches but for the case of letters (patterns match "
        "case and all, unlike --ext): to leave them out too, add --exclude '*.WAV'"
    ]
    # The pattern it gives does what it says.
    again = mel(src, tmp_path / "out2", "--exclude", "*.wav", "--exclude", "*.WAV")
    assert _warnings(again.stderr) == []
    assert [p.name for p in (tmp_path / "out2").rglob("*.npy")] == ["b.npy"]


def test_an_include_that_misses_by_case_says_so_in_a_dry_run_too(
    tmp_path: Path,
) -> None:
    src = _upper_and_lower(tmp_path)
    hint = (
        "warning: --include '*.wav' left out sub/Other.WAV and 1 more file, "
        "which it matches but for the case of letters (patterns match case and "
        "all, unlike --ext): to take them too, add --include '*.WAV'"
    )
    plan = mel(src, tmp_path / "out", "--include", "*.wav", "--dry-run")
    assert _warnings(plan.stderr) == [hint]
    run = mel(src, tmp_path / "out", "--include", "*.wav")
    assert _warnings(run.stderr) == [hint]
    import melcli

    report = melcli.run([src], tmp_path / "api", include="*.wav", jobs=1)
    assert report.warnings == [hint.removeprefix("warning: ")]


def test_a_folder_pattern_that_misses_by_case_names_the_file(tmp_path: Path) -> None:
    src = _upper_and_lower(tmp_path)
    result = mel(src, tmp_path / "out", "--exclude", "SUB/*")
    assert _warnings(result.stderr) == [
        "warning: --exclude 'SUB/*' did not leave out sub/Other.WAV and 1 more "
        "file, which it matches but for the case of letters (patterns match "
        "case and all, unlike --ext)"
    ]


def test_info_and_listed_files_say_it_too(tmp_path: Path) -> None:
    src = _upper_and_lower(tmp_path)
    info = invoke("info", src, "--exclude", "*/upper.wav")
    assert _warnings(info.stderr) == [
        "warning: --exclude '*/upper.wav' did not leave out sub/UPPER.WAV, which "
        "it matches but for the case of letters (patterns match case and all, "
        "unlike --ext): to leave it out too, add --exclude '*/upper.WAV'"
    ]
    listed = src / "list.txt"
    listed.write_text("a.wav\nsub/UPPER.WAV\n")
    run = invoke(
        "mel", "--files-from", listed, "-o", tmp_path / "out", "--include", "*.wav"
    )
    assert _warnings(run.stderr) == [
        "warning: --include '*.wav' left out sub/UPPER.WAV, which it matches but "
        "for the case of letters (patterns match case and all, unlike --ext): to "
        "take it too, add --include '*.WAV'"
    ]


def test_patterns_that_match_as_spelled_say_nothing(tmp_path: Path) -> None:
    src = _upper_and_lower(tmp_path)
    result = mel(src, tmp_path / "out", "--include", "sub/*", "--exclude", "*.flac")
    assert result.exit_code == 0
    assert _warnings(result.stderr) == []


# ------------------------------------ a list whose paths already hold --root
# The README shows 'melcli mel --files-from meta.csv --root audio/ ...'; a
# table whose paths already start with audio/ (audio/dogs/a.wav), given so,
# found nothing, and the last line said only 'give --root the folder that
# holds them'.


def _table_with_root_in_paths(tmp_path: Path) -> Path:
    for rel in ("audio/dogs/a.wav", "audio/cats/b.wav"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / rel, tone(sr=8000, seconds=0.2), 8000)
    table = tmp_path / "meta.csv"
    table.write_text("path,label\naudio/dogs/a.wav,dog\naudio/cats/b.wav,cat\n")
    return table


def test_paths_that_start_with_the_root_name_the_right_root(tmp_path: Path) -> None:
    table = _table_with_root_in_paths(tmp_path)
    root = tmp_path / "audio"
    result = invoke("mel", "--files-from", table, "--root", root, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2] == (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {root}, and they are in {tmp_path}: give --root {tmp_path}"
    )
    fixed = invoke(
        "mel", "--files-from", table, "--root", tmp_path, "-o", tmp_path / "o"
    )
    assert fixed.exit_code == 0, fixed.stderr


def test_from_the_current_folder_it_says_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _table_with_root_in_paths(tmp_path)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "l.txt").write_text("audio/dogs/a.wav\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("mel", "--files-from", "lists/l.txt", "--root", "audio", "-o", "o")
    assert result.stderr.splitlines()[-2] == (
        "warning: no file listed in lists/l.txt was found; its paths are taken "
        "relative to audio, and they are in the current folder: give --root ."
    )


# ------------------------------------------------------ --shard-size 10
# A newcomer read --shard-size as files per shard: '--shard-size 10' was refused
# as 'must be at least 10240 bytes (one tar record)', not saying it is a size.


def test_a_shard_size_given_as_a_count_says_it_is_bytes(tmp_path: Path) -> None:
    src = _clashing(tmp_path)
    result = mel(src, tmp_path / "out", "--format", "webdataset", "--shard-size", "10")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--shard-size': --shard-size 10 must be at least "
        "10240 bytes (one tar record): it is a size in bytes, such as 500MB, not "
        "a number of files"
    )
    assert not (tmp_path / "out").exists()


# ------------------------------------------- a --path-column with a typo
# '--path-column fold{folds}/...' listed the columns but did not point at
# 'fold', where --preset, --group-by and config keys name the nearest.


def _us8k_table(tmp_path: Path) -> Path:
    table = tmp_path / "us8k.csv"
    table.write_text("slice_file_name,fold,class\na.wav,1,dog\n")
    return table


def test_a_path_template_column_typo_names_the_nearest(tmp_path: Path) -> None:
    table = _us8k_table(tmp_path)
    template = "fold{folds}/{slice_file_name}"
    result = invoke(
        "mel", "--files-from", table, "--path-column", template, "-o", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].endswith(
        f"has no column 'folds' (in --path-column '{template}'); its columns: "
        "slice_file_name, fold, class; did you mean 'fold'?"
    )


def test_a_path_column_typo_names_the_nearest(tmp_path: Path) -> None:
    table = _us8k_table(tmp_path)
    result = invoke(
        "mel", "--files-from", table, "--path-column", "Class", "-o", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].endswith(
        "has no column 'Class'; its columns: slice_file_name, fold, class; "
        "did you mean 'class'?"
    )


# ------------------------------------------- a dataset's table in the tree
# 'melcli mel ESC-50 -o features/' took the audio and passed over
# meta/esc50.csv in silence: every array lost its labels (SpectrogramDataset
# then gave all of them the one class 'audio', their folder).


def _esc50_like(tmp_path: Path, header: str = "filename,fold,category") -> Path:
    root = tmp_path / "ESC-50"
    (root / "audio").mkdir(parents=True)
    (root / "meta").mkdir()
    rows = []
    for k, label in enumerate(("dog", "rain")):
        sf.write(root / "audio" / f"{k}.wav", tone(sr=8000, seconds=0.2), 8000)
        rows.append(f"{k}.wav,1,{label}")
    (root / "meta" / "esc50.csv").write_text("\n".join([header, *rows]) + "\n")
    (root / "README.txt").write_text("a dataset\n")
    return root


def test_a_table_of_the_files_passed_over_in_the_tree_is_said(tmp_path: Path) -> None:
    root = _esc50_like(tmp_path)
    table = root / "meta" / "esc50.csv"
    hint = (
        f"warning: {table} was passed over, and it is a table of files (column "
        "'filename'): to keep its other columns (labels, folds) with each array, "
        f"as meta, give --files-from {table} --root {root / 'audio'} instead of "
        "the folder"
    )
    run = mel(root, tmp_path / "out")
    assert run.exit_code == 0
    assert _warnings(run.stderr) == [hint]
    plan = mel(root, tmp_path / "out2", "--dry-run")
    assert _warnings(plan.stderr) == [hint]
    import melcli

    report = melcli.run([root], tmp_path / "api", jobs=1)
    assert report.warnings == [hint.removeprefix("warning: ")]


def test_a_table_that_names_no_files_or_a_run_from_the_list_says_nothing(
    tmp_path: Path,
) -> None:
    root = _esc50_like(tmp_path, header="name,fold,category")
    assert _warnings(mel(root, tmp_path / "out").stderr) == []
    root = _esc50_like(tmp_path / "b")
    listed = invoke(
        "mel",
        "--files-from",
        root / "meta" / "esc50.csv",
        "--root",
        root / "audio",
        root / "meta",
        "-o",
        tmp_path / "out3",
    )
    assert listed.exit_code == 0, listed.stderr
    assert _warnings(listed.stderr) == []
