"""A FLAC whose header gives no length (written to a pipe) is audio like any other.

``ffmpeg ... -f flac - > a.flac`` cannot seek back to fill in STREAMINFO's
total samples, and leaves 0: libsndfile then reports 2**63 - 1 frames, and
soundfile's seek after the last read fails ("internal psf_fseek() failed").
melcli decodes such a stream through ffmpeg; without ffmpeg the file fails,
naming what to install. The files are made here by zeroing that field.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

import melcli
from melcli.audio import SF_COUNT_MAX, probe
from melcli.cli import cli

SR = 16000

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


def unknown_length_flac(path: Path, y: np.ndarray) -> None:
    """Write ``y`` as 16-bit FLAC, then zero STREAMINFO's total samples."""
    sf.write(path, y, SR, format="FLAC", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC"
    assert data[4] & 0x7F == 0  # STREAMINFO first
    # Block data starts at 8; after 10 bytes of sizes come 20 bits of rate,
    # 3 of channels, 5 of bits per sample, then the 36 bits of total samples.
    data[21] &= 0xF0
    data[22:26] = bytes(4)
    path.write_bytes(bytes(data))


def speech(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )


def test_the_crafted_file_is_one_libsndfile_cannot_size(tmp_path: Path) -> None:
    unknown_length_flac(tmp_path / "a.flac", speech())
    assert sf.info(str(tmp_path / "a.flac")).frames == SF_COUNT_MAX


@needs_ffmpeg
def test_it_converts_as_the_same_file_with_its_length(tmp_path: Path) -> None:
    y = speech()
    src = tmp_path / "src"
    src.mkdir()
    unknown_length_flac(src / "piped.flac", y)
    sf.write(src / "sized.flac", y, SR, format="FLAC", subtype="PCM_16")
    report = melcli.run(src, out=tmp_path / "out", jobs=1)
    assert report.exit_code == 0, [r.reason for r in report.failures]
    got = np.load(tmp_path / "out" / "piped.npy")
    want = np.load(tmp_path / "out" / "sized.npy")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-3)  # dB
    assert probe(src / "piped.flac").frames == len(y)


@needs_ffmpeg
def test_one_cut_short_fails(tmp_path: Path) -> None:
    path = tmp_path / "cut.flac"
    unknown_length_flac(path, speech(10.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])  # inside a frame
    result = CliRunner().invoke(
        cli, ["mel", str(path), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    # Said plainly, where it stopped, and the decoder's own words after it.
    assert re.search(
        r"cut\.flac: corrupt or truncated: decoding stopped at \d+\.\d\d s "
        r"\(ffmpeg: [^)]*decode_frame\(\) failed\)",
        result.stderr,
    ), result.stderr
    assert not (tmp_path / "out" / "cut.npy").exists()


def test_without_ffmpeg_it_fails_naming_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "piped.flac"
    unknown_length_flac(path, speech())
    sf.write(tmp_path / "b.wav", speech(), SR)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    result = CliRunner().invoke(
        cli, ["mel", str(tmp_path), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1
    assert (
        "piped.flac: FLAC of unknown length (its header gives none) needs ffmpeg, "
        "which is not installed (install it:"
    ) in " ".join(result.stderr.split())
    assert (tmp_path / "out" / "b.npy").exists()
