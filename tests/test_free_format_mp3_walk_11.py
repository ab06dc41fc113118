"""A free-format MP3 without a Xing/Info frame, cut after its first frames, fails.

Its headers hold no bitrate, so its frames were not walked, and libmpg123's
length for it is an estimate: a file cut in the middle of a frame was
written (as whole) from the frames it held. Its frames are all one length
(plus a padding slot), which the distance between its first two headers
gives: the walk finds a last frame running past the end. A file cut exactly
between two frames is a whole, shorter stream, and is written.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli import MelParams, audio
from melcli.report import Status

pytestmark = pytest.mark.skipif(shutil.which("lame") is None, reason="needs lame")
PARAMS = MelParams(sr=None).validate()
CUT = "then the last MPEG frame is cut off"
#: The rate and bitrate each stream was made with.
FREE: dict[bytes, tuple[int, int]] = {}


@pytest.fixture(
    scope="module",
    params=[(22050, 1, "128"), (44100, 2, "200"), (44100, 2, "640"), (8000, 1, "16")],
    ids=lambda p: f"{p[0]}Hz-{p[1]}ch-{p[2]}k",
)
def free(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> bytes:
    rate, channels, kbps = request.param
    folder = tmp_path_factory.mktemp("free")
    t = np.arange(rate * 2) / rate
    y = 0.5 * np.sin(2 * np.pi * 440 * t)
    sf.write(folder / "a.wav", np.stack([y] * channels, axis=1), rate)
    wav, mp3 = str(folder / "a.wav"), str(folder / "a.mp3")
    lame = ["lame", "--quiet", "-t", "--freeformat", "-b", kbps]
    subprocess.run([*lame, wav, mp3], check=True)
    data = (folder / "a.mp3").read_bytes()
    assert data[2] >> 4 == 0  # no bitrate: free format
    assert b"Xing" not in data[:200]
    assert b"Info" not in data[:200]
    FREE[data] = (rate, int(kbps))
    return data


def _frame_starts(data: bytes) -> list[int]:
    """Where the frames start, from the bitrate asked of lame (ISO 11172-3).

    A layer III frame is 144 * bitrate / rate bytes (72 for MPEG-2 and 2.5),
    rounded down, plus a byte where its header's padding bit is set.
    """
    rate, kbps = FREE[data]
    base = (144 if rate >= 32000 else 72) * kbps * 1000 // rate
    starts = [0]
    while (after := starts[-1] + base + (data[starts[-1] + 2] >> 1 & 1)) < len(data):
        assert data[after : after + 2] == data[:2], after
        starts.append(after)
    assert after == len(data)
    return starts


@pytest.mark.parametrize("where", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("into", [1, 2, 3, 30])
def test_cut_inside_a_later_frame_fails(
    free: bytes, tmp_path: Path, where: float, into: int
) -> None:
    starts = _frame_starts(free)
    at = starts[int(len(starts) * where)] + into
    path = tmp_path / "cut.mp3"
    path.write_bytes(free[:at])
    with pytest.raises(
        audio.AudioError, match=rf"^truncated: decoded \d+\.\d\d s, {CUT}"
    ):
        audio.load(path, PARAMS)
    # info decodes nothing: it says the cut, not how much would decode.
    with pytest.raises(audio.AudioError, match=r"^truncated: the last MPEG frame is"):
        audio.probe(path)
    report = melcli.run([path], tmp_path / "out", jobs=1)
    assert report.results[0].status is Status.FAILED
    assert not list((tmp_path / "out").glob("*.npy"))


@pytest.mark.parametrize("where", [0.5, 1.0])
def test_whole_and_cut_between_frames_are_written(
    free: bytes, tmp_path: Path, where: float
) -> None:
    starts = [*_frame_starts(free), len(free)]
    at = starts[int((len(starts) - 1) * where)]
    path = tmp_path / "a.mp3"
    path.write_bytes(free[:at])
    assert audio.load(path, PARAMS).y.size > 0
    assert audio.probe(path).frames > 0


def test_an_id3v1_tag_after_the_frames_is_not_a_cut(
    free: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "tagged.mp3"
    path.write_bytes(free + b"TAG" + b"title".ljust(125, b"\0"))
    assert audio.load(path, PARAMS).y.size > 0
