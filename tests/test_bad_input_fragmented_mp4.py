"""A fragmented MP4 cut short fails as cut, also between two fragments.

ffmpeg decodes the fragments present without a word, and ffprobe's length is
theirs: a fragmented MP4 (``-movflags frag_keyframe+empty_moov``, as live
recorders and browsers write) cut between two fragments, or inside a
``moof`` box, was written as whole. Its top-level boxes are walked: one
running past the end of the file says it was cut, and so does a fragmented
MP4 written by ffmpeg that lacks the ``mfra`` box ffmpeg always ends one with.
"""

from __future__ import annotations

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
pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def boxes(data: bytes) -> list[tuple[int, bytes, int]]:
    """The top-level boxes of an MP4: offset, type, size."""
    found, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        found.append((at, data[at + 4 : at + 8], size))
        at += size
    return found


def encode(tmp_path: Path, name: str, *options: str) -> Path:
    t = np.arange(3 * SR) / SR
    sf.write(tmp_path / "t.wav", 0.3 * np.sin(2 * np.pi * 440 * t), SR)
    out = tmp_path / name
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-i", str(tmp_path / "t.wav")),
            *("-c:a", "aac", *options, "-f", "mp4", str(out)),
        ],
        check=True,
    )
    return out


@pytest.fixture
def fragmented(tmp_path: Path) -> Path:
    return encode(
        tmp_path,
        "frag.m4a",
        *("-movflags", "frag_keyframe+empty_moov", "-frag_duration", "500000"),
    )


def test_a_whole_fragmented_mp4_is_written(fragmented: Path) -> None:
    assert len(audio.load(fragmented, FAIL).y) > 2.9 * SR


def test_a_fragmented_mp4_cut_between_or_inside_boxes_fails_as_cut(
    fragmented: Path, tmp_path: Path
) -> None:
    data = fragmented.read_bytes()
    found = boxes(data)
    assert [kind for _, kind, _ in found].count(b"moof") >= 4
    cuts = {at for at, kind, _ in found if kind in (b"moof", b"mfra")}
    cuts |= {at + 20 for at, kind, _ in found if kind == b"moof"}
    cut = tmp_path / "cut.m4a"
    for at in sorted(cuts):
        cut.write_bytes(data[:at])
        with pytest.raises(audio.AudioError, match=r"^(corrupt or )?truncated: "):
            audio.load(cut, FAIL)
        if at < found[3][0]:  # in or before the first fragment: nothing to keep
            with pytest.raises(audio.AudioError, match=r": no audio decodes"):
                audio.load(cut, KEEP)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kept = audio.load(cut, KEEP)
        assert len(kept.y) < len(audio.load(fragmented, FAIL).y) or at > found[-2][0]
        assert any("kept what was decoded" in str(w.message) for w in caught), at


def test_a_plain_mp4_with_bytes_after_its_boxes_is_whole(tmp_path: Path) -> None:
    plain = encode(tmp_path, "plain.m4a")
    plain.write_bytes(plain.read_bytes() + b"\x00\x01\x02")
    assert len(audio.load(plain, FAIL).y) > 2.9 * SR
