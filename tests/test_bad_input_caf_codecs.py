"""A CAF in an encoding libsndfile refuses is decoded through ffmpeg.

ffmpeg writes ALAC in CAF with no bit depth in the format flags (and its magic
cookie wrapped as in MP4): libsndfile refuses it, ``unsupported encoding``,
and so it does IMA4 (``adpcm_ima_qt``). Such a CAF whose chunks are whole now
goes to ffmpeg, as MP4/AAC does; one cut short is said as cut (ffmpeg writes
the packet table after the audio, so a cut one decodes in nothing).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 22050
PARAMS = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def encode(src: Path, dst: Path, codec: str) -> Path:
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src)),
            *("-c:a", codec, "-f", "caf", str(dst)),
        ],
        check=True,
    )
    return dst


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    t = np.arange(2 * SR) / SR
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.02 * np.cos(2 * np.pi * 3000 * t)
    sf.write(tmp_path / "ref.wav", y, SR, subtype="PCM_16")
    return tmp_path / "ref.wav"


@needs_ffmpeg
def test_ffmpegs_alac_in_caf_decodes_to_the_audio_it_holds(
    wav: Path, tmp_path: Path
) -> None:
    caf = encode(wav, tmp_path / "alac.caf", "alac")
    with pytest.raises(sf.LibsndfileError):  # what made it fail before
        sf.SoundFile(caf)
    ref = audio.load(wav, PARAMS).y
    got = audio.load(caf, PARAMS).y
    np.testing.assert_array_equal(got, ref)  # lossless
    info = audio.probe(caf)
    assert (info.format, info.subtype, info.samplerate) == ("CAF", "ALAC", SR)


@needs_ffmpeg
def test_ima4_in_caf_decodes(wav: Path, tmp_path: Path) -> None:
    caf = encode(wav, tmp_path / "ima4.caf", "adpcm_ima_qt")
    ref = audio.load(wav, PARAMS).y
    got = audio.load(caf, PARAMS).y
    assert abs(len(got) - len(ref)) < 64  # whole 64-frame blocks
    n = min(len(got), len(ref))
    assert np.corrcoef(got[:n], ref[:n])[0, 1] > 0.99


@needs_ffmpeg
def test_a_cut_alac_caf_fails_as_cut(wav: Path, tmp_path: Path) -> None:
    data = encode(wav, tmp_path / "alac.caf", "alac").read_bytes()
    for fraction in (0.2, 0.5, 0.9):
        cut = tmp_path / "cut.caf"
        cut.write_bytes(data[: int(len(data) * fraction)])
        for params in (PARAMS, KEEP):
            with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0\.00 s"):
                audio.load(cut, params)


def test_without_ffmpeg_it_says_what_to_install(
    wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ALAC CAF as ffmpeg writes it, made by hand: desc (format flags 0),
    # a data chunk of one packet's bytes, and the packet table after it.
    desc = np.array([SR], ">f8").tobytes() + b"alac" + bytes(4)
    desc += np.array([0, 4096, 1, 0], ">u4").tobytes()
    data = bytes(4) + bytes(64)
    pakt = np.array([1, 4096, 0], ">i8").tobytes() + bytes(4) + b"\x40"
    caf = b"caff\x00\x01\x00\x00"
    for kind, body in ((b"desc", desc), (b"data", data), (b"pakt", pakt)):
        caf += kind + np.array([len(body)], ">i8").tobytes() + body
    path = tmp_path / "alac.caf"
    path.write_bytes(caf)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(
        audio.AudioError,
        match=r"^CAF audio in an encoding libsndfile does not read needs ffmpeg",
    ):
        audio.load(path, PARAMS)
