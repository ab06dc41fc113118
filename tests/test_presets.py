"""Each preset against its model's reference front end, within 1e-4.

Whisper and CLAP are compared with the reference code itself: transformers'
numpy feature extraction, which installs without torch or model weights (the
``dev`` extra), constructed with explicit arguments (no download). PANNs,
HiFi-GAN and Tacotron 2 need torch: their documented arithmetic is written out
here, independently of melcli, with numpy and librosa.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import librosa
import numpy as np
import pytest
from conftest import SAMPLE_AUDIO, speechlike, whisper_features

import melcli
from melcli import MelParams, ParameterError, presets

TOLERANCE = 1e-4  # absolute, in each preset's output units

SPEECH = sorted((SAMPLE_AUDIO / "speech").iterdir())
SPEECH = [p for p in SPEECH if p.suffix in {".wav", ".flac", ".mp3"}]


def signals(sr: int) -> dict[str, Callable[[], np.ndarray]]:
    """Generated speech-like audio and the sample speech files, at ``sr``."""
    out: dict[str, Callable[[], np.ndarray]] = {"speechlike": lambda: speechlike(sr)}
    for path in SPEECH:
        out[path.name] = lambda path=path: _load(path, sr)
    return out


def _load(path: Path, sr: int) -> np.ndarray:
    y, _ = librosa.load(path, sr=sr)
    return np.asarray(y, dtype=np.float32)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)


def ours(name: str, y: np.ndarray) -> np.ndarray:
    params = melcli.preset_params(name)
    assert params.sr is not None
    return melcli.mel_spectrogram(y, sr=params.sr, params=params)


# ------------------------------------------------------------------ whisper
@pytest.mark.parametrize(("name", "n_mels"), [("whisper", 80), ("whisper-v3", 128)])
@pytest.mark.parametrize("signal", list(signals(16000)))
def test_whisper_matches_transformers(name: str, n_mels: int, signal: str) -> None:
    y = signals(16000)[signal]()
    y30 = np.zeros(30 * 16000, dtype=np.float32)  # Whisper's 30-s window
    y30[: len(y)] = y
    expected = whisper_features(y, n_mels=n_mels)
    actual = ours(name, y30)
    assert actual.shape == (n_mels, 3000)
    assert_close(actual, expected)


def test_whisper_reference_defaults_are_the_presets() -> None:
    from transformers import WhisperFeatureExtractor

    defaults = inspect.signature(WhisperFeatureExtractor.__init__).parameters
    p = melcli.preset_params("whisper")
    assert defaults["feature_size"].default == p.n_mels
    assert defaults["sampling_rate"].default == p.sr
    assert defaults["hop_length"].default == p.hop_length
    assert defaults["n_fft"].default == p.n_fft


# --------------------------------------------------------------------- clap
@pytest.mark.parametrize("signal", list(signals(48000)))
def test_clap_matches_transformers_audio_utils(signal: str) -> None:
    from transformers.audio_utils import mel_filter_bank, spectrogram, window_function

    y = signals(48000)[signal]()
    # As ClapFeatureExtractor.__init__ (mel_filters) and its
    # _np_extract_fbank_features compute them, with LAION's 50-14000 Hz.
    filters = mel_filter_bank(
        num_frequency_bins=(1024 >> 1) + 1,
        num_mel_filters=64,
        min_frequency=50,
        max_frequency=14000,
        sampling_rate=48000,
        norm=None,
        mel_scale="htk",
    )
    expected = spectrogram(
        y,
        window_function(1024, "hann"),
        frame_length=1024,
        hop_length=480,
        power=2.0,
        mel_filters=filters,
        log_mel="dB",
    )
    assert_close(ours("clap", y), expected)


# -------------------------------------------------------------------- panns
@pytest.mark.parametrize("signal", list(signals(32000)))
def test_panns_matches_cnn14_arithmetic(signal: str) -> None:
    y = signals(32000)[signal]()
    # torchlibrosa Spectrogram(n_fft=1024, hop_length=320, window="hann",
    # center=True, pad_mode="reflect", power=2.0) ...
    D = librosa.stft(
        y, n_fft=1024, hop_length=320, window="hann", center=True, pad_mode="reflect"
    )
    power = np.abs(D) ** 2
    # ... LogmelFilterBank(sr=32000, n_fft=1024, n_mels=64, fmin=50, fmax=14000,
    # ref=1.0, amin=1e-10, top_db=None): librosa.filters.mel, then power_to_db.
    mel = librosa.filters.mel(sr=32000, n_fft=1024, n_mels=64, fmin=50, fmax=14000)
    mel_power = mel @ power
    expected = 10.0 * np.log10(np.maximum(mel_power, 1e-10)) - 10.0 * np.log10(1.0)
    assert_close(ours("panns", y), expected)


# ------------------------------------------------------ hifigan, tacotron2
def _mel_80(sr: int = 22050) -> np.ndarray:
    return np.asarray(
        librosa.filters.mel(sr=sr, n_fft=1024, n_mels=80, fmin=0.0, fmax=8000.0)
    )


@pytest.mark.parametrize("signal", list(signals(22050)))
def test_hifigan_matches_meldataset_arithmetic(signal: str) -> None:
    y = signals(22050)[signal]()
    pad = int((1024 - 256) / 2)
    padded = np.pad(y, (pad, pad), mode="reflect")
    D = librosa.stft(padded, n_fft=1024, hop_length=256, window="hann", center=False)
    magnitude = np.sqrt(D.real**2 + D.imag**2 + 1e-9)
    expected = np.log(np.maximum(_mel_80() @ magnitude, 1e-5))
    actual = ours("hifigan", y)
    assert actual.shape == (80, len(y) // 256)
    assert_close(actual, expected)


@pytest.mark.parametrize("signal", list(signals(22050)))
def test_tacotron2_matches_its_stft_arithmetic(signal: str) -> None:
    y = signals(22050)[signal]()
    padded = np.pad(y, (512, 512), mode="reflect")
    window = np.asarray(librosa.filters.get_window("hann", 1024, fftbins=True))
    frames = np.lib.stride_tricks.sliding_window_view(padded, 1024)[::256]
    spectrum = np.fft.rfft(frames * window, axis=-1).T  # the conv1d Fourier basis
    magnitude = np.sqrt(spectrum.real**2 + spectrum.imag**2)
    expected = np.log(np.maximum(_mel_80() @ magnitude, 1e-5))
    actual = ours("tacotron2", y)
    assert actual.shape == (80, 1 + len(y) // 256)
    assert_close(actual, expected)


# ------------------------------------------------------------------ the API
def test_every_preset_validates_and_says_how_it_is_tested() -> None:
    assert {"whisper", "whisper-v3", "panns", "hifigan", "tacotron2", "clap"} <= set(
        presets.PRESETS
    )
    for preset in presets.PRESETS.values():
        preset.params()
        assert preset.tested in (presets.REFERENCE_CODE, presets.DOCUMENTED_ARITHMETIC)
        assert preset.sources
        assert all(": " in s for s in preset.sources)


def test_overrides_win_and_change_the_fingerprint() -> None:
    whisper = melcli.preset_params("whisper")
    more = melcli.preset_params("whisper", n_mels=64)
    assert more.n_mels == 64
    assert more.sr == 16000
    assert whisper.fingerprint() != more.fingerprint()
    assert whisper.fingerprint() != MelParams().fingerprint()


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(ParameterError, match="preset='bert' must be one of whisper"):
        melcli.preset_params("bert")
