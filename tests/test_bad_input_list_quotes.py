"""A quote opened in a metadata table and never closed stops the run, naming it.

Python's csv module reads an unclosed quote to the end of the text: every
row after it became part of one label cell, so the files those rows listed
were neither written, nor failed, nor skipped: they were silently gone
(``a.wav,"dog`` then 500 rows: ``1 written``). The list is malformed as a
whole, like a header naming a column twice: the run stops before any work
(exit status 2), naming the line the quote opens on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli.cli import cli
from melcli.errors import UsageError
from melcli.filelist import read_list


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "audio"
    folder.mkdir()
    for name in ("a.wav", "b.wav", "c.wav"):
        sf.write(folder / name, np.zeros(1000, "f4") + 0.1, 8000)
    return folder


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_an_unclosed_quote_names_its_line(
    audio_dir: Path, newline: str, delimiter: str
) -> None:
    rows = ["path{d}label", 'a.wav{d}"dog', "b.wav{d}cat", "c.wav{d}bird"]
    suffix = ".csv" if delimiter == "," else ".tsv"
    table = audio_dir / f"meta{suffix}"
    table.write_text(newline.join(rows).format(d=delimiter) + newline, newline="")
    with pytest.raises(UsageError, match=r"^line 2 of .*: a quote opened on this"):
        read_list(table)


def test_the_command_stops_before_any_work(audio_dir: Path, tmp_path: Path) -> None:
    table = audio_dir / "meta.csv"
    table.write_text('path,label\na.wav,dog\nb.wav,"cat\nc.wav,bird\n')
    result = CliRunner().invoke(
        cli, ["mel", "--files-from", str(table), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.stderr
    assert "line 3 of" in result.stderr
    assert "a quote opened on this line is never closed" in result.stderr
    assert not (tmp_path / "out" / "a.npy").exists()


def test_closed_quotes_across_lines_are_read(audio_dir: Path) -> None:
    table = audio_dir / "meta.csv"
    table.write_text(
        'path,label\na.wav,"dog,\nbarking"\nb.wav,cat\nc.wav,"bird\nsinging"\n'
    )
    listed = read_list(table)
    assert [f.rel for f in listed.files] == ["a.wav", "b.wav", "c.wav"]
    assert listed.files[2].meta == (("label", "bird\nsinging"),)
    assert not listed.problems
