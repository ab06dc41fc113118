"""``melcli.info`` does what ``melcli info`` does, for a Python user.

The command chose the files (a list's rows matched against --include and
--exclude), read the headers, and made the ``--summary`` totals in its own
module: a Python user had only ``melcli.probe`` for one file. The library
now does each step and the command prints them; the two give the same rows,
totals, failures and warnings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError

pytestmark = pytest.mark.usefixtures("isolated")


def dataset(tmp_path: Path) -> Path:
    audio = short_tones(tmp_path / "audio", 3)
    (audio / "broken.wav").write_text("not audio")
    (audio / "clip.mp4").write_bytes(b"passed over")
    return audio


def test_rows_and_totals_are_the_commands(tmp_path: Path) -> None:
    audio = dataset(tmp_path)
    found = melcli.info([audio])
    rows = invoke("info", audio, "--json")
    assert rows.exit_code == found.exit_code == 1
    assert found.rows == [json.loads(line) for line in rows.stdout.splitlines()]
    totals = invoke("info", audio, "--summary", "--json")
    assert found.summary() == json.loads(totals.stdout)
    assert found.summary()["files"] == 3
    assert found.summary()["unreadable"] == 1
    assert found.failures == [
        (audio / "broken.wav", "not an audio file (format not recognised)")
    ]
    warning = (
        "1 file passed over by its extension (mp4) may hold audio, which "
        "melcli decodes: to take it too, give --ext mp4,wav"
    )
    assert found.warnings == [warning]
    assert f"warning: {warning}" in rows.stderr.splitlines()


def test_a_list_chosen_as_the_command_chooses(tmp_path: Path) -> None:
    audio = dataset(tmp_path)
    table = tmp_path / "list.csv"
    table.write_text("path,label\n0.wav,a\n1.wav,b\ngone.wav,c\n")
    found = melcli.info(
        [], files_from=table, root=audio, exclude="1.wav", extensions="wav"
    )
    assert [Path(r["path"]).name for r in found.rows] == ["0.wav"]
    assert found.missing == 1
    assert found.summary()["missing"] == 1
    assert [s.path.name for s in found.skipped] == ["1.wav"]
    command = invoke(
        "info",
        "--files-from",
        table,
        "--root",
        audio,
        "--exclude",
        "1.wav",
        "--summary",
        "--json",
    )
    assert json.loads(command.stdout) == found.summary()


def test_nothing_found_is_said(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    found = melcli.info(empty)
    assert (found.rows, found.failures, found.exit_code) == ([], [], 0)
    assert found.warnings == ["no audio files found"]


@pytest.mark.parametrize(
    ("sources", "given", "param"),
    [
        ([], {}, "sources"),
        ([""], {}, "sources"),
        (["."], {"extensions": ""}, "extensions"),
        (["."], {"root": "."}, "root"),
    ],
)
def test_refused_as_the_command_refuses(
    sources: list[str], given: dict[str, str], param: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        melcli.info(sources, **given)  # type: ignore[arg-type]
    assert caught.value.param == param
