"""melcli's arrays against the plain librosa call chain, the reference.

The reference is what a user writes from librosa's documentation::

    y, sr = librosa.load(path, sr=..., mono=..., offset=..., duration=...)
    S = librosa.feature.melspectrogram(y=y, sr=sr, ...)
    S_db = librosa.power_to_db(S, ref=np.max, amin=..., top_db=...)

melcli must match it within 1e-3 dB everywhere, for defaults and other settings.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import librosa
import numpy as np
import pytest
import soundfile as sf
from conftest import SAMPLE_FILES, WriteAudio, librosa_melspectrogram, noise, tone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import melcli
from melcli import MelParams
from melcli.discover import Job
from melcli.pipeline import process_one

TOLERANCE_DB = 1e-3


def librosa_chain(path: Path, p: MelParams) -> np.ndarray:
    """The reference: librosa's own functions, called as its docs show."""
    y, sr = librosa.load(
        path,
        sr=p.sr,
        mono=p.mono,
        offset=p.offset,
        duration=p.duration,
        res_type=p.res_type,
    )
    S = librosa_melspectrogram(y, p, sr=int(sr))
    if S.ndim == 2:
        return librosa.power_to_db(
            S, ref=np.max if p.ref == "max" else p.ref, amin=p.amin, top_db=p.top_db
        )
    # Multichannel: melcli takes one reference and one clamp for the whole
    # file. librosa 0.11 does so for ref=np.max, 1.0 per channel; pass the
    # global values explicitly so that the reference is the same under both.
    ref = float(np.max(S)) if p.ref == "max" else p.ref
    S_db = librosa.power_to_db(S, ref=ref, amin=p.amin, top_db=None)
    if p.top_db is not None:
        S_db = np.maximum(S_db, S_db.max() - p.top_db)
    return S_db


def assert_parity(path: Path, p: MelParams) -> np.ndarray:
    expected = librosa_chain(path, p)
    actual = melcli.mel_spectrogram(path, params=p)
    if not p.mono and expected.ndim == 2:
        expected = expected[np.newaxis]  # melcli keeps a channel axis
    assert actual.dtype == np.dtype(p.dtype)
    assert actual.shape == expected.shape
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE_DB)
    return actual


# Option sets a user reaches for; each differs from the defaults in several ways.
OPTION_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "native-rate-small-fft": {"sr": None, "n_fft": 1024, "hop_length": 256},
    "speech-16k": {"sr": 16000, "n_fft": 400, "hop_length": 160, "n_mels": 80},
    "htk-band-limited": {"htk": True, "fmin": 50.0, "fmax": 8000.0, "norm": None},
    "magnitude-fixed-ref": {"power": 1.0, "ref": 1.0, "top_db": None, "amin": 1e-5},
    "hamming-uncentred": {"window": "hamming", "center": False, "n_mels": 40},
    "reflect-short-window": {"pad_mode": "reflect", "win_length": 1024},
    "offset-duration": {"offset": 0.3, "duration": 0.8},
    "very-high-quality-resampler": {"res_type": "soxr_vhq", "sr": 32000},
    "polyphase-resampler": {"res_type": "polyphase", "sr": 8000, "n_fft": 512},
    "fft-resampler": {"res_type": "fft", "sr": 11025, "n_fft": 512},
    "p-norm-filters": {"norm": 2.0, "n_mels": 32, "top_db": 60.0},
    "keep-channels": {"mono": False},
}


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("options", ["defaults", "speech-16k", "keep-channels"])
def test_sample_audio_matches_librosa(path: Path, options: str) -> None:
    assert_parity(path, MelParams(**OPTION_SETS[options]))


@pytest.mark.parametrize("options", list(OPTION_SETS))
def test_option_sets_match_librosa(options: str, write_audio: WriteAudio) -> None:
    path = write_audio(
        "mix.wav", tone(1000.0, sr=44100, seconds=1.5, channels=2), sr=44100
    )
    assert_parity(path, MelParams(**OPTION_SETS[options]))


