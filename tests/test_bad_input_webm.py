"""WebM and Matroska audio is decoded through ffmpeg, not called "not audio".

A ``.webm`` or ``.mka`` named on the command line (or taken with ``--ext``)
failed as ``not an audio file (format not recognised)``: libsndfile does not
read Matroska, and only MP4/AAC went to ffmpeg. It goes to ffmpeg now, as
MP4/AAC does, with the same guarantees: a cut file fails (ffmpeg: ``File
ended prematurely``), and without ffmpeg the message says what to install.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 16000
PARAMS = MelParams(sr=None).validate()
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
#: Name, ffmpeg's codec and container.
KINDS = [
    ("flac.mka", "flac", "matroska"),
    ("vorbis.webm", "libvorbis", "webm"),
    ("opus.webm", "libopus", "webm"),
]


def encode(wav: Path, dst: Path, codec: str, container: str) -> None:
    options = ["-c:a", codec, "-f", container, str(dst)]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *options],
        check=True,
    )


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """``src/`` with the three kinds, made from ``ref.wav`` (two seconds)."""
    t = np.arange(2 * SR) / SR
    sf.write(tmp_path / "ref.wav", (0.3 * np.sin(2 * np.pi * 440 * t)), SR)
    folder = tmp_path / "src"
    folder.mkdir()
    for name, codec, container in KINDS:
        encode(tmp_path / "ref.wav", folder / name, codec, container)
    return folder


@needs_ffmpeg
def test_webm_and_matroska_audio_is_converted(src: Path, tmp_path: Path) -> None:
    ref = audio.load(tmp_path / "ref.wav", PARAMS).y
    np.testing.assert_array_equal(audio.load(src / "flac.mka", PARAMS).y, ref)
    for name in ("vorbis.webm", "opus.webm"):
        info = audio.probe(src / name)
        assert info.format == "MATROSKA"
        assert abs(info.duration - 2.0) < 0.05, info
    result = CliRunner().invoke(
        cli,
        ["mel", str(src), "--ext", "webm,mka", "-o", str(tmp_path / "out"), "-j", "1"],
    )
    assert result.exit_code == 0, result.stderr
    for name, _, _ in KINDS:
        assert np.isfinite(
            np.load(tmp_path / "out" / f"{name.split('.')[0]}.npy")
        ).all()


@needs_ffmpeg
def test_a_cut_one_fails_as_cut(src: Path, tmp_path: Path) -> None:
    for name, _, _ in KINDS:
        data = (src / name).read_bytes()
        cut = tmp_path / f"cut_{name}"
        cut.write_bytes(data[: len(data) * 2 // 3])
        with pytest.raises(
            audio.AudioError,
            match=r"^truncated: decoded \d+\.\d\d s, then the file ends inside its "
            r"Matroska segment, \d+ bytes short of the length it gives$",
        ):
            audio.load(cut, PARAMS)


def test_without_ffmpeg_it_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(60))  # an EBML header's start
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(
        audio.AudioError, match=r"^WebM/Matroska audio needs ffmpeg, which is not"
    ):
        audio.load(path, PARAMS)
