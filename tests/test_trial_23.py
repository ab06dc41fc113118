"""A newcomer's trial (session 23): messages that name the right thing.

Each test here failed on the code before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli


def _esc50(tmp_path: Path) -> Path:
    """An ESC-50-shaped table beside three clips: ``meta/esc50.csv``, ``audio/``."""
    short_tones(tmp_path / "audio")
    meta = tmp_path / "meta"
    meta.mkdir()
    rows = "".join(f"{k}.wav,{k + 1},dog\n" for k in range(3))
    (meta / "esc50.csv").write_text("filename,fold,category\n" + rows)
    return meta / "esc50.csv"


@pytest.mark.parametrize("column", ["nope", "fold{fold}/{nope}", "fold{fold"])
def test_a_path_column_error_names_path_column(tmp_path: Path, column: str) -> None:
    table = _esc50(tmp_path)
    result = invoke(
        "mel", "--files-from", table, "--path-column", column, "-o", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert "Error: Invalid value for '--path-column': " in result.stderr
    with pytest.raises(melcli.UsageError) as info:
        melcli.run([], tmp_path / "o", files_from=table, path_column=column)
    assert info.value.param == "path_column"
