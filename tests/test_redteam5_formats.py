"""Files cut inside their last frame or packet, which looked whole.

- CAF holding ALAC: libsndfile reports the frames of the whole packets
  present, so a file cut anywhere in its last packet (up to 4096 frames, a
  tenth of a 2-s clip) decoded "fine", shorter. The packet table (``pakt``)
  says how many frames all the packets hold: that is now the claim.
- WAV, AIFF, AU, W64, RF64, CAF cut by a few bytes, inside their last sample
  frame: the frames claimed were scaled from the bytes and *rounded*, back to
  the frames held. Any byte missing is now a frame missing, and the message
  says how many when the lengths in seconds read the same.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import AudioError, MelParams, audio

SR = 16000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
#: (libsndfile format, subtype, bytes of one frame of the stereo signal; 0: packets)
FORMATS = [
    ("WAV", "PCM_24", 6),
    ("AIFF", "PCM_16", 4),
    ("AU", "PCM_24", 6),
    ("W64", "PCM_16", 4),
    ("RF64", "PCM_24", 6),
    ("CAF", "PCM_16", 4),
    ("CAF", "ALAC_16", 0),
    ("CAF", "ALAC_24", 0),
]


def whole(path: Path, fmt: str, subtype: str) -> Path:
    rng = np.random.default_rng(7)
    y = (0.3 * rng.standard_normal((2 * SR, 2))).astype(np.float32)
    sf.write(path, y, SR, format=fmt, subtype=subtype)
    return path


def load(path: Path, params: MelParams) -> tuple[int, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(path, params)
    return wave.y.shape[-1], [str(w.message) for w in caught]


@pytest.mark.parametrize(("fmt", "subtype", "frame_bytes"), FORMATS)
def test_a_file_cut_inside_its_last_frame_or_packet_fails(
    tmp_path: Path, fmt: str, subtype: str, frame_bytes: int
) -> None:
    path = whole(tmp_path / f"whole.{fmt.lower()}", fmt, subtype)
    assert load(path, FAIL)[0] == 2 * SR
    data = path.read_bytes()
    # Inside the last frame; for packets, near the end of the file (inside the
    # last packet, or a cut libsndfile then finds malformed: either fails).
    cuts = range(1, frame_bytes) if frame_bytes else (1, 7, 50, 200)
    for n in cuts:
        cut = tmp_path / f"cut{n}.{fmt.lower()}"
        cut.write_bytes(data[:-n])
        said = r"^truncated: decoded \d\.\d\d s of 2\.00" if n < 8 else None
        with pytest.raises(AudioError, match=said):
            load(cut, FAIL)


def test_a_few_frames_missing_are_counted_in_the_message(tmp_path: Path) -> None:
    path = whole(tmp_path / "whole.wav", "WAV", "PCM_24")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(path.read_bytes()[:-7])  # one frame and a byte of another
    with pytest.raises(AudioError) as caught:
        load(cut, FAIL)
    assert str(caught.value) == (
        "truncated: decoded 2.00 s of 2.00 s (2 sample frames missing)"
    )


def test_keep_writes_the_whole_packets_of_a_cut_alac_file(tmp_path: Path) -> None:
    path = whole(tmp_path / "whole.caf", "CAF", "ALAC_16")
    cut = tmp_path / "cut.caf"
    cut.write_bytes(path.read_bytes()[:-1])
    frames, said = load(cut, KEEP)
    assert frames == 7 * 4096  # ALAC's packets hold 4096 frames
    assert any(re.match(r"truncated: decoded 1\.79 s of 2\.00 s", s) for s in said)
