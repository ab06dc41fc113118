"""A reader of OUT given a folder no run wrote says what to give instead.

``melcli stats audio/`` (SRC given for OUT) said only ``no arrays to compute
statistics over``, and the data loader ``has no manifest.jsonl: not the output
of a run``: true, but a newcomer learnt neither that these read the folder
``melcli mel SRC -o OUT`` writes, nor that the folder given was the audio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke

import melcli
from melcli.data import SpectrogramDataset

REMEDY = "'melcli mel SRC -o OUT'"


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    folder = tmp_path / "audio"
    (folder / "dogs").mkdir(parents=True)
    sf.write(folder / "dogs" / "bark.wav", np.zeros(800, dtype=np.float32), 8000)
    return folder


def test_stats_of_an_audio_folder_says_it_is_audio_and_what_to_run(
    audio: Path,
) -> None:
    result = invoke("stats", audio)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"error: {audio}: no arrays to compute statistics over")
    assert "dogs/bark.wav" in line
    assert REMEDY in line
    assert sorted(p.name for p in audio.iterdir()) == ["dogs"]  # left as it was


#: Each reader, the remedy it names and what it says of an empty folder: the
#: Python-only readers in a Python caller's words (melcli.run).
READERS = {
    "loader": (SpectrogramDataset, "melcli.run(", "give the out folder of a run"),
    "write_stats": (melcli.write_stats, "melcli.run(", "give the out folder of a run"),
    "gallery": (melcli.build_gallery, REMEDY, "give the OUT folder a run wrote"),
}


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_of_out_names_the_remedy(
    tmp_path: Path, audio: Path, reader: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    read, remedy, of_empty = READERS[reader]
    for folder, said in ((empty, of_empty), (audio, "bark")):
        with pytest.raises(melcli.MelcliError) as caught:
            read(folder)
        assert remedy in str(caught.value)
        assert said in str(caught.value)


def test_gallery_of_an_audio_folder_does_not_say_to_run_mel_into_it(
    audio: Path,
) -> None:
    """``run 'melcli mel' into it`` would write arrays among the audio."""
    result = invoke("gallery", audio)
    assert result.exit_code == 1
    assert "into it" not in result.stderr
    assert "it holds audio files (dogs/bark.wav), not arrays" in result.stderr
