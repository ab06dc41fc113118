"""A CSV list separated by semicolons is read as a table of its columns.

Spreadsheets in locales whose decimal mark is a comma (most of Europe) save
CSV with ``;`` between cells. Such a list was read as one column named
``path;label`` and refused (``has no path column``); a header with a
semicolon and no comma or tab now sets the delimiter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from melcli import filelist


def test_a_semicolon_csv_is_read_by_its_columns(tmp_path: Path) -> None:
    sf.write(tmp_path / "a.wav", np.full(800, 0.1, np.float32), 8000)
    sf.write(tmp_path / "b, c.wav", np.full(800, 0.1, np.float32), 8000)
    listing = tmp_path / "list.csv"
    listing.write_bytes(
        "\ufeffpath;label;duration\r\na.wav;dog;0,1\r\nb, c.wav;cat;0,1\r\n".encode()
    )
    listed = filelist.read_list(listing)
    assert not listed.problems, listed.problems
    assert [f.rel for f in listed.files] == ["a.wav", "b, c.wav"]
    assert [dict(f.meta)["label"] for f in listed.files] == ["dog", "cat"]


def test_a_comma_csv_with_semicolons_in_a_cell_keeps_its_commas(
    tmp_path: Path,
) -> None:
    sf.write(tmp_path / "a;b.wav", np.full(800, 0.1, np.float32), 8000)
    listing = tmp_path / "list.csv"
    listing.write_text("path,label\na;b.wav,x;y\n")
    listed = filelist.read_list(listing)
    assert [f.rel for f in listed.files] == ["a;b.wav"]
    assert dict(listed.files[0].meta)["label"] == "x;y"
