"""``melcli info`` fails a file cut before its audio, as ``melcli mel`` does.

An Ogg Vorbis stream cut on a page boundary inside its headers opens in
libsndfile with 0 frames: ``info`` showed ``0 frames, 0.000 s`` and exited 0,
while ``mel`` failed it as cut. Both now share one check of a file that opens
with no frames (the same holds for a W64, RF64, IFF... cut inside its data
chunk's header).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 22050
PARAMS = MelParams(sr=None).validate()


def page_ends(data: bytes) -> list[int]:
    """Where each Ogg page of ``data`` ends."""
    ends, at = [], 0
    while data[at : at + 4] == b"OggS":
        n = data[at + 26]
        at += 27 + n + sum(data[at + 27 : at + 27 + n])
        ends.append(at)
    return ends


@pytest.fixture
def vorbis(tmp_path: Path) -> Path:
    path = tmp_path / "whole.ogg"
    rng = np.random.default_rng(1)
    y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * SR) / SR)
    sf.write(path, y + 0.01 * rng.standard_normal(len(y)), SR, format="OGG")
    return path


def test_vorbis_cut_on_any_page_boundary_before_its_audio_fails_in_info(
    vorbis: Path, tmp_path: Path
) -> None:
    data = vorbis.read_bytes()
    # Header pages have granule position 0; the first audio page does not.
    header_ends = [
        end
        for start, end in zip([0, *page_ends(data)], page_ends(data), strict=False)
        if struct.unpack_from("<q", data, start + 6)[0] == 0
    ]
    assert header_ends, "no header page found"
    cuts = []
    for end in header_ends:
        cut = tmp_path / f"cut{end}.ogg"
        cut.write_bytes(data[:end])
        cuts.append(cut)
        with pytest.raises(audio.AudioError, match=r"^truncated: "):
            audio.probe(cut)
        with pytest.raises(audio.AudioError, match=r"^truncated: "):
            audio.load(cut, PARAMS)
    result = CliRunner().invoke(cli, ["info", "--json", *map(str, cuts), str(vorbis)])
    assert result.exit_code == 1
    assert result.stdout.count("\n") == 1, result.stdout  # the whole file only
    assert result.stderr.count("truncated: ") == len(cuts), result.stderr


def test_a_w64_cut_inside_its_data_chunk_header_fails_in_info(tmp_path: Path) -> None:
    path = tmp_path / "a.w64"
    sf.write(path, np.full(SR, 0.1, np.float32), SR, format="W64", subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"data") + 10])
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: truncated: decoded 0.00 s, then the file ends inside "
        "a chunk header, before its audio data\n"
    )
