"""An Opus file whose pre-skip is longer than its stream fails saying so.

libsndfile counts no frames in such a file and refuses it as "SF_INFO struct
incomplete", which melcli said as ``invalid header: sample rate or channel
count is zero``: a cause the file does not have (its rate and channels are
fine). A run and ``melcli info`` now name the pre-skip.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")


def ogg_crc(data: bytes) -> int:
    """The CRC-32 of an Ogg page (polynomial 0x04C11DB7, no reflection)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & (
                0xFFFFFFFF
            )
    return crc


def opus(tmp_path: Path, preskip: int | None) -> tuple[Path, int]:
    """A 1-s Opus file with its pre-skip set; and its last granule position."""
    path = tmp_path / f"preskip{preskip}.opus"
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=1"]
    subprocess.run([*cmd, "-c:a", "libopus", str(path)], check=True)
    data = bytearray(path.read_bytes())
    last = data.rfind(b"OggS")
    (granule,) = struct.unpack_from("<q", data, last + 6)
    if preskip is not None:
        size = 27 + data[26] + sum(data[27 : 27 + data[26]])
        head = 27 + data[26]
        assert data[head : head + 8] == b"OpusHead"
        struct.pack_into("<H", data, head + 10, preskip)
        struct.pack_into("<I", data, 22, 0)
        struct.pack_into("<I", data, 22, ogg_crc(bytes(data[:size])))
        path.write_bytes(bytes(data))
    return path, granule


@pytest.mark.parametrize("over", [1, 10000])
def test_preskip_past_the_end(tmp_path: Path, over: int) -> None:
    _, granule = opus(tmp_path, None)
    preskip = granule + over
    if preskip > 0xFFFF:
        pytest.skip("a pre-skip holds 16 bits")
    path, _ = opus(tmp_path, preskip)
    expected = (
        f"invalid header: its Opus pre-skip of {preskip} samples (at 48 kHz) is "
        f"not shorter than its whole stream, {granule} samples: no audio is left"
    )
    for read in (audio.probe, lambda p: audio.load(p, MelParams().validate())):
        with pytest.raises(audio.AudioError, match=r"^invalid header: its Opus"):
            read(path)
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert result.exit_code == 1
    assert expected in result.stderr
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(path), "-o", str(out), "-j", "1"])
    assert result.exit_code == 1
    assert expected in result.stderr
    assert not list(out.glob("*.npy"))


def test_a_preskip_as_long_as_the_stream_leaves_no_samples(tmp_path: Path) -> None:
    _, granule = opus(tmp_path, None)
    path, _ = opus(tmp_path, granule)
    with pytest.raises(audio.AudioError, match=r"^no audio samples \(0 frames\)$"):
        audio.probe(path)


def test_a_shorter_preskip_is_read(tmp_path: Path) -> None:
    path, granule = opus(tmp_path, 0)
    assert audio.probe(path).frames == granule
    assert audio.load(path, MelParams(sr=None).validate()).y.size == granule
