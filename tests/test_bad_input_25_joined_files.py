"""Two files joined one after another (``cat a.wav b.wav``) say so.

libsndfile stops at the length a Wave64's, RF64's or AU's header gives:
such a file was written as its first part alone, the second dropped
without a word. A WAV or AIFF so joined it refuses, in words about the
file's own header (``No 'RIFF' chunk marker``, ``bad 'FORM' marker``) that
begins as it should. Each now fails naming what follows, and where.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 16000
KINDS = [
    ("wav", "WAV", "a WAV file"),
    ("aiff", "AIFF", "an AIFF file"),
    ("w64", "W64", "a Wave64 file"),
    ("wav", "RF64", "an RF64 file"),
    ("au", "AU", "an AU file"),
]


@pytest.mark.parametrize(("ext", "fmt", "what"), KINDS)
def test_a_file_joined_to_another_says_so(
    tmp_path: Path, ext: str, fmt: str, what: str
) -> None:
    path = tmp_path / f"a.{ext}"
    sf.write(path, tone(seconds=1.0, sr=SR), SR, format=fmt, subtype="PCM_16")
    one = path.read_bytes()
    path.write_bytes(one + one)
    said = (
        f"cannot decode: {what} follows the {len(one)} bytes its header gives "
        "(files joined one after another: melcli does not split them)"
    )
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value) == said


def test_a_file_with_its_pad_byte_then_another(tmp_path: Path) -> None:
    """A WAV of odd data size ends with a pad byte its RIFF size leaves out."""
    path = tmp_path / "a.wav"
    sf.write(path, tone(seconds=1.0, sr=SR)[:-1], SR, format="WAV", subtype="PCM_U8")
    one = bytearray(path.read_bytes())
    assert one[-1] == 0  # odd data, and its pad byte
    one[4:8] = (len(one) - 9).to_bytes(4, "little")  # a RIFF size without it
    path.write_bytes(bytes(one + one))
    with pytest.raises(audio.AudioError, match=r"^cannot decode: a WAV file follows"):
        audio.load(path, PARAMS)
