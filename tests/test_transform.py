"""Each transform step against its librosa counterpart, and its invariants."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any

import librosa
import numpy as np
import pytest
from conftest import noise, tone

from melcli import MelParams
from melcli import transform as tf


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_matches_librosa(htk: bool) -> None:
    hz = np.array([0.0, 20.0, 440.0, 999.9, 1000.0, 1000.1, 8000.0, 24000.0])
    np.testing.assert_allclose(
        tf.hz_to_mel(hz, htk=htk), librosa.hz_to_mel(hz, htk=htk), rtol=1e-12
    )
    mels = np.linspace(0, 60, 31)
    np.testing.assert_allclose(
        tf.mel_to_hz(mels, htk=htk), librosa.mel_to_hz(mels, htk=htk), rtol=1e-12
    )
    np.testing.assert_allclose(
        tf.mel_frequencies(40, fmin=30.0, fmax=8000.0, htk=htk),
        librosa.mel_frequencies(40, fmin=30.0, fmax=8000.0, htk=htk),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"htk": True, "norm": None},
        {"n_mels": 40, "fmin": 100.0, "fmax": 4000.0},
        {"n_fft": 400, "n_mels": 80, "fmax": 8000.0},
        {"norm": 1.0, "n_mels": 64},
    ],
)
def test_mel_basis_matches_librosa(settings: dict[str, object]) -> None:
    p = MelParams(**settings)  # type: ignore[arg-type]
    expected = librosa.filters.mel(
        sr=16000,
        n_fft=p.n_fft,
        n_mels=p.n_mels,
        fmin=p.fmin,
        fmax=p.fmax,
        htk=p.htk,
        norm=p.norm,
    )
    M = tf.mel_basis(16000, params=p)
    assert M.dtype == np.float32
    assert not M.flags.writeable
    np.testing.assert_allclose(M, expected, rtol=1e-6, atol=1e-9)


def test_empty_mel_filters_warn_as_librosa_does() -> None:
    p = MelParams(n_fft=256, n_mels=256)
    with pytest.warns(UserWarning, match="Empty filters detected"):
        tf.mel_basis(22050, params=p)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "triang"])
@pytest.mark.parametrize(("win_length", "n_fft"), [(512, 512), (300, 512), (401, 401)])
def test_window_matches_librosa(window: str, win_length: int, n_fft: int) -> None:
    expected = librosa.util.pad_center(
        librosa.filters.get_window(window, win_length, fftbins=True), size=n_fft
    )
    np.testing.assert_allclose(
        tf.stft_window(window, win_length, n_fft), expected, atol=1e-12
    )


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"power": 1.0, "center": False},
        {"n_fft": 401, "hop_length": 100},  # odd n_fft
        {"pad_mode": "reflect", "win_length": 1000, "power": 1.5},
    ],
)
def test_spectrogram_matches_librosa_stft(settings: dict[str, object]) -> None:
    p = MelParams(**settings)  # type: ignore[arg-type]
    y = noise(seconds=0.7, seed=3)
    D = librosa.stft(
        y,
        n_fft=p.n_fft,
        hop_length=p.hop_length,
        win_length=p.win_length,
        center=p.center,
        pad_mode=p.pad_mode,  # type: ignore[arg-type]
    )
    expected = np.abs(D) ** p.power
    S = tf.spectrogram(y, params=p)
    assert S.shape == expected.shape
    assert S.shape[-1] == tf.n_frames(y.size, p)
    np.testing.assert_allclose(S, expected, rtol=1e-4, atol=1e-6 * expected.max())


def test_blocks_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    y = tone(700.0, seconds=3.0) + noise(seconds=3.0) * 0.01
    p = MelParams()
    whole = tf.mel_power(y, sr=22050, params=p)
    monkeypatch.setattr(tf, "BLOCK_FRAMES", 7)
    monkeypatch.setattr(tf, "MEL_CHUNK_FRAMES", 23)
    np.testing.assert_allclose(
        tf.mel_power(y, sr=22050, params=p), whole, rtol=1e-6, atol=0
    )


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"power": 1.0},
        {"power": 1.5},
        {"power": 1.0, "stft_eps": 1e-9},
        {"stft_eps": 1e-6},
        {"n_fft": 400, "hop_length": 160, "n_mels": 80, "drop_last_frame": True},
    ],
)
@pytest.mark.parametrize("channels", [1, 2])
def test_power_written_into_mel_chunks_is_the_spectrogram(
    settings: dict[str, Any], channels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mel_power writes each FFT block's power straight into its mel chunk: with
    # blocks that do not divide the chunks, every frame must land in its place
    # (the power spectrum from spectrogram(), projected densely, is the yardstick).
    y = tone(700.0, seconds=2.0) + noise(seconds=2.0) * 0.01
    y = np.stack([y, tone(3000.0, seconds=2.0)])[:channels].squeeze()
    p = MelParams(**settings)
    monkeypatch.setattr(tf, "BLOCK_FRAMES", 7)
    monkeypatch.setattr(tf, "MEL_CHUNK_FRAMES", 23)
    S_mel = tf.mel_power(y, sr=22050, params=p)
    expected = np.matmul(tf.mel_basis(22050, params=p), tf.spectrogram(y, params=p))
    assert S_mel.shape == expected.shape
    assert S_mel.shape[-1] == tf.n_frames(y.shape[-1], p)
    np.testing.assert_allclose(S_mel, expected, rtol=1e-5, atol=1e-7 * expected.max())


def test_multichannel_keeps_channels_apart() -> None:
    stereo = np.stack([tone(500.0), np.zeros(22050, dtype=np.float32)])
    S = tf.mel_power(stereo, sr=22050, params=MelParams())
    assert S.shape[:2] == (2, 128)
    assert S[0].max() > 0
    assert S[1].max() == 0


def test_power_to_db_matches_librosa() -> None:
    S = np.abs(noise(seconds=0.1)).reshape(5, -1) ** 2
    for ref, top_db in [("max", 80.0), (1.0, None), (0.5, 30.0)]:
        expected = librosa.power_to_db(
            S, ref=np.max if ref == "max" else ref, top_db=top_db
        )
        # Its logarithm is numpy's vectorised ln, scaled (tf.scaled_log10):
        # a few float32 steps from log10's, far inside the 1e-3 dB promise.
        np.testing.assert_allclose(
            tf.power_to_db(S, ref=ref, top_db=top_db), expected, rtol=0, atol=1e-4
        )


def test_silence_gives_finite_zeros() -> None:
    S_db = tf.mel_spectrogram_db(
        np.zeros(4096, dtype=np.float32), sr=22050, params=MelParams()
    )
    assert np.isfinite(S_db).all()
    assert (S_db == 0).all()  # amin / amin: 0 dB everywhere, as librosa


def test_default_pipeline_imports_neither_librosa_nor_scipy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Their import costs more than converting a file; the default path must
    # not pay it (the benchmark's start-up target depends on it).
    import soundfile as sf

    path = tmp_path / "x.wav"
    sf.write(path, tone(sr=44100), 44100)
    code = (
        "import sys, melcli; melcli.mel_spectrogram(sys.argv[1]); "
        "print(sorted(m for m in ('librosa', 'scipy', 'matplotlib', 'click') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"sr": 16000, "n_fft": 400, "hop_length": 160, "n_mels": 80},
        {"htk": True, "fmin": 50.0, "fmax": 8000.0, "norm": None},
        {"n_fft": 512, "n_mels": 256},  # empty filters: their rows stay zero
    ],
)
@pytest.mark.parametrize("frames", [3, 37, 1000])  # dense, and by blocks
def test_mel_bands_equal_the_dense_product(
    settings: dict[str, Any], frames: int
) -> None:
    p = MelParams(**settings)
    sr = p.sr or 22050
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the empty filters
        M = tf.mel_basis(sr, params=p)
        bands = tf.mel_bands(sr, params=p)
    S = np.random.default_rng(5).random((2, M.shape[1], frames), dtype=np.float32)
    out = np.full((2, M.shape[0], frames), np.nan, dtype=np.float32)
    bands.apply(S, out)
    np.testing.assert_allclose(out, M @ S, rtol=1e-5, atol=1e-7)
    # The same on the power spectrum frames first, as the FFT writes it.
    P = np.ascontiguousarray(np.swapaxes(S, -1, -2))
    out_frames = np.full((2, frames, M.shape[0]), np.nan, dtype=np.float32)
    bands.apply_frames(P, out_frames)
    np.testing.assert_allclose(
        np.swapaxes(out_frames, -1, -2), M @ S, rtol=1e-5, atol=1e-7
    )
    # The blocks cover every non-empty filter once, each over fewer bins
    # than the spectrum: most zeros are skipped.
    rows = [m for m, _, W in bands.blocks for m in range(m, m + W.shape[0])]
    assert rows == sorted(set(rows))
    assert set(rows) == set(np.flatnonzero(M.any(axis=1)))
    assert all(W.shape[1] < M.shape[1] for _, _, W in bands.blocks)
    assert len(bands.blocks) < len(rows)


def test_fft_blocks_are_sized_by_bytes() -> None:
    assert tf.block_frames(2048) == tf.BLOCK_BYTES // (8 * 2048)
    assert tf.block_frames(400) > tf.block_frames(2048)
    assert tf.block_frames(1 << 30) == 1


@pytest.mark.parametrize("mode", ["reflect", "constant", "edge"])
@pytest.mark.parametrize("shape", [(1,), (2,), (3,), (5,), (2, 7), (3, 1000)])
def test_centred_padding_is_np_pad(shape: tuple[int, ...], mode: str) -> None:
    y = np.random.default_rng(len(shape)).random(shape, dtype=np.float32)
    for half in range(12):
        pad = [(0, 0)] * (y.ndim - 1) + [(half, half)]
        expected = np.pad(y, pad, mode=mode)
        padded = tf.pad_centred(y, half, mode)
        assert padded.dtype == expected.dtype
        np.testing.assert_array_equal(padded, expected)
