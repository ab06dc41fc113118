"""An ALAC CAF whose magic cookie ('kuki') is damaged says so, in a run and in info.

ALAC is not decoded without its cookie (samples a packet, bits a sample,
channels). ffmpeg refuses a damaged one in words that name nothing in the
file (``4294967295; set_info failed``, or no reason at all), or decodes
nothing of one whose channels disagree with its 'desc' chunk, which a run
said as "no audio samples" while ``melcli info`` listed the file.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import mel

from melcli import audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")

COOKIE = r"^corrupt: its ALAC magic cookie \('kuki' chunk\) "


def alac_caf(tmp_path: Path) -> tuple[bytearray, int, int]:
    """A 1-s ALAC CAF (ffmpeg's), where its 'kuki' chunk starts, and its size."""
    path = tmp_path / "whole.caf"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=1",
         "-c:a", "alac", str(path)],
        check=True,
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    assert audio.probe(path).channels == 1
    at = 8
    while data[at : at + 4] != b"kuki":
        at += 12 + struct.unpack_from(">q", data, at + 4)[0]
    return data, at, struct.unpack_from(">q", data, at + 4)[0]


def settings_at(data: bytearray, kuki: int) -> int:
    """Where the cookie's ALACSpecificConfig starts (after 'frma', 'alac' atoms)."""
    at = kuki + 12
    for atom in (b"frma", b"alac"):
        if data[at + 4 : at + 8] == atom:
            at += 12
    return at


def damaged(tmp_path: Path, name: str, change: int, value: bytes) -> Path:
    data, kuki, _ = alac_caf(tmp_path)
    at = settings_at(data, kuki) + change
    data[at : at + len(value)] = value
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def check(path: Path, match: str, tmp_path: Path) -> None:
    with pytest.raises(audio.AudioError, match=match):
        audio.probe(path)  # melcli info
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    (line,) = [s for s in result.stderr.splitlines() if path.name in s]
    assert "magic cookie ('kuki' chunk)" in line
    assert not list((tmp_path / "out").rglob("*.npy"))


@pytest.mark.parametrize(
    ("change", "value", "said"),
    [
        (0, b"\xff\xff\xff\xff", r"is damaged: it gives 4294967295 samples a packet"),
        (0, struct.pack(">I", 2048), r"is damaged: it gives 2048 samples a packet"),
        (5, b"\x11", r"is damaged: it gives 17-bit samples"),
        (9, b"\x02", r"is damaged: it gives 2 channels, its 'desc' chunk 1"),
    ],
)
def test_a_damaged_cookie_is_named(
    tmp_path: Path, change: int, value: bytes, said: str
) -> None:
    path = damaged(tmp_path, "damaged.caf", change, value)
    check(path, COOKIE + said, tmp_path)


def test_a_missing_cookie_is_named(tmp_path: Path) -> None:
    data, kuki, size = alac_caf(tmp_path)
    path = tmp_path / "none.caf"
    path.write_bytes(bytes(data[:kuki] + data[kuki + 12 + size :]))
    check(path, r"^corrupt: it has no ALAC magic cookie \('kuki' chunk\)", tmp_path)
