"""Fixed-length clips: the shape formula, pad and crop policies, reproducible crops."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import WriteAudio, assert_names_the_parameter, noise, tone

import melcli
from melcli import MelParams, Status, clip, stream
from melcli import transform as tf
from melcli.audio import load
from melcli.cli import cli
from melcli.discover import Job
from melcli.pipeline import process_one


def expected_frames(seconds: float, sr: int, *, n_fft: int, hop: int) -> int:
    """The documented formula, for a centred STFT."""
    clip_samples = round(seconds * sr)
    return 1 + (clip_samples + 2 * (n_fft // 2) - n_fft) // hop


@pytest.mark.parametrize(
    ("seconds", "sr", "hop", "n_fft"),
    [
        (1.0, 22050, 512, 2048),
        (2.37, 16000, 160, 400),
        (0.5, 8000, 128, 256),
        (3.0, 22050, 300, 1024),
        (1.234, 44100, 441, 1001),  # odd n_fft: 1 + (n - 1) // hop
        (30.0, 16000, 160, 400),  # Whisper: 3001 frames before its last is dropped
    ],
)
@pytest.mark.parametrize("length", [0.3, 1.0, 4.1], ids=["short", "near", "long"])
def test_every_length_gives_the_formulas_shape(
    seconds: float, sr: int, hop: int, n_fft: int, length: float
) -> None:
    params = MelParams(
        sr=sr,
        clip_duration=seconds,
        hop_length=hop,
        n_fft=n_fft,
        n_mels=16,
        fmax=sr / 2,
    )
    y = noise(sr=sr, seconds=length * seconds)
    S = melcli.mel_spectrogram(y, sr=sr, params=params)
    frames = expected_frames(seconds, sr, n_fft=n_fft, hop=hop)
    assert S.shape == (16, frames)
    assert clip.clip_frames(params, sr) == frames
    if n_fft % 2 == 0:
        assert frames == 1 + round(seconds * sr) // hop


def test_shape_holds_after_resampling_and_with_channels(
    write_audio: WriteAudio,
) -> None:
    params = MelParams(sr=16000, clip_duration=1.3, mono=False, n_mels=20)
    shapes = set()
    for i, (seconds, rate) in enumerate([(0.4, 44100), (2.0, 22050), (1.3, 8000)]):
        y = tone(sr=rate, seconds=seconds, channels=2)
        path = write_audio(f"{i}.wav", y, sr=rate)
        shapes.add(melcli.mel_spectrogram(path, params=params).shape)
    assert shapes == {(2, 20, 1 + round(1.3 * 16000) // 512)}


def test_uncentred_shape() -> None:
    params = MelParams(clip_duration=1.0, center=False, n_mels=8)
    S = melcli.mel_spectrogram(noise(seconds=0.2), sr=22050, params=params)
    assert S.shape == (8, 1 + (22050 - 2048) // 512)


# ----------------------------------------------------------------- padding
def test_pad_zeros_appends_silence() -> None:
    y = np.arange(1, 6, dtype=np.float32)
    params = MelParams(sr=10, clip_duration=1.2, pad="zeros")
    out = clip.clip_waveform(y, sr=10, params=params)
    assert out.tolist() == [1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0]


def test_pad_repeat_starts_the_signal_again() -> None:
    y = np.arange(1, 4, dtype=np.float32)
    params = MelParams(sr=10, clip_duration=0.8, pad="repeat")
    out = clip.clip_waveform(y, sr=10, params=params)
    assert out.tolist() == [1, 2, 3, 1, 2, 3, 1, 2]


def test_pad_reflect_mirrors_without_repeating_the_edge() -> None:
    y = np.arange(1, 4, dtype=np.float32)
    params = MelParams(sr=10, clip_duration=0.9, pad="reflect")
    out = clip.clip_waveform(y, sr=10, params=params)
    assert out.tolist() == [1, 2, 3, 2, 1, 2, 3, 2, 1]


def test_padding_is_per_channel() -> None:
    y = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
    params = MelParams(sr=10, clip_duration=0.5, pad="repeat", mono=False)
    out = clip.clip_waveform(y, sr=10, params=params)
    assert out.tolist() == [[1, 2, 3, 1, 2], [4, 5, 6, 4, 5]]


# ------------------------------------------------------------------- crops
def test_crop_start_and_center() -> None:
    y = np.arange(10, dtype=np.float32)
    start = clip.clip_waveform(y, sr=10, params=MelParams(sr=10, clip_duration=0.4))
    center = clip.clip_waveform(
        y, sr=10, params=MelParams(sr=10, clip_duration=0.4, crop="center")
    )
    assert start.tolist() == [0, 1, 2, 3]
    assert center.tolist() == [3, 4, 5, 6]  # (10 - 4) // 2 = 3


def test_random_crop_follows_the_documented_derivation() -> None:
    y = np.arange(1000, dtype=np.float32)
    params = MelParams(sr=100, clip_duration=1.0, crop="random", seed=7)
    for key in ["a.wav", "dogs/bark1.wav", "é/x.flac"]:
        digest = hashlib.sha256(f"7:{key}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        first = int(rng.integers(0, 1000 - 100 + 1))
        out = clip.clip_waveform(y, sr=100, params=params, key=key)
        assert out.tolist() == list(range(first, first + 100))


def test_random_crops_differ_between_files_and_seeds() -> None:
    starts = {
        clip.crop_start(10**6, 10, crop="random", seed=seed, key=key)
        for seed, key in itertools.product(range(5), ["a.wav", "b.wav", "c/d.wav"])
    }
    assert len(starts) == 15
    assert clip.crop_start(10**6, 10, crop="random", seed=1, key="a") == (
        clip.crop_start(10**6, 10, crop="random", seed=1, key="a")
    )


def test_whisper_pad_or_trim_to_30_s(write_audio: WriteAudio) -> None:
    """--clip-duration 30 is Whisper's pad_or_trim: zeros at the end, or the start."""
    params = MelParams(sr=16000, n_fft=400, hop_length=160, n_mels=80, fmax=8000.0)
    clipped = params.replace(clip_duration=30.0)
    n = 30 * 16000
    for seconds in (7.0, 31.5):
        y = noise(sr=16000, seconds=seconds, seed=int(seconds))
        path = write_audio(f"{seconds}.wav", y, sr=16000, subtype="FLOAT")
        by_hand = np.pad(y, (0, max(0, n - len(y))))[:n]
        want = melcli.mel_spectrogram(by_hand, sr=16000, params=params)
        got = melcli.mel_spectrogram(path, params=clipped)
        assert got.shape == want.shape == (80, 3001)
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------- long (streamed) files
@pytest.fixture
def small_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat everything over 1 s as long, and decode in odd-sized blocks."""
    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    monkeypatch.setattr(stream, "DECODE_BLOCK", 7919)


@pytest.mark.parametrize(
    "changes",
    [
        {"crop": "start"},
        {"crop": "center", "mono": False},
        {"crop": "random", "seed": 3},
        {"crop": "center", "sr": None},
        {"crop": "random", "offset": 0.7, "duration": 4.0},
        {"clip_duration": 9.0, "pad": "reflect"},  # longer than the file
    ],
    ids=repr,
)
def test_long_files_clip_like_short_ones(
    changes: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sr = 44100
    y = tone(330.0, sr=sr, seconds=6.0, channels=2)
    y[:, 1] += noise(sr=sr, seconds=6.0, seed=5) * 0.2
    path = tmp_path / "long.wav"
    sf.write(path, y, sr, subtype="PCM_24")
    params = MelParams(clip_duration=1.5, n_mels=32).replace(**changes).validate()
    key = "long.wav"

    whole = load(path, params)  # decoded whole, then clipped by hand
    want = clip.clip_waveform(whole.y, sr=whole.sr, params=params, key=key)

    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    monkeypatch.setattr(stream, "DECODE_BLOCK", 7919)
    blocks = []
    real = stream.resampled_blocks

    def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for item in real(*args, **kwargs):  # type: ignore[arg-type]
            blocks.append(item[0].shape[-1])
            yield item

    monkeypatch.setattr(stream, "resampled_blocks", counting)
    got = clip.load(path, params, key=key)
    assert blocks, "the long file did not take the block-by-block path"
    assert got.y.shape == want.shape
    np.testing.assert_allclose(got.y, want, rtol=0, atol=1e-5)
    if params.crop == "start" and params.clip_duration == 1.5:
        assert len(blocks) < 6 * sr / 7919 / 2  # read only about the clip

    job = Job(src=path, rel=key, npy=tmp_path / "out" / "long.npy")
    result = process_one(job, params=params)
    assert result.status is Status.WRITTEN, result.reason
    expected = tf.mel_spectrogram_db(want, sr=whole.sr, params=params)
    np.testing.assert_allclose(np.load(job.npy), expected, rtol=0, atol=1e-3)


# -------------------------------------------------------------- settings
@pytest.mark.parametrize(
    ("changes", "param", "text"),
    [
        ({"clip_duration": 0.0}, "clip_duration", "clip_duration=0.0 must be positive"),
        ({"clip_duration": 1e-9}, "clip_duration", "less than one sample"),
        ({"pad": "edge"}, "pad", "pad='edge' must be one of zeros, repeat, reflect"),
        ({"crop": "end"}, "crop", "crop='end' must be one of"),
        ({"seed": -1}, "seed", "seed=-1 must be a non-negative integer"),
    ],
)
def test_invalid_clip_settings_name_the_parameter(
    changes: dict[str, object], param: str, text: str
) -> None:
    assert_names_the_parameter(changes, param, text)


def test_clip_settings_change_the_fingerprint() -> None:
    base = MelParams()
    prints = {
        base.replace(**change).fingerprint()
        for change in (
            {"clip_duration": 1.0},
            {"clip_duration": 2.0},
            {"clip_duration": 1.0, "pad": "repeat"},
            {"clip_duration": 1.0, "crop": "center"},
            {"clip_duration": 1.0, "crop": "random", "seed": 1},
        )
    }
    assert len(prints) == 5
    assert base.fingerprint() not in prints


# -------------------------------------------------------------------- CLI
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_clips_every_file_to_one_shape(
    dataset: Path, tmp_path: Path, jobs: str
) -> None:
    out = tmp_path / "out"
    args = ["mel", str(dataset), "-o", str(out), "-j", jobs, "--n-mels", "40"]
    args += ["--clip-duration", "0.75", "--crop", "random", "--seed", "5"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    arrays = {p.relative_to(out): np.load(p) for p in sorted(out.rglob("*.npy"))}
    assert len(arrays) == 4
    assert {a.shape for a in arrays.values()} == {(40, 1 + round(0.75 * 22050) // 512)}
    # Each file alone gives its array: the draw does not depend on the batch.
    for rel, array in arrays.items():
        src = next(dataset.glob(f"{rel.with_suffix('')}.*"))
        key = src.relative_to(dataset).as_posix()
        params = MelParams(n_mels=40, clip_duration=0.75, crop="random", seed=5)
        wave = load(src, params)
        y = clip.clip_waveform(wave.y, sr=wave.sr, params=params, key=key)
        want = tf.mel_spectrogram_db(y, sr=wave.sr, params=params)
        np.testing.assert_array_equal(array, want)


def test_cli_rejects_a_bad_clip_option(dataset: Path, tmp_path: Path) -> None:
    args = ["mel", str(dataset), "-o", str(tmp_path / "o"), "--clip-duration", "-1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "--clip-duration" in result.stderr
    assert "--clip-duration -1 must be positive" in result.stderr
