"""``melcli info`` says what ``--include``/``--exclude`` did not do, as a run does.

``melcli mel audio/ --include dogs`` says the pattern names a folder (give
``dogs/*``), and that an ``--include`` took none of the files found; ``melcli
info`` with the same patterns said only ``no audio files found``, or, for an
``--exclude`` naming a folder, nothing at all while listing the folder's files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, two_classes

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def _warnings(*args: object) -> list[str]:
    result = invoke("info", *args)
    assert result.exit_code == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def test_a_folder_named_as_a_pattern(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "audio")
    [line] = _warnings(src, "--include", "dogs")
    assert "--include 'dogs' names a folder" in line
    assert "give --include 'dogs/*'" in line
    [line] = _warnings(src, "--exclude", "dogs/")
    assert "--exclude 'dogs/' names a folder" in line
    assert "leaves out no file" in line
    report = melcli.info(src, include="dogs")
    assert report.rows == []
    [line] = report.warnings
    assert "give --include 'dogs/*'" in line


def test_an_include_that_took_nothing(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "audio")
    pattern = f"{src}/dogs/*"  # with SRC in it: matches no relative path
    [line] = _warnings(src, "--include", pattern)
    assert line.startswith(f"warning: --include '{pattern}' took none of 2 files found")
    assert "relative to its SRC" in line
    assert _warnings(src, "--include", "dogs/*") == []  # as meant: said nothing
    assert len(melcli.info(src, include="dogs/*").rows) == 1


def test_no_audio_is_still_said(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert _warnings(tmp_path / "empty") == ["warning: no audio files found"]
