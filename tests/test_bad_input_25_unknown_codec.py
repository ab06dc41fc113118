"""A CAF whose format ID names no codec says so, in a run and in ``info`` alike.

libsndfile refuses a CAF encoding it does not read, and such a file goes to
ffmpeg; one whose format ID is damaged (``lp\\x01m``) names a codec ffmpeg
has no decoder for either: a run failed it as ``corrupt or truncated:
decoding stopped at 0.00 s (ffmpeg: Decoder (codec none) not found ...)``
while ``info`` listed it as 2 s of audio.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs ffmpeg")

PARAMS = MelParams(sr=None).validate()
SAID = (
    "cannot decode: its audio is in an encoding neither libsndfile nor ffmpeg "
    "reads (its codec tag: 'lp[1]m')"
)


def test_a_caf_of_no_known_codec_fails_the_same_in_info_and_a_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.caf"
    sf.write(path, tone(seconds=2.0, sr=16000), 16000, format="CAF", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.find(b"lpcm")
    data[at + 2] = 1
    path.write_bytes(bytes(data))
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == SAID
