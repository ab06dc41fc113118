"""FLAC in an Ogg container (``.oga``, one of the default extensions) is audio.

libsndfile 1.2 cannot open Ogg FLAC at all (``unknown error in flac
decoder``), so every such file failed, whole or not. melcli decodes it
through ffmpeg, as it does MP4/AAC. ffmpeg decodes a cut Ogg FLAC to where it
stops without a word, so a cut one is judged by the length STREAMINFO
announces and by its last Ogg page (incomplete, or not flagged end of
stream), as a FLAC or an Ogg Vorbis file is.
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
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 16000
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()


def tone(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(7)
    y = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.02 * rng.standard_normal(len(t))
    return y.astype(np.float32)


def ogg_flac(path: Path, wav: Path, maker: str) -> None:
    """Encode ``wav`` as FLAC in Ogg with ``maker`` (skip if it is missing)."""
    if maker == "flac":
        if shutil.which("flac") is None:
            pytest.skip("needs the flac command")
        command = ["flac", "-s", "--ogg", "-f", "-o", str(path), str(wav)]
    else:  # ffmpeg leaves STREAMINFO's length out (0): it writes as it goes
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav)]
        command += ["-c:a", "flac", "-f", "ogg", str(path)]
    subprocess.run(command, check=True)
    assert path.read_bytes()[:4] == b"OggS"


@pytest.fixture(params=["flac", "ffmpeg"])
def files(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """``src/a.oga`` and the WAV it was made from, ``ref/a.wav``."""
    (tmp_path / "src").mkdir()
    (tmp_path / "ref").mkdir()
    wav = tmp_path / "ref" / "a.wav"
    sf.write(wav, tone(), SR, subtype="PCM_16")
    oga = tmp_path / "src" / "a.oga"
    ogg_flac(oga, wav, request.param)
    return oga, wav


@needs_ffmpeg
def test_ogg_flac_converts_as_the_wav_it_was_made_from(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    oga, wav = files
    for folder in (oga.parent, wav.parent):
        result = CliRunner().invoke(
            cli, ["mel", str(folder), "-o", str(tmp_path / f"out-{folder.name}")]
        )
        assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(
        np.load(tmp_path / "out-src" / "a.npy"), np.load(tmp_path / "out-ref" / "a.npy")
    )
    header = audio.probe(oga)
    assert (header.samplerate, header.channels, header.frames) == (SR, 1, 3 * SR)


@needs_ffmpeg
def test_a_cut_ogg_flac_fails_and_keep_keeps_what_decoded(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    oga, _ = files
    data = oga.read_bytes()
    cut = tmp_path / "cut.oga"
    for fraction in (0.6, 0.8, 0.95, 0.999):
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(audio.AudioError, match=r"^truncated: decoded \d\.\d\d s"):
            audio.load(cut, FAIL)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kept = audio.load(cut, KEEP)
        assert kept.y.shape[-1] < 3 * SR, fraction
        assert any(
            re.search(r"truncated: .*; kept what was decoded$", str(w.message))
            for w in caught
        ), [str(w.message) for w in caught]


@needs_ffmpeg
def test_the_command_fails_a_cut_ogg_flac_and_writes_nothing(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    oga, _ = files
    data = oga.read_bytes()
    oga.write_bytes(data[: len(data) * 3 // 4])
    result = CliRunner().invoke(
        cli, ["mel", str(oga.parent), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    assert re.search(r"a\.oga: truncated: decoded \d\.\d\d s", result.stderr)
    assert not (tmp_path / "out" / "a.npy").exists()


def test_without_ffmpeg_it_fails_naming_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("flac") is None:
        pytest.skip("needs the flac command")
    sf.write(tmp_path / "b.wav", tone(1.0), SR)
    ogg_flac(tmp_path / "a.oga", tmp_path / "b.wav", "flac")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    result = CliRunner().invoke(
        cli, ["mel", str(tmp_path), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    assert (
        "a.oga: FLAC in Ogg needs ffmpeg, which is not installed (install it:"
    ) in " ".join(result.stderr.split())
    assert (tmp_path / "out" / "b.npy").exists()
