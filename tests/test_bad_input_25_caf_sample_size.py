"""A linear PCM CAF whose ``desc`` gives another sample size than its audio's.

Both of a CAF's fields that give the sample size (its bytes a frame, its
bits a channel) may say 24-bit over 16-bit data: libsndfile decodes it as
24-bit noise, two thirds of its length, without a word. Nothing else in
the file gives the size, but its data chunk's size then holds no whole
number of 3-byte frames (in two files of three): that is refused. One whose
data size happens to be a whole number of them cannot be told from a
24-bit file (docs/bad-input.md), and is written.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 16000


def caf(tmp_path: Path, *, frames: int, channels: int) -> Path:
    """A 16-bit CAF whose ``desc`` says 24-bit: its bytes a frame and its bits."""
    path = tmp_path / "a.caf"
    y = tone(seconds=frames / SR, sr=SR)[:frames]
    sf.write(path, y if channels == 1 else y.repeat(channels).reshape(-1, channels),
             SR, format="CAF", subtype="PCM_16")  # fmt: skip
    data = bytearray(path.read_bytes())
    at = data.find(b"desc") + 12
    struct.pack_into(">I", data, at + 16, 3 * channels)
    struct.pack_into(">I", data, at + 28, 24)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("channels", [1, 2])
def test_24_bit_said_over_16_bit_data_fails(tmp_path: Path, channels: int) -> None:
    path = caf(tmp_path, frames=SR, channels=channels)  # 2 * SR bytes a channel
    said = (
        f"invalid header: its 'data' chunk holds {2 * SR * channels} bytes of audio, "
        f"not a whole number of the {3 * channels}-byte sample frames its 'desc' "
        f"chunk gives ({channels} channel{'s' * (channels > 1)} of 24-bit samples)"
    )
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError) as caught:
            read(path)
        assert str(caught.value).startswith(said)


def test_a_data_size_of_whole_frames_cannot_tell(tmp_path: Path) -> None:
    path = caf(tmp_path, frames=3 * 5000, channels=1)  # 30000 bytes: 10000 frames
    assert audio.probe(path).frames == 10000
    assert audio.load(path, PARAMS).y.shape == (10000,)
