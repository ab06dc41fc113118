"""The "give --root" hint only when a listed file is missing.

A list none of whose paths is taken ended with ``warning: no file listed in
l.csv was found; ... give --root the folder that holds them`` even when
every path was found, and failed for another reason (a folder, a path
outside the root, a NUL byte): --root would not help, and each line already
says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli.cli import cli

HINT = "give --root the folder that holds them"


@pytest.mark.parametrize(
    ("rows", "hinted"),
    [
        (["sub"], False),  # a folder
        (["sub", "../outside.wav"], False),
        (["missing.wav"], True),
        (["missing.wav", "sub"], True),
    ],
)
def test_the_hint_follows_missing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[str], hinted: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "l.csv").write_text("path\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(cli, ["mel", "--files-from", "l.csv", "-o", "out"])
    assert result.exit_code == 1, result.stderr
    assert f"0 written, {len(rows)} failed" in result.stderr
    assert (HINT in result.stderr) is hinted
    if "sub" in rows:
        assert "sub: line " in result.stderr
        assert "is a folder, not a file" in result.stderr
