"""A ``--files-from`` list none of whose files is found: one cause, said once.

ESC-50's table given without ``--root`` names 2000 files that are all looked
for in ``meta/``. Each fails, but one mistake explains them all, and the hint
naming it must not come after 2000 lines: a few of the failures are shown,
the rest counted in one line, then the hint. ``-v`` shows every one, and the
manifest records every one.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import WriteAudio, invoke

N = 12


def esc50_like(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """``ESC-50/audio/*.wav`` and ``ESC-50/meta/esc50.csv`` naming them; the table."""
    dataset = tmp_path / "ESC-50"
    names = [f"{k % 5 + 1}-{100 + k}-A-{k % 3}.wav" for k in range(N)]
    for name in names:
        write_audio(name, root=dataset / "audio")
    table = dataset / "meta/esc50.csv"
    table.parent.mkdir()
    rows = "".join(f"{name},{k % 5 + 1}\n" for k, name in enumerate(names))
    table.write_text("filename,fold\n" + rows)
    return table


def hint(table: Path) -> str:
    audio = table.parent.parent / "audio"
    return (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {table.parent}, and they are in {audio}: give --root {audio}"
    )


def missing(table: Path, line: int) -> str:
    name = table.read_text().splitlines()[line - 1].split(",")[0]
    return (
        f"error: {table.parent / name}: line {line} of {table}: "
        "no such file or directory"
    )


def test_a_list_not_found_shows_a_few_failures_a_count_and_the_hint(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    table = esc50_like(write_audio, tmp_path)
    out = tmp_path / "out"
    result = invoke("mel", "--files-from", table, "-o", out, "-j", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        missing(table, 2),
        missing(table, 3),
        missing(table, 4),
        f"error: {N - 3} more files listed in {table} failed the same way "
        "(such as: line 5: no such file or directory); -v lists each, and the "
        "manifest records every file's reason",
        hint(table),
        f"0 written, {N} failed.",
    ]
    # Every file is still recorded, with its own line.
    lines = (out / "manifest.jsonl").read_text().splitlines()
    errors = sorted(json.loads(line)["error"] for line in lines if line.strip())
    assert errors == sorted(
        f"line {k} of {table}: no such file or directory" for k in range(2, N + 2)
    )


def test_verbose_shows_every_failure(write_audio: WriteAudio, tmp_path: Path) -> None:
    table = esc50_like(write_audio, tmp_path)
    result = invoke("mel", "--files-from", table, "-o", tmp_path / "out", "-v")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors == [missing(table, k) for k in range(2, N + 2)]
    assert result.stderr.splitlines()[-2:] == [hint(table), f"0 written, {N} failed."]


def test_a_long_log_recaps_the_few_and_the_count(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    table = esc50_like(write_audio, tmp_path)
    result = invoke(
        "mel", "--files-from", table, "-o", tmp_path / "out", "-j", "1",
        "--progress-interval", "0.000001",
    )  # fmt: skip
    lines = result.stderr.splitlines()
    recap = lines[lines.index(f"{N} failed, by path:") + 1 :]
    count = (
        f"{N - 3} more files listed in {table} failed the same way (such as: "
        "line 5: no such file or directory); -v lists each, and the manifest "
        "records every file's reason"
    )
    assert recap == [
        *(f"  {missing(table, k).removeprefix('error: ')}" for k in (2, 3, 4)),
        f"  {count}",
    ]


def test_a_dry_run_and_info_fold_them_too(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    table = esc50_like(write_audio, tmp_path)
    plan = invoke("mel", "--files-from", table, "-o", tmp_path / "out", "--dry-run")
    assert plan.stderr.splitlines() == [
        missing(table, 2),
        missing(table, 3),
        missing(table, 4),
        f"error: {N - 3} more files listed in {table} failed the same way "
        "(such as: line 5: no such file or directory); -v lists each",
        hint(table),
        "0 to build, 0 up to date, 12 would fail (dry run: "
        "nothing written, nothing decoded).",
    ]
    info = invoke("info", "--files-from", table)
    assert info.exit_code == 1
    assert info.stderr.splitlines() == [
        missing(table, 2),
        missing(table, 3),
        missing(table, 4),
        f"error: {N - 3} more files listed in {table} failed the same way "
        "(such as: line 5: no such file or directory); -v lists each",
        hint(table),
    ]


def test_missing_files_of_a_list_partly_found_are_each_shown(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # Some files found: no single cause is known, so every failure is named.
    table = esc50_like(write_audio, tmp_path)
    audio = table.parent.parent / "audio"
    for path in sorted(audio.iterdir())[1:]:
        path.unlink()
    result = invoke("mel", "--files-from", table, "--root", audio, "-o", tmp_path / "o")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == N - 1
    assert result.stderr.splitlines()[-1] == f"1 written, {N - 1} failed."
