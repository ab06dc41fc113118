"""``melcli audio/ -o features/``: the ``mel`` forgotten, said how to fix it.

The README's first line is ``melcli mel audio/ -o features/``; a newcomer who
types ``melcli audio/ ...`` got only ``No such command 'audio/'``. A path
that exists was meant for ``mel``: the error says the command to run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones


def usage_error(result_stderr: str) -> str:
    return result_stderr.splitlines()[-1]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "audio", 1)
    short_tones(tmp_path / "my audio", 1)
    return tmp_path


def test_a_folder_given_as_the_command(here: Path) -> None:
    result = invoke("audio", "-o", "features")
    assert result.exit_code == 2
    assert usage_error(result.stderr) == (
        "Error: No such command 'audio'. To convert the audio under it: "
        "melcli mel audio -o OUT"
    )
    assert not (here / "features").exists()


def test_a_file_given_as_the_command_is_quoted_for_the_shell(here: Path) -> None:
    result = invoke("my audio/0.wav")
    assert result.exit_code == 2
    assert usage_error(result.stderr) == (
        "Error: No such command 'my audio/0.wav'. To convert it: "
        "melcli mel 'my audio/0.wav' -o OUT"
    )


def test_an_unknown_name_that_is_no_path_is_only_unknown(here: Path) -> None:
    result = invoke("nothing-here")
    assert result.exit_code == 2
    assert usage_error(result.stderr) == "Error: No such command 'nothing-here'."


def test_a_folder_named_like_a_command_does_not_hide_it(here: Path) -> None:
    (here / "info").mkdir()
    result = invoke("info", "audio")
    assert result.exit_code == 0
    assert "0.wav" in result.stdout
