"""A table row with more cells than its header fails; its label is not cut short.

``a.wav,dog, barking`` under the header ``path,label`` (a comma left unquoted
in a label) was read as label ``dog``, the rest dropped without a word: a
wrong label in the manifest, and so in training. Such a row now fails, naming
its line and the cells that would be lost; the other rows go on. Empty extra
cells (a trailing comma on every row) lose nothing and are taken.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli.cli import cli
from melcli.filelist import read_list


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    for name in ("a.wav", "b.wav"):
        sf.write(tmp_path / name, np.full(800, 0.1, np.float32), 8000)
    return tmp_path


@pytest.mark.parametrize("sep", [",", "\t"])
def test_a_row_with_extra_cells_fails_and_names_its_line(
    audio_dir: Path, sep: str
) -> None:
    suffix = ".csv" if sep == "," else ".tsv"
    table = audio_dir / f"meta{suffix}"
    table.write_text(
        f"path{sep}label\na.wav{sep}dog{sep} barking\nb.wav{sep}cat\n",
        encoding="utf-8",
    )
    listed = read_list(table)
    assert [f.rel for f in listed.files] == ["b.wav"]
    assert [str(p.reason) for p in listed.problems] == [
        f"line 2 of {table}: 3 cells, but its header names 2 columns: "
        "' barking' would be lost (quote a cell that holds the delimiter)"
    ]
    out = audio_dir / "out"
    result = CliRunner().invoke(
        cli, ["mel", "--files-from", str(table), "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "line 2 of" in result.stderr
    assert "' barking' would be lost" in result.stderr
    text = (out / "manifest.jsonl").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines()]
    written = {e["source"]: e["meta"] for e in entries if e["status"] == "written"}
    assert written == {"b.wav": {"label": "cat"}}, entries
    failed = [e for e in entries if e["status"] == "failed"]
    assert [e["source_abs"] for e in failed] == [str(audio_dir / "a.wav")]


def test_empty_extra_cells_lose_nothing_and_are_taken(audio_dir: Path) -> None:
    table = audio_dir / "meta.csv"
    table.write_text("path,label\na.wav,dog,\nb.wav,cat,,\n", encoding="utf-8")
    listed = read_list(table)
    assert not listed.problems
    assert [f.meta for f in listed.files] == [(("label", "dog"),), (("label", "cat"),)]
