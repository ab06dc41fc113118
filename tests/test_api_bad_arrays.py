"""``mel_spectrogram`` refuses a bad ``sr`` or non-real samples with ParameterError.

``sr=0`` raised ZeroDivisionError, a negative one soxr's ValueError, and an
array of strings numpy's ValueError; complex samples lost their imaginary
part with only numpy's ComplexWarning. Each is now a
:class:`melcli.ParameterError` naming the setting, as every bad setting is.
"""

from __future__ import annotations

import numpy as np
import pytest

import melcli

Y = np.full(4000, 0.1, np.float32)


@pytest.mark.parametrize("sr", [0, -16000, float("nan"), float("inf"), True, "16000"])
def test_a_bad_sr_is_a_parameter_error(sr: object) -> None:
    with pytest.raises(
        melcli.ParameterError, match=r"^sr=.* must be a positive number"
    ):
        melcli.mel_spectrogram(Y, sr=sr)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "source", [Y.astype(np.complex64), np.array(["a"] * 4000), Y.astype(object)]
)
def test_samples_that_are_not_real_numbers_are_a_parameter_error(
    source: np.ndarray,
) -> None:
    with pytest.raises(melcli.ParameterError, match="must hold real numbers"):
        melcli.mel_spectrogram(source, sr=16000)


@pytest.mark.parametrize("source", [Y, (Y * 32767).astype(np.int16), Y > 0])
def test_real_samples_of_any_such_dtype_still_work(source: np.ndarray) -> None:
    assert melcli.mel_spectrogram(source, sr=16000).shape[0] == 128
    assert melcli.mel_spectrogram(Y, sr=np.int64(16000)).shape[0] == 128