@pytest.mark.parametrize(
    "options",
    [
        "defaults",
        "native-rate-small-fft",
        "speech-16k",
        "magnitude-fixed-ref",
        "hamming-uncentred",
        "reflect-short-window",
        "keep-channels",
    ],
)
@pytest.mark.parametrize(("block", "chunk"), [(1, 5), (7, 23), (64, 50)])
def test_power_written_block_by_block_into_mel_chunks_matches_librosa(
    options: str,
    block: int,
    chunk: int,
    write_audio: WriteAudio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each FFT block's power is written into the mel chunk in place: blocks
    # that straddle, divide or outgrow the chunks must still give librosa's.
    from melcli import transform as tf

    monkeypatch.setattr(tf, "BLOCK_FRAMES", block)
    monkeypatch.setattr(tf, "MEL_CHUNK_FRAMES", chunk)
    path = write_audio(
        "mix.wav", tone(1000.0, sr=44100, seconds=1.5, channels=2), sr=44100
    )
    assert_parity(path, MelParams(**OPTION_SETS[options]))


def test_mono_and_stereo_sample_files_were_covered() -> None:
    channels = {sf.info(p).channels for p in SAMPLE_FILES}
    rates = {sf.info(p).samplerate for p in SAMPLE_FILES}
    assert channels == {1, 2}
    assert {16000, 44100} <= rates
    assert {p.suffix for p in SAMPLE_FILES} == {".wav", ".flac", ".ogg", ".mp3"}


@pytest.mark.parametrize(
    "subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "PCM_U8"]
)
def test_encodings_match_librosa(subtype: str, write_audio: WriteAudio) -> None:
    path = write_audio("x.wav", noise(sr=22050, seconds=0.5), subtype=subtype)
    assert_parity(path, MelParams())


def test_multichannel_reference_is_shared_across_channels(
    write_audio: WriteAudio,
) -> None:
    # Left channel at full level, right 40 dB quieter: one reference keeps that.
    left = tone(500.0, sr=22050, amplitude=0.5)
    stereo = np.stack([left, left / 100.0], axis=1)
    path = write_audio("st.wav", stereo, subtype="FLOAT")
    S_db = assert_parity(path, MelParams(mono=False, top_db=None))
    assert S_db[0].max() == pytest.approx(0.0, abs=1e-6)
    assert S_db[1].max() == pytest.approx(-40.0, abs=0.01)


def test_tone_energy_lands_in_its_mel_band() -> None:
    sr = 22050
    p = MelParams(n_mels=64)
    S_db = melcli.mel_spectrogram(tone(2000.0, sr=sr, seconds=2.0), sr=sr, params=p)
    centres = librosa.mel_frequencies(n_mels=p.n_mels + 2, fmax=sr / 2)[1:-1]
    loudest = int(np.argmax(S_db.mean(axis=1)))
    assert abs(centres[loudest] - 2000.0) == min(abs(centres - 2000.0))
    assert S_db.max() == 0.0  # ref=max puts the peak at 0 dB
    assert S_db.min() >= -80.0  # top_db clamps


def test_array_input_matches_file_input(write_audio: WriteAudio) -> None:
    y = noise(sr=16000, seconds=1.0, seed=7)
    path = write_audio("n.wav", y, sr=16000, subtype="FLOAT")
    from_file = melcli.mel_spectrogram(path)
    from_array = melcli.mel_spectrogram(y, sr=16000)
    np.testing.assert_array_equal(from_file, from_array)


def test_float16_output_is_within_half_precision(write_audio: WriteAudio) -> None:
    path = write_audio("n.wav", noise(seconds=0.5))
    S16 = melcli.mel_spectrogram(path, params=MelParams(dtype="float16"))
    S32 = melcli.mel_spectrogram(path)
    assert S16.dtype == np.float16
    # float16 has 11 significant bits: 0.05 dB near -80 dB.
    np.testing.assert_allclose(S16.astype(np.float32), S32, rtol=0, atol=0.05)


def test_short_signal_is_written_with_librosas_warning(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    path = write_audio("short.wav", noise(seconds=0.02))  # 441 samples < n_fft
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_fft=2048 is too large")
        expected = librosa_chain(path, MelParams())
    job = Job(src=path, rel="short.wav", npy=tmp_path / "out" / "short.npy")
    result = process_one(job, params=MelParams())
    assert result.status is melcli.Status.WRITTEN
    assert any("n_fft=2048 is too large" in w for w in result.warnings)
    np.testing.assert_allclose(np.load(job.npy), expected, atol=TOLERANCE_DB)


def test_written_npy_equals_the_api_array(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    path = write_audio("a.wav", noise(seconds=0.5))
    job = Job(src=path, rel="a.wav", npy=tmp_path / "o" / "a.npy")
    result = process_one(job, params=MelParams())
    saved = np.load(job.npy)
    assert saved.dtype == np.float32
    assert result.shape == saved.shape
    np.testing.assert_array_equal(saved, melcli.mel_spectrogram(path))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sr=st.sampled_from([None, 8000, 16000, 22050, 44100]),
    n_fft=st.sampled_from([256, 512, 1024, 2048]),
    hop_div=st.sampled_from([2, 4, 8]),
    n_mels=st.integers(8, 96),
    fmin=st.sampled_from([0.0, 20.0, 300.0]),
    htk=st.booleans(),
    power=st.sampled_from([1.0, 2.0]),
    top_db=st.sampled_from([None, 40.0, 80.0, 120.0]),
    center=st.booleans(),
)
def test_random_settings_match_librosa(
    tmp_path_factory: pytest.TempPathFactory, **changes: Any
) -> None:
    path = tmp_path_factory.getbasetemp() / "hypothesis-chirp.wav"
    if not path.exists():
        t = np.arange(22050) / 22050
        chirp = 0.5 * np.sin(2 * np.pi * (100 + 4000 * t) * t)
        sf.write(path, chirp.astype(np.float32), 22050, subtype="FLOAT")
    n_fft = changes.pop("n_fft")
    hop_length = n_fft // changes.pop("hop_div")
    p = MelParams(n_fft=n_fft, hop_length=hop_length, **changes)
    with warnings.catch_warnings():
        # Many mels over few FFT bins leave some filters empty: librosa warns,
        # in the reference and in melcli alike; the numbers must still agree.
        warnings.filterwarnings("ignore", message="Empty filters detected")
        assert_parity(path, p)
