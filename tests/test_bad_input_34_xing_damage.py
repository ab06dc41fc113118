"""An MP3 whose Xing/Info header is damaged is said damaged, not cut.

Its frame count is a claim: melcli took any count above the frames walked
for a cut file ("truncated: the file holds 116 of the 65535 MPEG frames its
header lists") though every frame was there. The header tells on itself: a
LAME tag's CRC-16 covers the frame up to it, and the header's byte count is
the stream's size when nothing is missing. A file cut between two frames,
whose header is whole, is still said cut.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from conftest import ffmpeg_tone, mel

from melcli import audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")

DAMAGED = r"^corrupt: its Xing/Info header is damaged \({why}\): it lists {count} "


def xing_mp3(tmp_path: Path, *options: str) -> tuple[bytearray, int]:
    """A 3-s VBR MP3 with a Xing header, and where its frame count is."""
    data = bytearray(
        ffmpeg_tone(tmp_path / "src.mp3", "-c:a", "libmp3lame", "-q:a", "4", *options)
    )
    at = data.find(b"Xing")
    assert at > 0
    assert struct.unpack_from(">I", data, at + 4)[0] & 1
    return data, at + 8


def with_count(data: bytearray, count_at: int, count: int) -> bytes:
    damaged = bytearray(data)
    struct.pack_into(">I", damaged, count_at, count)
    return bytes(damaged)


def first_frame(data: bytes) -> int:
    """Where the stream starts, after its ID3v2 tag."""
    if data[:3] != b"ID3":
        return 0
    return 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])


#: MPEG-2 layer III bitrates (kb/s) by index: ffmpeg's tone is at 22050 Hz.
KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


def frame_starts(data: bytes) -> list[int]:
    """Where each frame of an MPEG-2 layer III stream at 22050 Hz starts."""
    starts, pos = [], first_frame(data)
    while pos + 4 <= len(data) and data[pos : pos + 2] == b"\xff\xf3":
        starts.append(pos)
        pos += 72 * KBPS[data[pos + 2] >> 4] * 1000 // 22050 + (data[pos + 2] >> 1 & 1)
    assert pos == len(data)
    return starts


def lame_tag_with_crc(data: bytearray) -> None:
    """Make the Xing frame's tag a LAME tag with its CRC (ffmpeg's is 'Lavc')."""
    pos = first_frame(data)
    lame = data.find(b"Lavc")
    data[lame : lame + 4] = b"LAME"
    crc = 0
    for byte in data[pos : lame + 34]:
        crc ^= byte
        for _ in range(8):
            crc = crc >> 1 ^ 0xA001 if crc & 1 else crc >> 1
    data[lame + 34 : lame + 36] = crc.to_bytes(2, "big")


def check_fails(path: Path, match: str, tmp_path: Path, run_says: str) -> None:
    with pytest.raises(audio.AudioError, match=match):
        audio.probe(path)
    out = tmp_path / "out"
    result = mel(path, out)
    assert result.exit_code == 1
    assert f"{path.name}: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # its line, the summary
    assert not list(out.rglob("*.npy"))
    line = next(s for s in result.stderr.splitlines() if path.name in s)
    assert line.split(f"{path.name}: ", 1)[1].startswith(run_says)


def test_a_count_beyond_a_whole_stream_with_its_size_is_damage(tmp_path: Path) -> None:
    data, count_at = xing_mp3(tmp_path, "-id3v2_version", "0")
    path = tmp_path / "count.mp3"
    path.write_bytes(with_count(data, count_at, 65535))
    why = r"its byte count, \d+, is the stream's"
    check_fails(path, DAMAGED.format(why=why, count=65535), tmp_path, "corrupt: its")


def test_a_count_its_lame_crc_refutes_is_damage(tmp_path: Path) -> None:
    data, count_at = xing_mp3(tmp_path)
    lame_tag_with_crc(data)
    # Its byte count damaged too: only the checksum tells.
    struct.pack_into(">I", data, count_at + 4, 7)
    path = tmp_path / "crc.mp3"
    path.write_bytes(with_count(data, count_at, 999))
    why = "its LAME tag's checksum fails"
    check_fails(path, DAMAGED.format(why=why, count=999), tmp_path, "corrupt: its")


def test_a_whole_header_on_a_cut_stream_is_still_a_cut(tmp_path: Path) -> None:
    data, count_at = xing_mp3(tmp_path)
    lame_tag_with_crc(data)
    whole = tmp_path / "whole.mp3"
    whole.write_bytes(data)
    assert audio.probe(whole).duration > 2.9
    starts = frame_starts(bytes(data))
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(bytes(data[: starts[len(starts) * 6 // 10]]))
    match = r"^truncated: the file holds \d+ of the \d+ MPEG"
    check_fails(cut, match, tmp_path / "a", "truncated: decoded 1.")
    # The same cut with the count damaged: the checksum says which it is.
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(
        with_count(data, count_at, 999)[: starts[len(starts) * 6 // 10]]
    )
    why = "its LAME tag's checksum fails"
    check_fails(damaged, DAMAGED.format(why=why, count=999), tmp_path / "b", "corrupt")
