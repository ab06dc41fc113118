"""Files libsndfile cannot seek in are read front to back, ``--offset`` too.

GSM 6.10, G.721 and G.723 ADPCM are streams to libsndfile (not seekable):
with ``--offset`` melcli seeked in them anyway, and every such file failed,
``cannot decode: seek attempted on unseekable file type``.

libsndfile's DWVW decoder calls its files seekable, and then fails every
seek but one to the start. soundfile seeks after each read, so every DWVW
file, whole or cut, failed at its first read: ``corrupt or truncated:
decoding stopped at 0.00 s of 0.60 s (internal psf_fseek() failed)``, while
``melcli info`` listed a whole one and said a cut one's cut in other words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

PARAMS = MelParams(sr=None).validate()


def dwvw(tmp_path: Path, subtype: str) -> tuple[Path, np.ndarray]:
    """A DWVW AIFF, and the samples it holds as libsndfile writes them."""
    path = tmp_path / f"{subtype}.aiff"
    y = 0.5 * np.sin(np.arange(4807) / 7.0)
    sf.write(path, y, 8000, format="AIFF", subtype=subtype)
    return path, y


@pytest.mark.parametrize("subtype", ["DWVW_16", "DWVW_24"])
def test_whole_dwvw_decodes(tmp_path: Path, subtype: str) -> None:
    path, y = dwvw(tmp_path, subtype)
    got = audio.load(path, PARAMS).y
    assert got.shape == (4807,)
    assert np.abs(got - y).max() < 1e-3
    later = audio.load(path, MelParams(sr=None, offset=0.1).validate()).y
    np.testing.assert_array_equal(later, got[800:])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(path), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert np.load(out / f"{subtype}.npy").shape[0] == 128


@pytest.mark.parametrize("subtype", ["DWVW_16", "DWVW_24"])
def test_cut_dwvw_fails_as_info_says(tmp_path: Path, subtype: str) -> None:
    path, _ = dwvw(tmp_path, subtype)
    data = path.read_bytes()
    for size in (len(data) // 2, len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(audio.AudioError) as said:
            audio.probe(path)
        with pytest.raises(audio.AudioError) as run:
            audio.load(path, PARAMS)
        assert str(run.value) == str(said.value)
        assert str(run.value).startswith("truncated: decoded ")


@pytest.mark.parametrize(
    ("fmt", "subtype"),
    [("WAV", "GSM610"), ("W64", "GSM610"), ("WAV", "G721_32"), ("AU", "G723_24")],
)
def test_offset_into_a_stream(tmp_path: Path, fmt: str, subtype: str) -> None:
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(
        path, 0.5 * np.sin(np.arange(8000) / 7.0), 8000, format=fmt, subtype=subtype
    )
    with sf.SoundFile(path) as f:
        assert not f.seekable()
    whole = audio.load(path, PARAMS).y
    later = audio.load(path, MelParams(sr=None, offset=0.25).validate()).y
    np.testing.assert_array_equal(later, whole[2000:])
    part = MelParams(sr=None, offset=0.25, duration=0.5).validate()
    np.testing.assert_array_equal(audio.load(path, part).y, whole[2000:6000])
    out = tmp_path / "out"
    args = ["mel", str(path), "-o", str(out), "-j", "1", "--offset", "0.25"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
