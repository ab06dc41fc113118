"""A table's path cell of only spaces is no path, as an empty cell is.

An empty path cell fails its line as ``no path`` (the other rows go on). A
cell of only spaces (``a.wav`` then ``   ,dog``: a spreadsheet's padding) was
joined to the root as a folder named ``"   "`` and failed as "no such file
or directory", naming a path that no one wrote. It now fails as no path,
saying why; a template's blank cell (``{fold}/{name}``) too, and rows given
to :func:`melcli.filelist.rows_of`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke

from melcli.filelist import read_list, rows_of

BLANK = "no path (its cell holds only spaces)"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "1").mkdir()
    for name in ("a.wav", "1/a.wav"):
        sf.write(tmp_path / name, np.full(800, 0.1, np.float32), 8000)
    return tmp_path


@pytest.mark.parametrize("cell", ["   ", '"  "', "\t", " \t "])
def test_a_blank_path_cell_is_no_path(root: Path, cell: str) -> None:
    sep = "," if cell != "\t" else ";"
    table = root / "list.csv"
    rows = f"a.wav{sep}x\n{cell}{sep}y\n{sep}z\n"
    table.write_text(f"path{sep}label\n{rows}", encoding="utf-8")
    listed = read_list(table)
    assert [f.rel for f in listed.files] == ["a.wav"]
    assert sorted(p.reason for p in listed.problems) == [
        f"line 3 of {table}: {BLANK}",
        f"line 4 of {table}: no path",  # an empty cell: as before
    ]
    assert [p.path for p in listed.problems] == [table, table]


def test_a_template_with_a_blank_cell_is_no_path(root: Path) -> None:
    table = root / "t.csv"
    table.write_text("fold,name\n1,a.wav\n  ,a.wav\n", encoding="utf-8")
    listed = read_list(table, path_column="{fold}/{name}")
    assert [f.rel for f in listed.files] == ["1/a.wav"]
    assert [p.reason for p in listed.problems] == [f"line 3 of {table}: {BLANK}"]


def test_rows_of_a_blank_path(root: Path) -> None:
    listed = rows_of([{"path": "a.wav"}, {"path": "  "}], root=root)
    assert [f.rel for f in listed.files] == ["a.wav"]
    assert [p.reason for p in listed.problems] == [f"line 2 of <rows>: {BLANK}"]


def test_the_run_says_one_line_and_goes_on(root: Path) -> None:
    table = root / "list.csv"
    table.write_text("path,label\n   ,y\na.wav,x\n", encoding="utf-8")
    result = invoke("mel", "--files-from", table, "-o", root / "out", "-j", "1")
    assert result.exit_code == 1, result.stderr
    said = [line for line in result.stderr.splitlines() if "line 2" in line]
    assert len(said) == 1, result.stderr
    assert said[0].endswith(BLANK), result.stderr
    assert "no such file" not in result.stderr
    assert sorted(p.name for p in (root / "out").rglob("*.npy")) == ["a.npy"]
