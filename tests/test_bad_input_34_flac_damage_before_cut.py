"""A short FLAC damaged, then cut: ``info`` says where decoding stops, as a run does.

``melcli info`` walks back from a FLAC's end to its last frame: a file cut
there is said cut at that frame. Damage before it stops decoding earlier; a
stream of up to 2**21 samples was decoded in one read to settle it, and a
failed read kept the walk's figure: ``stopped at 8.70 s`` where a run
stopped, and said it stopped, at 4.35 s.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel

from melcli import MelParams, audio

SR = 16000


def damaged_then_cut(tmp_path: Path, seconds: float) -> Path:
    """A FLAC of ``seconds``, 200 bytes damaged at its middle, cut at 90 %."""
    t = np.arange(int(seconds * SR)) / SR
    whole = tmp_path / "whole.flac"
    sf.write(whole, 0.5 * np.sin(2 * np.pi * 300 * t), SR, subtype="PCM_16")
    data = bytearray(whole.read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 200):
        data[i] ^= 0x5A
    path = tmp_path / "damaged.flac"
    path.write_bytes(bytes(data[: len(data) * 9 // 10]))
    return path


def stop(said: str) -> float:
    found = re.search(r"decoding stopped at ([\d.]+) s of ([\d.]+) s", said)
    assert found, said
    return float(found.group(1))


@pytest.mark.parametrize("seconds", [10.0, 60.0])  # one read; blocks (> 2**21)
def test_info_says_the_stop_a_run_says(tmp_path: Path, seconds: float) -> None:
    path = damaged_then_cut(tmp_path, seconds)
    with pytest.raises(audio.AudioError) as told:
        audio.probe(path)
    with pytest.raises(audio.AudioError) as run:
        audio.load(path, MelParams().validate())
    assert str(told.value) == str(run.value)
    # Damage at the middle: decoding stops near there, not at the cut.
    assert stop(str(told.value)) < 0.6 * seconds
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{path.name}: {told.value}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
