"""Commands and options a message tells to give are quoted as a shell reads them.

A name with a space or a quote, pasted back from the message into a shell,
must stay one word (session 25's trial: ``run 'melcli stats my out'``).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.data import SpectrogramDataset


def _commands(message: str) -> list[list[str]]:
    """Return the ``melcli ...`` commands a message quotes, split as a shell would."""
    found = re.findall(
        r"""run (?:"(melcli [^"]+)"|'(melcli [^']+)'|(melcli .+?)(?:\)|$))""", message
    )
    return [shlex.split(a or b or c) for a, b, c in found]


def test_the_loader_quotes_an_out_with_spaces(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = tmp_path / "my out"
    melcli.run([src], out, jobs=1)
    with pytest.raises(melcli.MelcliError) as caught:
        SpectrogramDataset(out, normalize=True)
    assert _commands(str(caught.value)) == [["melcli", "stats", str(out)]]


def test_stale_statistics_name_a_command_that_runs(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 2)
    out = tmp_path / "it's out"
    melcli.run([src], out, jobs=1, stats=True)
    melcli.run([src], out, jobs=1, params=melcli.MelParams(n_mels=32))
    with pytest.raises(melcli.MelcliError) as caught:
        SpectrogramDataset(out, normalize=True)
    assert "stale" in str(caught.value)
    assert _commands(str(caught.value)) == [["melcli", "stats", str(out)]]


def test_give_root_names_a_folder_with_spaces_as_one_word(tmp_path: Path) -> None:
    audio = short_tones(tmp_path / "my audio", 2)
    meta = tmp_path / "meta"
    meta.mkdir()
    (meta / "list.csv").write_text("filename,label\n0.wav,a\n1.wav,b\n")
    report = melcli.run(
        [], tmp_path / "out", files_from=meta / "list.csv", path_column="filename"
    )
    (hint,) = [w for w in report.warnings if "give --root" in w]
    given = shlex.split(hint.split("give ", 1)[1])
    assert given == ["--root", str(audio)]


def test_a_folder_pattern_hint_quotes_a_name_with_a_quote(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    short_tones(src / "dog's", 1)
    report = melcli.run([src], tmp_path / "out", exclude=["dog's"], jobs=1)
    (hint,) = [w for w in report.warnings if "names a folder" in w]
    given = shlex.split(hint.rsplit("give ", 1)[1])
    assert given == ["--exclude", "dog's/*"]
