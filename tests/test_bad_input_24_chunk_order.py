"""A WAV or AIFF whose chunks are whole but out of order says which.

libsndfile said ``No 'data' chunk marker`` of a WAV with a data chunk: one
whose ``fmt `` chunk comes twice, after its audio, or not at all; ``SF_INFO
struct incomplete`` of one with two data chunks; ``channel count is zero`` of
an AIFF without ``COMM``. Now the line names the chunks.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import mel, tone

from melcli import audio

SR = 16000
PCM = (tone(seconds=0.5, sr=SR) * 32767).astype("<i2").tobytes()
FMT = struct.pack("<HHIIHH", 1, 1, SR, SR * 2, 2, 16)
FMT24 = struct.pack("<HHIIHH", 1, 1, SR, SR * 3, 3, 24)
#: An AIFF's COMM: 1 channel, its frames, 16 bits, 16 kHz as an 80-bit float.
COMM = struct.pack(">hIh", 1, len(PCM) // 2, 16) + bytes.fromhex("400cfa00000000000000")
SSND = struct.pack(">II", 0, 0) + PCM


def chunk(name: bytes, data: bytes, order: str = "<") -> bytes:
    pad = b"\0" * (len(data) & 1)
    return name + struct.pack(order + "I", len(data)) + data + pad


def wav(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WAVE" + b"".join(chunk(n, d) for n, d in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def aiff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"AIFF" + b"".join(chunk(n, d, ">") for n, d in chunks)
    return b"FORM" + struct.pack(">I", len(body)) + body


HALF = len(PCM) // 2
CASES = {
    "twice.wav": (
        wav((b"fmt ", FMT), (b"fmt ", FMT24), (b"data", PCM)),
        "invalid header: its 'fmt ' chunk comes twice",
    ),
    "three.wav": (
        wav((b"fmt ", FMT), (b"fmt ", FMT), (b"fmt ", FMT), (b"data", PCM)),
        "invalid header: its 'fmt ' chunk comes 3 times",
    ),
    "after.wav": (
        wav((b"data", PCM), (b"fmt ", FMT)),
        "invalid header: its 'fmt ' chunk comes after its audio data",
    ),
    "none.wav": (wav((b"data", PCM)), "invalid header: it has no 'fmt ' chunk"),
    "split.wav": (
        wav((b"fmt ", FMT), (b"data", PCM[:HALF]), (b"data", PCM[HALF:])),
        "invalid header: its audio is in 2 'data' chunks, not one",
    ),
    "split_ssnd.aiff": (
        aiff((b"COMM", COMM), (b"SSND", SSND), (b"SSND", SSND)),
        "invalid header: its audio is in 2 'SSND' chunks, not one",
    ),
    "no_comm.aiff": (aiff((b"SSND", SSND)), "invalid header: it has no 'COMM' chunk"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_chunks_are_named(tmp_path: Path, name: str) -> None:
    data, said = CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(audio.AudioError) as caught:
        audio.probe(path)
    assert str(caught.value) == said


def test_the_run_says_one_line_each_and_writes_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, (data, _) in CASES.items():
        (src / name).write_bytes(data)
    (src / "good.wav").write_bytes(wav((b"fmt ", FMT), (b"data", PCM)))
    (src / "good2.aiff").write_bytes(aiff((b"COMM", COMM), (b"SSND", SSND)))
    # Cut inside a chunk: said as cut, not as out of order.
    (src / "cut.wav").write_bytes(wav((b"data", PCM), (b"fmt ", FMT))[:-4])
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    for name, (_, said) in CASES.items():
        mine = [line for line in lines if f"/{name}:" in line]
        assert len(mine) == 1, result.stderr
        assert mine[0].endswith(said), mine
    cut = [line for line in lines if "/cut.wav:" in line]
    assert len(cut) == 1, result.stderr
    assert "invalid header" not in cut[0]
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.npy"))
    assert written == ["good.npy", "good2.npy"]
