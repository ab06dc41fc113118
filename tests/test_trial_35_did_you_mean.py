"""A column name cut short is suggested as the column it begins.

``--path-column file`` over ESC-50's table (``filename, ..., src_file``)
said ``did you mean 'src_file'?``: as alike by letters as ``filename``, and
first by the order of ties. A name typed short is most often the start of
the one meant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

from melcli.errors import nearest

pytestmark = pytest.mark.usefixtures("isolated")


def test_a_name_cut_short_gives_the_column_it_begins(tmp_path: Path) -> None:
    audio = short_tones(tmp_path / "audio", 1)
    table = tmp_path / "esc50.csv"
    table.write_text("filename,fold,src_file\n0.wav,1,a\n")
    said = invoke(
        "mel", "--files-from", table, "--path-column", "file", "--root", audio,
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert said.exit_code == 2
    assert said.stderr.rstrip().endswith("did you mean 'filename'?")


def test_typos_still_give_the_nearest() -> None:
    assert nearest("file", ["src_file", "filename"]) == "filename"
    assert nearest("wisper", ["whisper", "whisper-v3"]) == "whisper"
    assert nearest("catgory", ["category", "fold"]) == "category"
    assert nearest("zzz", ["category", "fold"]) is None
    assert nearest("file", []) is None  # a table without columns (meta: none)
