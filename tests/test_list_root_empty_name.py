"""``--root ''`` (``--root "$ROOT"`` with ROOT unset) is refused, as ``-o ''`` is.

It was taken as the current folder, in place of the list's own folder (the
default), without a word: listed paths resolved against wherever the command
ran. The API's ``root=""`` is refused the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

import melcli
from melcli.cli import cli
from melcli.errors import ParameterError


def _listed(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    sf.write(data / "a.wav", np.full(4000, 0.1, np.float32), 8000)
    (data / "list.csv").write_text("path\na.wav\n")
    return data


@pytest.mark.parametrize("command", ["mel", "info"])
def test_the_command_refuses_an_empty_root(tmp_path: Path, command: str) -> None:
    data = _listed(tmp_path)
    args = [command, "--files-from", str(data / "list.csv"), "--root", ""]
    if command == "mel":
        args += ["-o", str(tmp_path / "out")]
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(here)
    assert result.exit_code == 2, result.output
    assert "'--root'" in result.output
    assert "empty name" in result.output
    assert not (tmp_path / "out").exists()


def test_the_api_refuses_an_empty_root(tmp_path: Path) -> None:
    data = _listed(tmp_path)
    with pytest.raises(ParameterError) as caught:
        melcli.run([], tmp_path / "out", files_from=data / "list.csv", root="")
    assert caught.value.param == "root"
    with pytest.raises(ParameterError):
        melcli.info(files_from=data / "list.csv", root="")
    assert not (tmp_path / "out").exists()


def test_a_root_given_is_still_taken(tmp_path: Path) -> None:
    data = _listed(tmp_path)
    report = melcli.run(
        [], tmp_path / "out", files_from=data / "list.csv", root=data, jobs=1
    )
    assert report.exit_code == 0
    assert (tmp_path / "out" / "a.npy").is_file()
