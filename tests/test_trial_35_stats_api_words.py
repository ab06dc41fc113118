"""``melcli.write_stats`` says what to do in a Python caller's words.

A newcomer calling ``melcli.write_stats("audio/")`` was told to run ``'melcli
mel SRC -o OUT'``, and with a list whose files lie elsewhere to ``give --root
ESC-50/audio``: options of a command they never typed. The library now names
its keywords (``root='ESC-50/audio'``) and ``melcli.run``; the command keeps
its own words. And ``melcli stats`` names OUT before such an error even when
OUT's name is a part of a word of the message (OUT ``ds``, "it hol*ds*").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

import melcli
from melcli import MelcliError, MelParams
from melcli.data import SpectrogramDataset

pytestmark = pytest.mark.usefixtures("isolated")


def esc_like(tmp_path: Path) -> tuple[Path, Path]:
    """``data/audio/0.wav`` ... and ``data/meta/list.csv`` naming them, run into OUT."""
    (tmp_path / "data").mkdir()
    audio = short_tones(tmp_path / "data" / "audio", 2)
    (tmp_path / "data" / "meta").mkdir()
    table = tmp_path / "data" / "meta" / "list.csv"
    table.write_text("filename,category\n0.wav,dog\n1.wav,cat\n")
    out = tmp_path / "out"
    assert mel(audio, out).exit_code == 0
    return table, out


def test_a_list_without_its_root_names_the_keyword(tmp_path: Path) -> None:
    table, out = esc_like(tmp_path)
    with pytest.raises(MelcliError) as caught:
        melcli.write_stats(out, files_from=table, dest=tmp_path / "train.npz")
    message = str(caught.value)
    assert f"give root={str(tmp_path / 'data' / 'audio')!r}" in message
    assert "--" not in message
    said = invoke("stats", out, "--files-from", table, "--dest", tmp_path / "train.npz")
    assert f"give --root {tmp_path / 'data' / 'audio'}" in said.stderr


def test_a_list_of_another_out_names_the_keyword(tmp_path: Path) -> None:
    table, _ = esc_like(tmp_path)
    other = tmp_path / "other"
    assert mel(short_tones(tmp_path / "more", 1), other).exit_code == 0
    with pytest.raises(MelcliError) as caught:
        melcli.write_stats(
            other,
            files_from=table,
            root=tmp_path / "data" / "audio",
            dest=tmp_path / "train.npz",
        )
    message = str(caught.value)
    assert "give the out melcli.run wrote them into, and the root it was" in message
    assert "--root" not in message
    assert "'melcli mel'" not in message


def test_a_folder_of_audio_is_told_to_convert_it_with_melcli_run(
    tmp_path: Path,
) -> None:
    audio = short_tones(tmp_path / "audio", 2)
    with pytest.raises(MelcliError) as caught:
        melcli.write_stats(audio)
    message = str(caught.value)
    assert "melcli.run([folder], out)" in message
    assert "melcli mel" not in message
    assert "-o OUT" not in message
    with pytest.raises(MelcliError) as loaded:
        SpectrogramDataset(audio)
    assert "melcli.run([folder], out)" in str(loaded.value)
    assert "-o OUT" not in str(loaded.value)


def test_arrays_of_other_settings_are_said_with_the_keyword(tmp_path: Path) -> None:
    audio = short_tones(tmp_path / "audio", 2)
    out = tmp_path / "out"
    melcli.run([audio], out, jobs=1, params=MelParams(n_mels=32))
    melcli.run([audio], out, jobs=1, params=MelParams(n_mels=16), include=["0.wav"])
    stats = melcli.write_stats(out)
    assert stats.warnings == [
        "left out the arrays of 1 input made with other settings than the latest "
        "ones (melcli.run(..., prune=True) deletes them)"
    ]


def test_the_command_names_an_out_whose_name_is_in_a_word(tmp_path: Path) -> None:
    short_tones(Path("ds"), 1)  # 'ds' is in "it holds audio files"
    said = invoke("stats", "ds")
    assert said.exit_code == 1
    assert said.stderr.startswith("error: ds: no arrays to compute statistics over")
    assert os.path.isdir("ds")
