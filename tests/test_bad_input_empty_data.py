"""A file cut before its first whole sample frame or block fails as cut.

Cut where its audio data starts, a GSM 6.10 WAV decoded one block of noise
(320 frames) from the bytes that were not there, and was written; with
``--truncated keep`` too. Other formats cut there, or inside their first
block (MS ADPCM: 256 bytes), failed as ``no audio samples (0 frames)``, as
if the header had announced none. The header's data size says how much was
to come: every such file fails as cut, ``truncated: decoded 0.00 s, then the
file ends 0 bytes into its audio data chunk of 1625 bytes``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 8000
CUT = r"^truncated: decoded 0\.00 s, then the file ends \d+ bytes into its audio data"
#: Formats and encodings whose header gives the size of the data to come.
CASES = [
    ("WAV", "PCM_16"),
    ("WAV", "GSM610"),
    ("WAV", "MS_ADPCM"),
    ("WAV", "IMA_ADPCM"),
    ("WAVEX", "PCM_16"),
    ("AIFF", "PCM_16"),
    ("AIFF", "GSM610"),
    ("AU", "PCM_16"),
    ("W64", "PCM_16"),
    ("W64", "GSM610"),
    ("RF64", "PCM_16"),
    ("SVX", "PCM_16"),
]


def cut_at_data(tmp_path: Path, fmt: str, subtype: str, extra: int = 0) -> Path:
    """A one-second file cut ``extra`` bytes after its data starts."""
    empty, whole = tmp_path / "empty", tmp_path / "whole"
    sf.write(empty, np.zeros(0, "f4"), SR, format=fmt, subtype=subtype)
    t = np.arange(SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 440 * t)).astype("f4")
    sf.write(whole, y, SR, format=fmt, subtype=subtype)
    header = len(empty.read_bytes())  # the header alone: where the data starts
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(whole.read_bytes()[: header + extra])
    return path


@pytest.mark.parametrize(("fmt", "subtype"), CASES)
@pytest.mark.parametrize("truncated", ["fail", "keep"])
def test_a_file_cut_where_its_data_starts_fails_as_cut(
    tmp_path: Path, fmt: str, subtype: str, truncated: str
) -> None:
    path = cut_at_data(tmp_path, fmt, subtype)
    params = MelParams(sr=None, truncated=truncated).validate()
    with pytest.raises(audio.AudioError, match=CUT):
        audio.load(path, params)


def test_a_file_cut_inside_its_first_block_fails_as_cut(tmp_path: Path) -> None:
    path = cut_at_data(tmp_path, "WAV", "MS_ADPCM", extra=200)  # blocks of 256
    with pytest.raises(audio.AudioError, match=CUT):
        audio.load(path, MelParams(sr=None).validate())


def test_the_command_writes_no_noise_for_a_gsm_wav_with_no_data(
    tmp_path: Path,
) -> None:
    path = cut_at_data(tmp_path, "WAV", "GSM610")
    for truncated in ("fail", "keep"):
        out = tmp_path / f"out-{truncated}"
        result = CliRunner().invoke(
            cli, ["mel", str(path), "-o", str(out), "--truncated", truncated]
        )
        assert result.exit_code == 1, result.stderr
        assert (
            "cut.wav: truncated: decoded 0.00 s, then the file ends 0 bytes into "
            "its audio data chunk of 1625 bytes"
        ) in result.stderr
        assert not (out / "cut.npy").exists()


@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_16"), ("AIFF", "PCM_16")])
def test_a_file_cut_inside_its_data_chunks_header_fails_as_cut(
    tmp_path: Path, fmt: str, subtype: str
) -> None:
    # libsndfile opens it with 0 frames, as a file that announced none.
    path = cut_at_data(tmp_path, fmt, subtype, extra=-3)
    with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0\.00 s, then "):
        audio.load(path, MelParams(sr=None).validate())


def test_a_whole_file_of_no_samples_still_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, "f4"), SR)
    with pytest.raises(audio.AudioError, match=r"^no audio samples \(0 frames\)$"):
        audio.load(path, MelParams(sr=None).validate())
