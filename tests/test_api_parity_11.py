"""The Python API says and refuses what ``melcli mel`` says and refuses.

The command is a thin layer over :func:`melcli.run`: a missing SRC, a
setting the chosen kind does not read, ``--stats``: each is found by the
library, in its words, and the command only formats it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import melcli
from melcli import ParameterError

from conftest import invoke, short_tones


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("missing.wav", "Path 'missing.wav' does not exist."),
        ("missing/", "Path 'missing/' does not exist."),
        ("loop", "Path 'loop' is a symbolic link loop."),
        (
            "dangling.wav",
            "Path 'dangling.wav' is a symbolic link to 'nowhere.wav', which does "
            "not exist.",
        ),
    ],
)
def test_a_missing_src_is_refused_by_the_api_as_by_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, said: str
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "audio")
    os.symlink("loop", "loop")
    os.symlink("nowhere.wav", "dangling.wav")
    # The API refused nothing: the run went on, the name a failed "file not found".
    with pytest.raises(ParameterError) as caught:
        melcli.run(["audio", name], "out")
    assert caught.value.param == "sources"
    assert str(caught.value) == said
    with pytest.raises(ParameterError, match="^Path 'missing.wav' does not exist"):
        melcli.run(["audio", "missing.wav"], "out", dry_run=True)
    assert not Path("out").exists()
    with pytest.raises(ParameterError) as caught:
        melcli.info(["audio", name])
    assert str(caught.value) == said
    # The command says the same words, formatted as a usage error.
    result = invoke("mel", "audio", name, "-o", "out")
    assert result.exit_code == 2
    assert f"Error: Invalid value for '[SRC]...': {said}\n" in result.stderr
    assert not Path("out").exists()
