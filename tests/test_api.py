"""The Python API called as its docs call it, with the command's guarantees."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, noise, short_tones

import melcli
from melcli import fbank

pytestmark = pytest.mark.usefixtures("isolated")


# -----------------------------------------------------------------------------
# The Python API as the redteam3 trial called it.
#
# - ``melcli.run("audio/", ...)`` took the string as a sequence of sources,
#   letter by letter (``a``, ``u``, ...: each failed as missing), and a
#   ``Path`` raised ``TypeError``; ``exclude="*_noisy.wav"`` was the patterns
#   ``*``, ``_``, ``n``...: ``*`` excluded every file (``0 written, N
#   skipped``, no error); ``include="dogs/*"`` took every file, and
#   ``extensions="wav"`` none. (An absolute source, letter by letter, had the
#   run walk ``/``.) A string is now one source or pattern, and
#   ``extensions`` takes ``"wav,flac"`` as ``--ext`` does.


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for rel in ("dogs/bark.wav", "dogs/bark_noisy.wav", "cats/meow.flac"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, noise(seconds=0.3), 22050)
    return root


def _built(plan: melcli.session.DryRun, src: Path) -> list[str]:
    return sorted(p.relative_to(src).as_posix() for p, _ in plan.builds)


@pytest.mark.parametrize("as_what", [str, Path])
def test_one_source_given_alone_is_one_source(
    src: Path, tmp_path: Path, as_what: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative, with no "/": taken letter by letter, it would not be the root.
    monkeypatch.chdir(tmp_path)
    report = melcli.run(as_what("src"), "out", jobs=1)
    assert report.summary() == "3 written."


def test_one_pattern_given_as_a_string_is_one_pattern(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    plan = melcli.run([src], out, dry_run=True, exclude="*_noisy.wav")
    assert _built(plan, src) == ["cats/meow.flac", "dogs/bark.wav"]
    plan = melcli.run([src], out, dry_run=True, include="dogs/*")
    assert _built(plan, src) == ["dogs/bark.wav", "dogs/bark_noisy.wav"]


@pytest.mark.parametrize("extensions", ["wav", ".WAV", "wav,mp3"])
def test_extensions_as_a_string_are_read_as_ext_reads_them(
    src: Path, tmp_path: Path, extensions: str
) -> None:
    plan = melcli.run([src], tmp_path / "out", dry_run=True, extensions=extensions)
    assert _built(plan, src) == ["dogs/bark.wav", "dogs/bark_noisy.wav"]


# -----------------------------------------------------------------------------
# The Python API as the docs call it, with the command's guarantees.
#
# ``melcli.merge("features/")``, as the package's docstring and the docs write it.
#
# Every other function of the API takes a path as a string or a path-like;
# ``merge`` took a :class:`~pathlib.Path` only, and a string failed with
# ``AttributeError: 'str' object has no attribute 'glob'`` before looking at
# anything.


def test_merge_takes_out_as_a_string() -> None:
    short_tones(Path("audio"), n=4)
    for shard in ("0/2", "1/2"):
        ran = invoke("mel", "audio", "-o", "features", "-j", "1", "--shard", shard)
        assert ran.exit_code == 0, ran.stderr

    report = melcli.merge("features/", sources=["audio/"])

    assert report.errors == []
    assert report.exit_code == 0
    assert len(Path("features/manifest.jsonl").read_text().splitlines()) == 4


# ``melcli.mel_spectrogram`` of an array: the command fails a file whose samples
# are none, or not finite, or whose spectrogram overflows float32; the function
# returned librosa's answer instead: a (128, 1) array for an empty signal, one
# of NaN for a signal holding one, and read a (2, 2, n) array as channels.
@pytest.mark.parametrize(
    ("y", "words"),
    [
        (np.zeros(0, np.float32), r"source of shape \(0,\) must hold samples"),
        (np.zeros((2, 0), np.float32), r"source of shape \(2, 0\)"),
        (np.ones((2, 2, 4000), np.float32), r"source of shape \(2, 2, 4000\)"),
        (np.array([0.1, np.nan] * 2000, np.float32), "not finite numbers"),
        (np.array([0.1, np.inf] * 2000, np.float32), "not finite numbers"),
    ],
    ids=["empty", "empty-stereo", "three-axes", "nan", "inf"],
)
def test_mel_spectrogram_refuses_samples_the_command_would_fail(
    y: np.ndarray, words: str
) -> None:
    with pytest.raises(melcli.ParameterError, match=words):
        melcli.mel_spectrogram(y, sr=22050)


def test_mel_spectrogram_of_an_array_too_loud_fails_in_the_commands_words() -> None:
    y = np.full(22050, 3e38, np.float32)  # finite, but its power is not
    with pytest.raises(melcli.MelcliError, match=r"too large.*overflows"):
        melcli.mel_spectrogram(y, sr=22050)
    ok = np.sin(np.arange(22050, dtype=np.float32) / 5)
    assert np.isfinite(melcli.mel_spectrogram(ok, sr=22050)).all()


# -----------------------------------------------------------------------------
# ``melcli.mel_spectrogram`` with a preset's own settings is as quiet as the
# command: AST's empty Kaldi filter is the model's own (docs/presets.md), not a
# warning a user could act on. The same filters chosen by hand still warn.


def test_the_ast_preset_does_not_warn() -> None:
    fbank._filters.cache_clear()  # as in a fresh process
    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S = melcli.mel_spectrogram(y, sr=16000, params=melcli.preset_params("ast"))
    assert S.shape == (128, 1024)


def test_the_same_filters_by_hand_warn() -> None:
    fbank._filters.cache_clear()
    by_hand = dataclasses.replace(melcli.preset_params("ast"), num_frames=512)
    y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    with pytest.warns(UserWarning, match="1 of 128 Kaldi mel filters holds no FFT"):
        melcli.mel_spectrogram(y, sr=16000, params=by_hand)
