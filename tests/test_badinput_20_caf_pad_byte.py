"""A CAF whose audio data has an odd size ends in libsndfile's pad byte: whole.

libsndfile ends such a CAF (mono 8-bit, µ-law, A-law or 24-bit audio of an odd
number of frames; ALAC, whose packets have any size) with one zero byte after
its data chunk. melcli read that byte as a chunk header cut short, and failed
every such file, in a run and in ``melcli info``: ``truncated: decoded 0.60 s,
then the file ends inside a chunk header, after its audio data``. One byte more
than a zero pad, or the pad plus part of a header, is still a cut (bytes
that cannot begin a chunk's name, zeros or junk, are not: 25-redin).
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
SUBTYPES = ["PCM_S8", "PCM_24", "ULAW", "ALAW", "ALAC_16", "ALAC_24"]


def written(tmp_path: Path, subtype: str, frames: int = 4807) -> tuple[Path, int]:
    """A mono CAF of ``frames`` frames that libsndfile wrote, and its data's end."""
    path = tmp_path / f"{subtype}.caf"
    y = 0.5 * np.sin(np.arange(frames) / 7.0)
    sf.write(path, y, 8000, format="CAF", subtype=subtype)
    data, pos = path.read_bytes(), 8
    while data[pos : pos + 4] != b"data":
        pos += 12 + int.from_bytes(data[pos + 4 : pos + 12], "big", signed=True)
    return path, pos + 12 + int.from_bytes(data[pos + 4 : pos + 12], "big")


@pytest.mark.parametrize("subtype", SUBTYPES)
def test_whole_caf_with_a_pad_byte_is_read(tmp_path: Path, subtype: str) -> None:
    path, end = written(tmp_path, subtype)
    data = path.read_bytes()
    if len(data) != end + 1:
        pytest.skip("this libsndfile wrote no pad byte")
    assert data[end:] == b"\0"
    assert audio.probe(path).frames == 4807
    assert audio.load(path, PARAMS).y.shape == (4807,)
    result = CliRunner().invoke(cli, ["info", "--json", str(path)])
    assert result.exit_code == 0, result.stderr
    assert '"frames": 4807' in result.stdout
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(path), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert (out / f"{subtype}.npy").is_file()


@pytest.mark.parametrize("tail", [b"f", b"\0free", b"\0fre"])
def test_more_than_a_zero_pad_byte_is_still_a_cut(tmp_path: Path, tail: bytes) -> None:
    path, end = written(tmp_path, "PCM_S8")
    path.write_bytes(path.read_bytes()[:end] + tail)
    expected = "then the file ends inside a chunk header, after its audio data"
    for read in (audio.probe, lambda p: audio.load(p, PARAMS)):
        with pytest.raises(audio.AudioError, match=expected):
            read(path)


def test_an_even_data_chunk_followed_by_a_partial_name_is_a_cut(tmp_path: Path) -> None:
    path, end = written(tmp_path, "PCM_S8", frames=4808)
    path.write_bytes(path.read_bytes()[:end] + b"fr")
    with pytest.raises(audio.AudioError, match="inside a chunk header"):
        audio.probe(path)
