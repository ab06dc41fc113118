"""``melcli mel --png --waveform`` decodes each input once: the waveform panel is
drawn from the samples the spectrogram was computed from."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from PIL import Image

from melcli import audio
from melcli.cli import cli


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """Count the times each file is opened for decoding."""
    counts: collections.Counter[str] = collections.Counter()
    real = audio.open_audio

    @contextlib.contextmanager
    def open_audio(path, params) -> Iterator[object]:  # type: ignore[no-untyped-def]
        counts[Path(path).name] += 1
        with real(path, params) as opened:
            yield opened

    monkeypatch.setattr(audio, "open_audio", open_audio)
    return counts


@pytest.mark.parametrize("options", [[], ["--sr", "16000", "--no-mono"]])
def test_each_input_is_decoded_once(
    tmp_path: Path, opened: collections.Counter[str], options: list[str]
) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    t = np.arange(44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    sf.write(src / "a.wav", tone, 44100)
    sf.write(src / "b.flac", np.stack([tone, tone / 2], axis=1), 44100)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["mel", str(src), "-o", str(out), "--png", "--waveform", "-j", "1", *options],
    )

    assert result.exit_code == 0, result.stderr
    assert opened == {"a.wav": 1, "b.flac": 1}
    for name in ("a", "b"):
        with Image.open(out / f"{name}.png") as image:
            image.verify()


def test_samples_envelope_bounds_the_samples() -> None:
    from melcli.render import samples_envelope

    y = np.stack([np.linspace(-0.5, 0.25, 22050), np.zeros(22050)])
    envelope, seconds = samples_envelope(y, sr=22050, columns=100)
    assert envelope.shape == (2, 2, 100)
    assert seconds == pytest.approx(1.0)
    assert envelope[0, 0].min() == pytest.approx(-0.5)
    assert envelope[0, 1].max() == pytest.approx(0.25)
    assert not envelope[1].any()
