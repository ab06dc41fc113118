"""MP3 in a WAV cut short says where it ends in bytes, not a guessed length.

libsndfile's frame count for MP3 in a WAV is an estimate from the data size;
a cut one was said as ``truncated: decoded 1.49 s of 3.07 s`` for a 3-s file,
the estimate scaled by the bytes missing. The data chunk's own size is the
claim: ``... then the file ends 12074 bytes into its audio data chunk of
24241 bytes``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 44100
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
SAID = re.compile(
    r"^truncated: decoded (\d+\.\d\d) s, then the file ends (\d+) bytes into its "
    r"audio data chunk of (\d+) bytes$"
)


@pytest.fixture
def mp3_wav(tmp_path: Path) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg, which is not installed")
    t = np.arange(3 * SR) / SR
    sf.write(tmp_path / "t.wav", 0.3 * np.sin(2 * np.pi * 440 * t), SR)
    out = tmp_path / "mp3.wav"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-i", str(tmp_path / "t.wav")),
            *("-c:a", "libmp3lame", "-f", "wav", str(out)),
        ],
        check=True,
    )
    return out


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
def test_a_cut_mp3_in_wav_is_said_by_its_data_chunk(
    mp3_wav: Path, tmp_path: Path, fraction: float
) -> None:
    data = mp3_wav.read_bytes()
    start = data.index(b"data") + 8
    claimed = int.from_bytes(data[start - 4 : start], "little")
    cut = tmp_path / "cut.wav"
    at = int(len(data) * fraction)
    cut.write_bytes(data[:at])
    with pytest.raises(audio.AudioError) as failed:
        audio.load(cut, FAIL)
    said = SAID.match(str(failed.value))
    assert said, str(failed.value)
    assert (int(said.group(2)), int(said.group(3))) == (at - start, claimed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = audio.load(cut, KEEP)
    assert abs(len(kept.y) / SR - float(said.group(1))) <= 0.005
    assert [str(w.message) for w in caught] == [
        f"{failed.value}; kept what was decoded"
    ]
