"""A run that took no file, only files of other extensions: ``no audio files found``.

``melcli mel ESC-50/meta -o features/`` (the table's folder, not the audio's)
said ``0 written, 1 skipped.`` and exit 0, where a folder with no file at
all says ``warning: no audio files found``. It now says that too, and what
was passed over.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

from melcli.discover import DEFAULT_EXTENSIONS
from melcli.hints import none_taken_hint, run_hints
from melcli.report import Report, Result, Status


def hint(n: int, extensions: str) -> str:
    files, its = ("1 file", "its") if n == 1 else (f"{n} files", "their")
    return (
        f"warning: no audio files found: {files} passed over for {its} extension "
        f"({extensions}); -v lists each, --ext chooses the extensions"
    )


def test_a_folder_of_tables_says_no_audio_was_found(tmp_path: Path) -> None:
    meta = tmp_path / "meta"
    meta.mkdir()
    (meta / "esc50.csv").write_text("filename\n")
    (meta / "README").write_text("about")
    result = mel(meta, tmp_path / "out")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        hint(2, "csv, no extension"),
        "0 written, 2 skipped.",
    ]


def test_nothing_is_said_when_a_file_was_taken(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    (src / "notes.txt").write_text("x")
    result = mel(src, tmp_path / "out")
    assert result.stderr.splitlines() == ["1 written, 1 skipped."]
    again = mel(src, tmp_path / "out")  # up to date is taken too
    assert again.stderr.splitlines() == ["0 written, 1 up to date, 1 skipped."]


def test_quiet_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "a.csv").write_text("x")
    assert invoke("mel", tmp_path / "meta", "-o", tmp_path / "out", "-q").stderr == ""


def test_many_extensions_are_cut_short() -> None:
    paths = [Path(f"x.e{k}") for k in range(7)]
    line = none_taken_hint(paths)
    assert line is not None
    assert "7 files passed over for their extension (e0, e1, e2, e3, e4, ...)" in line


@pytest.mark.parametrize("stopped", ["interrupted", "not tried"])
def test_a_run_stopped_before_any_file_says_nothing_of_it(stopped: str) -> None:
    report = Report()
    report.add(
        Result(
            src=Path("a.txt"), status=Status.SKIPPED, reason="not an audio extension"
        )
    )
    if stopped == "interrupted":
        report.interrupted_by = 2
    else:
        report.not_tried = 3
    hints = run_hints(
        report,
        report.results,
        include=(),
        sources=(),
        extensions=DEFAULT_EXTENSIONS,
    )
    assert hints == []
