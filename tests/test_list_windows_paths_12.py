"""A list whose paths have Windows's backslashes is told so, not to give --root.

``fold1\\a.wav`` in a table made on Windows names, here, a file whose name
holds a backslash: none is found, and the hint said ``give --root the folder
that holds them``, which no --root fixes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli

SAID = (
    "no file listed in meta.csv was found; its paths are taken relative to the "
    "current folder, and they have backslashes between folders, as Windows "
    "writes them (fold1\\a.wav), and with '/' they are there: write them with '/'"
)


def test_windows_paths_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(Path("fold1"), n=2)
    Path("fold1/0.wav").rename("fold1/a.wav")
    Path("meta.csv").write_text("filename,label\nfold1\\a.wav,dog\nfold1\\1.wav,cat\n")
    report = melcli.run([], "out", files_from="meta.csv", jobs=1)
    assert report.warnings[-1] == SAID
    result = invoke("mel", "--files-from", "meta.csv", "-o", "out2", "-j", "1")
    assert result.exit_code == 1
    # As every line is printed: a backslash written twice.
    assert f"warning: {SAID.replace(chr(92), chr(92) * 2)}\n" in result.stderr


def test_a_backslash_in_a_real_name_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files not there with '/' either: the usual hint.
    monkeypatch.chdir(tmp_path)
    Path("meta.csv").write_text("filename\nfold1\\a.wav\n")
    report = melcli.run([], "out", files_from="meta.csv", jobs=1)
    assert report.warnings[-1].endswith("give --root the folder that holds them")


def test_cells_with_spaces_after_commas_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "fold, filename" then "1, 0.wav": the path is " 0.wav", and the hint
    # said to give --root.
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"), n=2)
    Path("audio/meta.csv").write_text("fold, filename\n1, 0.wav\n2, 1.wav\n")
    report = melcli.run([], "out", files_from="audio/meta.csv", jobs=1)
    assert report.warnings[-1] == (
        "no file listed in audio/meta.csv was found; its paths are taken relative "
        "to audio, and they begin or end with spaces (' 0.wav'), as the cells of a "
        "table written with a space after each comma do, and without them they "
        "are there: write the table without those spaces"
    )
