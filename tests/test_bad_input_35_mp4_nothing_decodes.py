"""An MP4 of which nothing decodes says so, not "decoded 0.00 s".

An MP4 cut inside its index (``moov``, at its end as ffmpeg writes it by
default, or at its start), or a fragmented one cut in its first fragment,
has no audio ffmpeg finds or decodes: it failed as ``truncated: decoded 0.00
s, then the file ends inside its 'moov' box``, a length where none is. One
cut inside its index before any audio was already said so (``…, before its
index ('moov'): no audio decodes``); now every such cut is. A fragmented MP4
cut inside the header of its first fragment's box was listed by ``melcli
info`` with 0 frames while a run failed it as ``no audio samples``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, mel

import melcli
from melcli import audio

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed",
)


def encode(path: Path, *options: str) -> bytes:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=2", "-c:a", "aac", *options, str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def box(data: bytes, kind: bytes) -> tuple[int, int]:
    """Where the first top-level box ``kind`` starts, and its size."""
    at = 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        if data[at + 4 : at + 8] == kind:
            return at, size
        at += size
    raise AssertionError(kind)


def said_by_all(path: Path, tmp_path: Path) -> list[str]:
    """What probe, mel_spectrogram, ``melcli info`` and ``melcli mel`` say."""
    said = []
    for call in (melcli.probe, melcli.mel_spectrogram):
        with pytest.raises(audio.AudioError) as caught:
            call(path)
        said.append(str(caught.value).splitlines()[0])
    said.append(invoke("info", path).stderr)
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert "0 written, 1 failed" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
    return [*said, result.stderr]


@pytest.mark.parametrize("faststart", [False, True])
@pytest.mark.parametrize("into", [12, 0.25, 0.5])
def test_cut_inside_its_index(tmp_path: Path, faststart: bool, into: float) -> None:
    options = ("-movflags", "+faststart") if faststart else ()
    data = encode(tmp_path / "whole.m4a", *options)
    at, size = box(data, b"moov")
    end = at + (int(size * into) if into < 1 else int(into))
    path = tmp_path / "cut.m4a"
    path.write_bytes(data[:end])
    for said in said_by_all(path, tmp_path):
        assert "truncated: the file ends inside its 'moov' box" in said, said
        assert "0.00 s" not in said, said
    assert "box: no audio decodes" in said


@pytest.mark.parametrize("into", [4, 9, 100])
def test_fragmented_cut_in_its_first_fragment(tmp_path: Path, into: int) -> None:
    data = encode(tmp_path / "whole.m4a", "-movflags", "frag_keyframe+empty_moov")
    at, _ = box(data, b"moof")
    path = tmp_path / "cut.m4a"
    path.write_bytes(data[: at + into])
    for said in said_by_all(path, tmp_path):
        assert "truncated: the file ends inside " in said, said
        assert "0.00 s" not in said, said
        assert "0 frames" not in said, said
