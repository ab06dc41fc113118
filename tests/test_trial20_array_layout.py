"""An array in soundfile's layout, ``(n, channels)``, is refused in words.

Seen in a newcomer's trial: the README's ``y, sr = sf.read(path)`` then
``melcli.mel_spectrogram(y, sr=sr)``, on a stereo file, gave a ``(128, 1)``
array and a warning about a signal of length 1: melcli (as librosa) takes
``(channels, n)``, and read the 66150 frames as channels of 2 samples each.
An array with more channels than samples is now refused, saying to pass
``y.T``; the README passes it.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from conftest import SAMPLE_AUDIO
from test_readme_python_api import python_api_block

import melcli
from melcli import MelParams, ParameterError

STEREO = SAMPLE_AUDIO / "tones" / "tone_440hz_stereo.wav"


def test_soundfiles_layout_is_refused_naming_the_transpose() -> None:
    y, sr = sf.read(STEREO, dtype="float32")
    assert y.shape == (66150, 2)
    with pytest.raises(ParameterError) as caught:
        melcli.mel_spectrogram(y, sr=sr)
    assert str(caught.value) == (
        "source of shape (66150, 2) holds more channels than samples: samples are "
        "(channels, n), as librosa takes them; soundfile.read gives (n, channels): "
        "pass its transpose, y.T"
    )
    with pytest.raises(ParameterError, match="more channels than samples"):
        melcli.mel_spectrogram(y, sr=sr, params=MelParams(mono=False))


@pytest.mark.parametrize("mono", [True, False])
def test_the_transpose_is_the_files_own_spectrogram(mono: bool) -> None:
    y, sr = sf.read(STEREO, dtype="float32")
    params = MelParams(mono=mono)
    from_array = melcli.mel_spectrogram(y.T, sr=sr, params=params)
    from_file = melcli.mel_spectrogram(STEREO, params=params)
    assert from_array.shape == from_file.shape == ((128, 65) if mono else (2, 128, 65))
    np.testing.assert_allclose(from_array, from_file, atol=1e-3)


@pytest.mark.filterwarnings("ignore:n_fft=2048 is too large")
@pytest.mark.parametrize("shape", [(2, 4096), (1, 4096), (2, 2)])
def test_as_many_channels_as_samples_or_fewer_are_taken(
    shape: tuple[int, int],
) -> None:
    y = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert melcli.mel_spectrogram(y, sr=22050).shape == (128, 1 + shape[1] // 512)


def test_the_readme_reads_a_stereo_file_into_an_array_as_shown() -> None:
    block = python_api_block()
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if "sf.read(path" in line)
    code = "\n".join(lines[start : start + 2])
    scope = {"sf": sf, "melcli": melcli, "MelParams": MelParams, "path": STEREO}
    exec(code, scope)  # the README's two lines, on a stereo file
    # 1.5 s at 16 kHz: 24000 samples, hop 512.
    assert scope["S_db"].shape == (64, 1 + 24000 // 512)
