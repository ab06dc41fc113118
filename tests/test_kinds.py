"""Other kinds of spectrogram (stft, mfcc) and the scale step, against librosa.

The references are librosa's own functions (``librosa.stft``,
``amplitude_to_db``, ``power_to_db``, ``feature.mfcc``) and, for the log
scales, their formulas written here with numpy on librosa's mel spectrogram.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import librosa
import numpy as np
import pytest
from conftest import (
    SAMPLE_FILES,
    assert_names_the_parameter,
    librosa_melspectrogram,
    noise,
    tone,
)

import melcli
from melcli import MelParams, ParameterError, Status, stream
from melcli import transform as tf
from melcli.discover import Job
from melcli.pipeline import process_one

TOLERANCE_DB = 1e-3  # as tests/test_parity.py


def speechlike(sr: int = 22050, seconds: float = 2.0, seed: int = 3) -> np.ndarray:
    """Harmonics with a moving pitch, syllable-like bursts, a pause and noise."""
    t = np.arange(int(sr * seconds)) / sr
    f0 = 120 + 30 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 2
    envelope[int(0.4 * len(t)) : int(0.55 * len(t))] = 0.0  # a pause
    y = 0.2 * y * envelope + 0.01 * noise(sr=sr, seconds=seconds, seed=seed)
    return np.asarray(y, dtype=np.float32)


def load(path: Path, sr: int = 22050) -> np.ndarray:
    y, _ = librosa.load(path, sr=sr)
    return np.asarray(y)


SIGNALS = {
    "speechlike": lambda: speechlike(),
    **{p.name: (lambda p=p: load(p)) for p in SAMPLE_FILES[:3]},
}


# --------------------------------------------------------------------- stft
@pytest.mark.parametrize("signal", list(SIGNALS))
def test_stft_kind_is_the_tutorial_spectrogram(signal: str) -> None:
    y = SIGNALS[signal]()
    S = melcli.mel_spectrogram(y, sr=22050, params=MelParams(kind="stft"))
    expected = librosa.amplitude_to_db(np.abs(librosa.stft(y)), ref=np.max)
    assert S.shape == expected.shape == (1 + 2048 // 2, 1 + len(y) // 512)
    np.testing.assert_allclose(S, expected, rtol=0, atol=TOLERANCE_DB)


@pytest.mark.parametrize(
    "options",
    [
        {"power": 2.0, "ref": 1.0, "top_db": None},
        {"power": 1.0},
        {"n_fft": 512, "hop_length": 128, "pad_mode": "reflect", "top_db": 60.0},
        {"n_fft": 1000, "hop_length": 300, "center": False},
    ],
)
def test_stft_kind_matches_librosa_power_to_db(options: dict[str, Any]) -> None:
    y = speechlike()
    p = MelParams(kind="stft", **options)
    S = melcli.mel_spectrogram(y, sr=22050, params=p)
    D = librosa.stft(
        y,
        n_fft=p.n_fft,
        hop_length=p.hop_length,
        center=p.center,
        pad_mode=p.pad_mode,
    )
    ref = np.max if p.ref == "max" else p.ref
    expected = librosa.power_to_db(np.abs(D) ** p.power, ref=ref, top_db=p.top_db)
    assert S.shape == (1 + p.n_fft // 2, tf.n_frames(len(y), p)) == expected.shape
    np.testing.assert_allclose(S, expected, rtol=0, atol=TOLERANCE_DB)


def test_stft_kind_ignores_the_filterbank_limits() -> None:
    p = MelParams(kind="stft", sr=None, fmax=10000.0).validate()
    p.check_sr(8000)  # no filterbank, so no Nyquist limit on fmax


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"segment": 1.0, "segment_hop": 1e-9}, "segment_hop"),
        ({"segment": 1e-9}, "segment"),
        ({"clip_duration": 1e-9}, "clip_duration"),
    ],
)
def test_stft_kind_still_rejects_windows_under_one_sample(
    changes: dict[str, float], param: str
) -> None:
    # A segment hop of 0 samples would cut windows forever.
    with pytest.raises(ParameterError, match="less than one sample") as info:
        MelParams(kind="stft", **changes).validate()  # type: ignore[arg-type]
    assert info.value.param == param
    native = MelParams(kind="stft", sr=None, **changes).validate()  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="less than one sample"):
        native.check_sr(8000)  # each file's own rate, when it is known


# --------------------------------------------------------------------- mfcc
@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("n_mfcc", [20, 13, 40])
def test_mfcc_with_ref_1_is_librosa_feature_mfcc(signal: str, n_mfcc: int) -> None:
    y = SIGNALS[signal]()
    p = MelParams(kind="mfcc", n_mfcc=n_mfcc, ref=1.0)
    M = melcli.mel_spectrogram(y, sr=22050, params=p)
    expected = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=n_mfcc)
    assert M.shape == expected.shape == (n_mfcc, 1 + len(y) // 512)
    np.testing.assert_allclose(M, expected, rtol=0, atol=TOLERANCE_DB)


def test_mfcc_default_is_the_dct_of_the_default_log_mel() -> None:
    y = speechlike()
    p = MelParams(kind="mfcc", n_mels=64, hop_length=256)
    M = melcli.mel_spectrogram(y, sr=22050, params=p)
    S_db = librosa.power_to_db(librosa_melspectrogram(y, p), ref=np.max)
    expected = librosa.feature.mfcc(S=S_db, n_mfcc=20)
    np.testing.assert_allclose(M, expected, rtol=0, atol=TOLERANCE_DB)


def test_mfcc_of_natural_log_mel() -> None:
    y = speechlike()
    p = MelParams(kind="mfcc", scale="log", amin=1e-6, n_mfcc=13)
    M = melcli.mel_spectrogram(y, sr=22050, params=p)
    expected = librosa.feature.mfcc(
        S=np.log(np.maximum(librosa_melspectrogram(y, p), 1e-6)), n_mfcc=13
    )
    np.testing.assert_allclose(M, expected, rtol=0, atol=1e-4)


def test_dct_matrix_is_orthonormal() -> None:
    C = tf.dct_matrix(32, 32)
    np.testing.assert_allclose(C @ C.T, np.eye(32), atol=1e-12)


# -------------------------------------------------------------- scale step
@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize(
    ("options", "formula"),
    [
        (
            {"scale": "log", "amin": 1e-5, "power": 1.0},
            lambda S: np.log(np.maximum(S, 1e-5)),
        ),
        (
            {"scale": "log10", "clamp": 8.0, "shift": 4.0, "divisor": 4.0},
            lambda S: (
                (
                    np.maximum(
                        np.log10(np.maximum(S, 1e-10)),
                        np.log10(np.maximum(S, 1e-10)).max() - 8.0,
                    )
                    + 4.0
                )
                / 4.0
            ),
        ),
        (
            {"scale": "log", "clamp": 5.0},
            lambda S: np.maximum(
                np.log(np.maximum(S, 1e-10)), np.log(max(S.max(), 1e-10)) - 5.0
            ),
        ),
        ({"scale": "none"}, lambda S: S),
        ({"scale": "none", "power": 1.0, "divisor": 10.0}, lambda S: S / 10.0),
        (
            {"scale": "db", "ref": 1.0, "top_db": None, "shift": 20.0, "divisor": 20.0},
            lambda S: (librosa.power_to_db(S, ref=1.0, top_db=None) + 20.0) / 20.0,
        ),
    ],
    ids=["ln", "whisper-style", "ln-clamp", "none", "magnitude-scaled", "db-affine"],
)
def test_scale_step_follows_its_formula(
    signal: str, options: dict[str, Any], formula: Any
) -> None:
    y = SIGNALS[signal]()
    p = MelParams(**options)
    S = melcli.mel_spectrogram(y, sr=22050, params=p)
    expected = formula(librosa_melspectrogram(y, p))
    assert S.shape == expected.shape
    assert S.dtype == np.float32
    # Relative for "none" (power is not a log), absolute for the log scales.
    np.testing.assert_allclose(
        S, expected, rtol=1e-5 if p.scale == "none" else 0, atol=1e-4
    )


def test_default_scale_is_unchanged() -> None:
    y = speechlike()
    default = melcli.mel_spectrogram(y, sr=22050)
    explicit = melcli.mel_spectrogram(
        y, sr=22050, params=MelParams(scale="db", shift=0.0, divisor=1.0)
    )
    assert np.array_equal(default, explicit)


# ------------------------------------------------------------------ framing
@pytest.mark.parametrize("pad_length", [0, 384, 1500])
def test_pad_length_pads_each_side_then_frames_uncentred(pad_length: int) -> None:
    y = speechlike()
    p = MelParams(
        n_fft=1024,
        hop_length=256,
        pad_mode="reflect",
        pad_length=pad_length,
        kind="stft",
        scale="none",
        power=1.0,
    )
    S = melcli.mel_spectrogram(y, sr=22050, params=p)
    padded = np.pad(y, (pad_length, pad_length), mode="reflect")
    expected = np.abs(librosa.stft(padded, n_fft=1024, hop_length=256, center=False))
    assert S.shape == expected.shape == (513, tf.n_frames(len(y), p))
    assert S.shape[1] == 1 + (len(y) + 2 * pad_length - 1024) // 256
    np.testing.assert_allclose(S, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("power", [1.0, 2.0, 1.5])
def test_stft_eps_is_added_to_the_squared_magnitude(power: float) -> None:
    y = speechlike() * 1e-3  # quiet, so that 1e-6 matters
    p = MelParams(kind="stft", scale="none", power=power, stft_eps=1e-6)
    S = melcli.mel_spectrogram(y, sr=22050, params=p)
    D = librosa.stft(y)
    expected = (D.real.astype(np.float64) ** 2 + D.imag**2 + 1e-6) ** (power / 2)
    np.testing.assert_allclose(S, expected, rtol=1e-4)


def test_drop_last_frame_drops_it_before_the_peak() -> None:
    y = speechlike()
    y[-300:] = 0.9  # a loud last frame: its peak must not set the reference
    p = MelParams(drop_last_frame=True, n_fft=400, hop_length=160, sr=16000)
    y16 = librosa.resample(y, orig_sr=22050, target_sr=16000)
    S = melcli.mel_spectrogram(y16, sr=16000, params=p)
    mel = librosa_melspectrogram(y16, p, sr=16000)[:, :-1]
    expected = librosa.power_to_db(mel, ref=np.max)
    assert S.shape == expected.shape == (128, len(y16) // 160)
    np.testing.assert_allclose(S, expected, rtol=0, atol=TOLERANCE_DB)


def test_too_short_for_a_single_frame_fails_clearly() -> None:
    p = MelParams(n_fft=1024, hop_length=256, pad_length=0)
    with pytest.raises(melcli.AudioError, match="gives no frame with n_fft=1024"):
        melcli.mel_spectrogram(np.zeros(500, np.float32), sr=22050, params=p)


# --------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("changes", "param", "text"),
    [
        ({"kind": "cqt"}, "kind", "kind='cqt' must be one of mel, stft, mfcc"),
        ({"scale": "ln"}, "scale", "scale='ln' must be one of db, log, log10, none"),
        ({"n_mfcc": 0}, "n_mfcc", "n_mfcc=0 must be a positive integer"),
        (
            {"kind": "mfcc", "n_mfcc": 200},
            "n_mfcc",
            "n_mfcc=200 must be at most n_mels=128",
        ),
        ({"kind": "mfcc", "scale": "none"}, "scale", "scale='none' cannot be used"),
        (
            {"clamp": 8.0},
            "clamp",
            "clamp=8.0 applies to scale 'log' or 'log10' only (scale='db'; the dB "
            "scale uses top_db)",
        ),
        (  # top_db is no part of a linear scale
            {"scale": "none", "clamp": 8.0},
            "clamp",
            "clamp=8.0 applies to scale 'log' or 'log10' only (scale='none')",
        ),
        ({"scale": "log", "clamp": -1.0}, "clamp", "clamp=-1.0 must not be negative"),
        ({"divisor": 0.0}, "divisor", "divisor=0.0 must not be zero"),
        ({"shift": float("inf")}, "shift", "shift=inf must be a finite number"),
        ({"stft_eps": -1e-9}, "stft_eps", "stft_eps=-1e-09 must not be negative"),
        ({"pad_length": -1}, "pad_length", "pad_length=-1 must be a non-negative"),
        ({"pad_length": 10, "center": False}, "pad_length", "needs center=True"),
    ],
)
def test_invalid_feature_settings_name_the_parameter(
    changes: dict[str, object], param: str, text: str
) -> None:
    assert_names_the_parameter(changes, param, text)


def test_fingerprint_follows_the_new_settings() -> None:
    base = MelParams()
    changed = {
        base.replace(kind="stft").fingerprint(),
        base.replace(kind="mfcc").fingerprint(),
        base.replace(n_mfcc=13).fingerprint(),
        base.replace(scale="log10").fingerprint(),
        base.replace(scale="log", clamp=8.0).fingerprint(),
        base.replace(shift=4.0).fingerprint(),
        base.replace(divisor=4.0).fingerprint(),
        base.replace(pad_length=384).fingerprint(),
        base.replace(drop_last_frame=True).fingerprint(),
        base.replace(stft_eps=1e-9).fingerprint(),
    }
    assert base.fingerprint() not in changed
    assert len(changed) == 10


# ------------------------------------------------------------ long files
@pytest.fixture
def long_file(write_audio: Any) -> Path:
    y = tone(330.0, sr=44100, seconds=4.0) + noise(sr=44100, seconds=4.0) * 0.1
    y[44100:60000] *= 0.001
    return Path(write_audio("long.wav", y, sr=44100))


@pytest.mark.parametrize(
    ("options", "streams"),
    [
        ({"scale": "log10", "clamp": 8.0, "shift": 4.0, "divisor": 4.0}, True),
        (
            {"scale": "log", "amin": 1e-5, "power": 1.0, "pad_length": 384}
            | {"stft_eps": 1e-9},
            True,
        ),
        ({"scale": "none", "mono": False}, True),
        ({"pad_mode": "reflect", "pad_length": 100, "n_fft": 512}, True),
        ({"kind": "stft"}, False),
        ({"kind": "mfcc"}, False),
        ({"drop_last_frame": True}, False),
    ],
)
@pytest.mark.usefixtures("small_blocks")
def test_long_files_give_the_in_memory_numbers(
    options: dict[str, Any], streams: bool, long_file: Path, tmp_path: Path
) -> None:
    p = MelParams(**options).validate()
    assert stream.can_stream(p) is streams
    job = Job(src=long_file, rel="long.wav", npy=tmp_path / "out" / "long.npy")
    result = process_one(job, params=p)
    assert result.status is Status.WRITTEN, result.reason
    assert ("db_write" in result.timings) is streams
    whole = melcli.mel_spectrogram(long_file, params=p)
    written = np.load(job.npy)
    assert written.shape == whole.shape
    rtol = 1e-5 if p.scale == "none" else 0
    np.testing.assert_allclose(written, whole, rtol=rtol, atol=1e-4)
