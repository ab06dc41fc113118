"""Files cut inside their first bytes: said as cut from 4 bytes of a magic on.

``RIFF`` alone already failed as a cut WAV; a file holding 4 to 15 of an ASF
file's 16-byte GUID, part of a VOC, Wave64, NIST SPHERE or Psion WVE magic,
or a VOC cut inside its 26-byte header, said ``not an audio file (format
not recognised)`` or libsndfile's ``bad version number``. An RF64 cut right
after ``RF64....WAVE`` said ``No 'data' chunk marker``: a WAV cut there says
where it ends. Fewer than 4 bytes do not tell a cut file from any other few
bytes (``tests/test_bad_input_header_cuts.py``): still not called cut.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import melcli
from melcli import MelParams, audio

PARAMS = MelParams().validate()
SR = 8000
ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def _both_say(path: Path, said: str) -> None:
    with pytest.raises(audio.AudioError) as failed:
        audio.load(path, PARAMS)
    assert str(failed.value) == said
    assert melcli.info([path]).failures == [(path, said)]


def _written(tmp_path: Path, fmt: str, subtype: str) -> bytes:
    path = tmp_path / f"whole.{fmt.lower()}"
    y = (0.3 * np.sin(np.arange(SR) * 0.05)).astype(np.float32)
    sf.write(path, y, SR, format=fmt, subtype=subtype)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("fmt", "subtype", "sizes", "name"),
    [
        ("VOC", "PCM_16", [4, 10, 19, 20, 24, 26], "VOC header"),
        ("W64", "PCM_16", [4, 6, 8, 20], "Wave64 header"),
        ("NIST", "PCM_16", [4, 7], "NIST SPHERE header"),
        ("WVE", "ALAW", [4, 14], "Psion WVE header"),
    ],
)
def test_a_file_cut_inside_its_magic_or_header_is_cut(
    tmp_path: Path, fmt: str, subtype: str, sizes: list[int], name: str
) -> None:
    data = _written(tmp_path, fmt, subtype)
    for size in sizes:
        path = tmp_path / f"cut{size}.{fmt.lower()}"
        path.write_bytes(data[:size])
        _both_say(
            path, f"truncated: decoded 0.00 s, then the file ends inside its {name}"
        )


@pytest.mark.parametrize("size", [4, 8, 15])
def test_part_of_an_asf_guid_is_a_cut_wma(tmp_path: Path, size: int) -> None:
    path = tmp_path / "cut.wma"
    path.write_bytes(ASF_GUID[:size])
    _both_say(
        path,
        "truncated: decoded 0.00 s, then the file ends inside its ASF header object",
    )


def test_rf64_cut_after_its_outer_header_says_so(tmp_path: Path) -> None:
    data = _written(tmp_path, "RF64", "PCM_16")
    path = tmp_path / "cut.rf64"
    path.write_bytes(data[:12])
    _both_say(
        path,
        "truncated: decoded 0.00 s, then the file ends after its RF64 header, "
        "before its audio data",
    )


@pytest.mark.parametrize("data", [b"RI", b"fLa", b"Cre", b"0&\xb2", b"rif"])
def test_fewer_than_four_bytes_are_not_called_cut(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "few.wav"
    path.write_bytes(data)
    with pytest.raises(audio.AudioError) as failed:
        audio.load(path, PARAMS)
    assert not str(failed.value).startswith("truncated"), failed.value


@pytest.mark.parametrize(
    "data", [b"Creative Voice Fil" + b"x" * 40, b"riff" + bytes(60)]
)
def test_a_longer_file_that_only_begins_like_a_magic_is_not_called_cut(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "junk.wav"
    path.write_bytes(data)
    with pytest.raises(audio.AudioError) as failed:
        audio.load(path, PARAMS)
    assert "inside its VOC header" not in str(failed.value)
    assert "inside its Wave64 header" not in str(failed.value)
