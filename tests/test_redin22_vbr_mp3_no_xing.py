"""A variable-bitrate MP3 without a Xing/Info header is decoded to its end.

Without such a header, libsndfile's frame count of an MPEG stream is
libmpg123's estimate from the first frame's bitrate, and libsndfile decodes
no further than its count. A VBR stream whose first frames are large (a
loud start) was estimated at a fifth of its length: the whole file failed
as ``truncated: decoded 0.53 s of 3.03 s`` (and was cut there with
``--truncated keep``), and ``melcli info`` listed it at 0.53 s. One whose
first frames are small (a quiet start) was listed, and recorded in the
manifest, at 7.96 s for 3.03 s. Such files come from ``ffmpeg -write_xing
0``, ``lame -t``, a stream recorded as it arrives, or libsndfile's own MP3
written to a pipe; bare or in a WAV. The frames walked are the length, and
a stream libsndfile would stop short of is decoded through ffmpeg.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import MelParams, audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")

SR = 44100


def loud_then_quiet(tmp_path: Path, *, loud_first: bool = True) -> Path:
    """Half a second of noise, then a soft tone: VBR frames shrink after the start.

    Or the other way round (``loud_first=False``): the frames grow.
    """
    rng = np.random.default_rng(0)
    loud = 0.5 * rng.standard_normal(SR // 2)
    soft = 0.01 * np.sin(np.arange(SR * 5 // 2) / 5)
    y = np.concatenate([loud, soft] if loud_first else [soft[::-1], loud])
    path = tmp_path / "source.wav"
    sf.write(path, y.astype(np.float32), SR, subtype="PCM_16")
    return path


def encode(source: Path, out: Path) -> Path:
    """VBR MP3 (quality 2) without a Xing/Info header: bare, or in a WAV."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(source),
         "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0", str(out)],
        check=True,
    )  # fmt: skip
    return out


def ffmpeg_frames(path: Path) -> int:
    """The sample frames ffmpeg decodes from ``path`` (mono)."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return len(raw) // 4


@pytest.mark.parametrize("loud_first", [True, False])
@pytest.mark.parametrize("name", ["vbr.mp3", "vbr_in.wav"])
def test_whole_vbr_mp3_without_xing_decodes_to_its_end(
    tmp_path: Path, name: str, loud_first: bool
) -> None:
    path = encode(loud_then_quiet(tmp_path, loud_first=loud_first), tmp_path / name)
    with sf.SoundFile(path) as f:  # the premise: libsndfile's count is wide of it
        estimate = f.frames
    whole = ffmpeg_frames(path)
    assert not whole / 2 < estimate < whole * 2
    assert audio.probe(path).frames == whole
    wave = audio.load(path, MelParams(sr=None).validate())
    assert wave.y.shape == (whole,)
    assert wave.info.frames == whole
    # The end is there: the soft tone's, or the noise's.
    assert np.abs(wave.y[-SR // 10 :]).max() > (0.1 if not loud_first else 0.005)


def test_whole_vbr_mp3_without_xing_is_written_and_listed(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for loud_first in (True, False):
        path = encode(loud_then_quiet(tmp_path, loud_first=loud_first), src / "a.mp3")
        path.rename(src / f"{loud_first}.mp3")
    result = mel(src, tmp_path / "out", "--sr", "22050")
    assert result.exit_code == 0, result.stderr
    for loud_first in (True, False):
        path = src / f"{loud_first}.mp3"
        whole = ffmpeg_frames(path)
        S = np.load(tmp_path / "out" / f"{loud_first}.npy")
        # librosa's default hop of 512 at 22050 Hz: about 3 s of audio.
        assert S.shape[1] == 1 + whole * 22050 // SR // 512
        listing = invoke("info", path)
        assert listing.exit_code == 0
        assert f"{whole / SR:.3f} s" in listing.stdout
        entry = next(
            json.loads(line)
            for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()
            if json.loads(line)["source"] == path.name
        )
        assert entry["duration"] == pytest.approx(whole / SR, abs=1e-4)


def test_cut_vbr_mp3_without_xing_keeps_all_that_decodes(tmp_path: Path) -> None:
    data = encode(loud_then_quiet(tmp_path), tmp_path / "vbr.mp3").read_bytes()
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: len(data) * 9 // 10 + 1])
    params = MelParams(sr=None).validate()
    with pytest.raises(audio.AudioError, match="the last MPEG frame is cut off"):
        audio.load(path, params)
    with pytest.warns(UserWarning, match="the last MPEG frame is cut off"):
        y = audio.load(path, MelParams(sr=None, truncated="keep").validate()).y
    # What a decoder gets from nine tenths of the bytes (the loud start's
    # frames are large): more than 2 of the 3 seconds, not libsndfile's 0.5.
    assert y.size > 2 * SR
