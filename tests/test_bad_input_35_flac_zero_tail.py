"""A FLAC whose last bytes are zeros where frames were fails in info as in a run.

A download or copy written into a file made at its full size, never
finished, ends in zeros where its frames should be. A run fails it where
libFLAC loses sync; ``melcli info``, which walks the last frames instead of
decoding, found no frame header among the zeros and listed the file as
whole. The zeros are now passed over to the frames before them, which
show the cut. A whole FLAC with zeros after it is still listed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

import melcli
from melcli import audio

SR = 22050


def flac() -> bytes:
    rng = np.random.default_rng(3)
    y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(4 * SR) / SR)
    y += 0.05 * rng.standard_normal(4 * SR)
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), SR, format="FLAC")
    return buf.getvalue()


@pytest.mark.parametrize("kept", [0.3, 0.6, 0.9])
def test_zeros_to_the_end_fail_in_info_as_in_a_run(tmp_path: Path, kept: float) -> None:
    data = flac()
    at = int(len(data) * kept)
    path = tmp_path / "zeroed.flac"
    path.write_bytes(data[:at] + bytes(len(data) - at))
    said = r"^corrupt or truncated: decoding stopped at [\d.]+ s of 4\.00 s"
    with pytest.raises(audio.AudioError, match=said) as probed:
        melcli.probe(path)
    with pytest.raises(audio.AudioError, match=said) as loaded:
        melcli.mel_spectrogram(path)
    assert str(probed.value) == str(loaded.value).splitlines()[0]
    info = invoke("info", path)
    assert info.exit_code == 1
    assert f"zeroed.flac: {probed.value}" in info.stderr
    result = mel(path, tmp_path / "out")
    assert f"zeroed.flac: {probed.value}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
