"""An SRC that is a broken symbolic link is named for what it is, not "does not exist".

click's ``exists=True`` says ``Path 'x' does not exist`` whatever ``stat``
failed with: for a link loop given as SRC the user looked for a missing file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli.cli import cli


@pytest.fixture
def links(tmp_path: Path) -> Path:
    os.symlink("loop2", tmp_path / "loop1")
    os.symlink("loop1", tmp_path / "loop2")
    os.symlink("nowhere.wav", tmp_path / "dangling.wav")
    return tmp_path


@pytest.mark.parametrize("command", [["mel", "-o", "out"], ["info"]])
@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("loop1", "Path 'loop1' is a symbolic link loop."),
        ("loop1/a.wav", "Path 'loop1/a.wav' leads through a symbolic link loop."),
        (
            "dangling.wav",
            "Path 'dangling.wav' is a symbolic link to 'nowhere.wav', which does "
            "not exist.",
        ),
        ("missing.wav", "Path 'missing.wav' does not exist."),
    ],
)
def test_a_broken_link_given_as_src_is_named(
    links: Path, command: list[str], name: str, said: str
) -> None:
    cwd = os.getcwd()
    os.chdir(links)
    try:
        result = CliRunner().invoke(cli, [*command, name])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 2, result.output
    assert f"Error: Invalid value for '[SRC]...': {said}\n" in result.stderr
    assert not (links / "out").exists()
