"""Decoding: the 16-bit fast path and the float path give the same numbers."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio


@pytest.mark.parametrize(
    ("fmt", "ext"), [("WAV", "wav"), ("FLAC", "flac"), ("AIFF", "aiff")]
)
@pytest.mark.parametrize("channels", [1, 2, 3, 6])
@pytest.mark.parametrize("mono", [True, False])
def test_pcm16_fast_path_equals_float_decoding(
    tmp_path: Path, fmt: str, ext: str, channels: int, mono: bool
) -> None:
    rng = np.random.default_rng(channels)
    # Full-scale extremes included: -32768 and 32767.
    samples = rng.integers(-32768, 32768, size=(5000, channels), dtype=np.int16)
    samples[0] = -32768
    samples[1] = 32767
    path = tmp_path / f"x.{ext}"
    sf.write(path, samples, 16000, format=fmt, subtype="PCM_16")

    wave = audio.load(path, MelParams(sr=None, mono=mono))

    floats, _ = sf.read(path, dtype="float32", always_2d=True)
    expected = np.mean(floats.T, axis=0) if mono else floats.T  # librosa.to_mono
    assert wave.y.dtype == np.float32
    np.testing.assert_array_equal(wave.y, expected)


@pytest.mark.parametrize("first", [None, 0, 4095, 4096, 70_000], ids=str)
def test_digital_silence_is_every_sample_zero_wherever_one_is_not(
    tmp_path: Path, first: int | None
) -> None:
    """16-bit samples are looked at from their start first: a file that is
    silent for a while, then not, is not silence (``first``: the one sample
    that is not zero)."""
    samples = np.zeros((80_000, 2), dtype=np.int16)
    if first is not None:
        samples[first, 1] = 1
    path = tmp_path / "x.wav"
    sf.write(path, samples, 16000, subtype="PCM_16")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audio.load(path, MelParams(sr=None))
    silent = [w for w in caught if issubclass(w.category, audio.SilentInput)]
    assert len(silent) == (first is None)


def test_non_finite_float_samples_are_counted(tmp_path: Path) -> None:
    y = np.zeros(1000, dtype=np.float32)
    y[:3] = np.nan
    y[5] = np.inf
    y[6] = -np.inf
    path = tmp_path / "bad.wav"
    sf.write(path, y, 8000, subtype="FLOAT")
    with pytest.raises(audio.AudioError, match=r"^non-finite samples: 3 NaN, 2 Inf$"):
        audio.load(path, MelParams(sr=None))


@pytest.mark.parametrize(
    "placeholder",
    [0xFFFFFFFF, 0x7FFFFF00, 0x7FFFF000],
    ids=["ffmpeg", "arecord", "sox"],
)
def test_wav_written_to_a_pipe_is_whole_not_truncated(
    tmp_path: Path, placeholder: int
) -> None:
    """Programs writing WAV to a pipe put a placeholder where the sizes go."""
    y = (0.5 * np.sin(np.arange(20000) / 7)).astype(np.float32)
    whole = tmp_path / "whole.wav"
    sf.write(whole, y, 16000, subtype="PCM_16")
    data = bytearray(whole.read_bytes())
    assert data[36:40] == b"data"
    data[4:8] = data[40:44] = placeholder.to_bytes(4, "little")
    piped = tmp_path / "piped.wav"
    piped.write_bytes(bytes(data))

    got = audio.load(piped, MelParams(sr=None))

    np.testing.assert_array_equal(got.y, audio.load(whole, MelParams(sr=None)).y)


def test_wav_claiming_twice_its_data_is_truncated(tmp_path: Path) -> None:
    y = (0.5 * np.sin(np.arange(20000) / 7)).astype(np.float32)
    path = tmp_path / "cut.wav"
    sf.write(path, y, 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[40:44] = (2 * 2 * len(y)).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(audio.AudioError, match=r"^truncated: decoded 1\.25 s of 2\.50"):
        audio.load(path, MelParams(sr=None))


def test_decoder_notes_on_fd_2_go_to_the_file_that_printed_them() -> None:
    # What a C decoder prints on fd 2 (libmpg123 does) is caught per file:
    # each file gets its own notes only, and fd 2 is the terminal's again after.

    terminal = os.fstat(2)
    with audio._native_stderr() as first:
        os.write(2, b"Note: Illegal Audio-MPEG-Header  0x00000000\n")
        with audio._native_stderr() as inner:  # nested: only its own
            os.write(2, b"inner note\n")
        os.write(2, b"\n  second   line \n")
    with audio._native_stderr() as second:
        pass
    with audio._native_stderr() as third:
        os.write(2, b"third\n")

    assert first == ["Note: Illegal Audio-MPEG-Header 0x00000000", "second line"]
    assert inner == ["inner note"]
    assert second == []
    assert third == ["third"]
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (terminal.st_dev, terminal.st_ino)


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_process_catches_its_notes_in_a_file_of_its_own() -> None:
    with audio._native_stderr():  # the parent's capture file exists
        pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: catch a note while the parent catches its own
        try:
            os.close(read)
            with audio._native_stderr() as notes:
                os.write(2, b"child\n")
            os.write(write, "|".join(notes).encode())
        finally:
            os._exit(0)
    os.close(write)
    with audio._native_stderr() as mine:
        os.write(2, b"parent\n")
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as f:
        theirs = f.read().decode()
    assert mine == ["parent"]
    assert theirs == "child"


@pytest.mark.parametrize("res_type", ["soxr_hq", "soxr_vhq", "soxr_qq"])
@pytest.mark.parametrize(
    ("orig_sr", "target_sr"), [(16000, 22050), (44100, 22050), (8000, 16000)]
)
def test_resample_equals_librosa_at_every_length_and_in_turn(
    res_type: str, orig_sr: int, target_sr: int
) -> None:
    # Tiny files are resampled one after the other in a worker: each call
    # must give librosa's numbers whatever came before it (no state kept),
    # from a single sample up, mono and multichannel.
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(orig_sr + target_sr)
    for n in (1, 2, 7, 800, 1103, 16001, 800):
        for shape in ((n,), (2, n)):
            y = rng.standard_normal(shape).astype(np.float32)
            ours = audio.resample(
                y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type
            )
            theirs = librosa.resample(
                y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type
            )
            assert ours.dtype == np.float32
            assert ours.flags.c_contiguous
            assert (
                ours.shape
                == theirs.shape
                == (*shape[:-1], -(-n * target_sr // orig_sr))
            )
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("n", [1, 800, 801, 4410])
@pytest.mark.parametrize(("orig_sr", "target_sr"), [(16000, 22050), (48000, 16000)])
@pytest.mark.parametrize("channels", [None, 2])
@pytest.mark.parametrize("res_type", ["soxr_hq", "soxr_vhq"])
def test_resample_many_equals_resampling_one_by_one(
    n: int, orig_sr: int, target_sr: int, channels: int | None, res_type: str
) -> None:
    # The waveforms go through soxr as the channels of one signal: the very
    # numbers of one call each (what a worker given several files does).
    rng = np.random.default_rng(n)
    shape = (n,) if channels is None else (channels, n)
    ys = [(0.3 * rng.standard_normal(shape)).astype(np.float32) for _ in range(9)]

    many = audio.resample_many(
        ys, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type
    )

    assert len(many) == len(ys)
    for y, got in zip(ys, many, strict=True):
        one = audio.resample(y, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type)
        assert got.dtype == one.dtype == np.float32
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, one)
    if n > 1:  # and not all the same numbers (a mix-up of channels would show)
        assert not np.array_equal(many[0], many[1])
