"""A CAF cut on a chunk's end, or inside its data chunk's header, fails as cut.

The CAF specification requires a data chunk. A CAF cut exactly where a chunk
before its audio ends (after ``desc``, ``chan``, ``info``) holds only whole
chunks and no audio: libsndfile calls it "malformed", and melcli said
``cannot decode: supported file format but file is malformed``. One cut
inside its data chunk's size field made libsndfile say "SF_INFO struct
incomplete", which melcli said as ``invalid header``. Both are cut files.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

PARAMS = MelParams(sr=None).validate()


def chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """Each chunk of a CAF: its name, where it starts and where it ends."""
    found, pos = [], 8
    while pos + 12 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 12], "big", signed=True)
        found.append((data[pos : pos + 4], pos, pos + 12 + size))
        if data[pos : pos + 4] == b"data":
            break
        pos += 12 + size
    return found


def caf(tmp_path: Path, codec: str) -> bytes:
    path = tmp_path / f"{codec}.caf"
    if codec == "lpcm":
        y = np.sin(np.arange(8000) / 8).astype(np.float32) / 2
        sf.write(path, y, 8000, format="CAF")
    else:
        if shutil.which("ffmpeg") is None:
            pytest.skip("ffmpeg is not installed")
        ffmpeg = ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i"]
        alac = ["sine=d=1", "-c:a", "alac", "-metadata", "title=x", str(path)]
        subprocess.run([*ffmpeg, *alac], check=True)
    return path.read_bytes()


@pytest.mark.parametrize("codec", ["lpcm", "alac"])
def test_cut_on_the_end_of_each_chunk_before_the_audio(
    tmp_path: Path, codec: str
) -> None:
    data = caf(tmp_path, codec)
    before = [(name, end) for name, _, end in chunks(data) if name != b"data"]
    assert before
    path = tmp_path / "cut.caf"
    for name, end in before:
        path.write_bytes(data[:end])
        expected = (
            f"truncated: decoded 0.00 s, then the file ends after its "
            f"'{name.decode()}' chunk, before its audio data"
        )
        for read in (audio.load, audio.probe):
            with pytest.raises(audio.AudioError) as caught:
                read(path, PARAMS) if read is audio.load else read(path)
            assert str(caught.value) == expected


def test_cut_inside_the_data_chunk_header(tmp_path: Path) -> None:
    data = caf(tmp_path, "lpcm")
    (_, start, _) = next(c for c in chunks(data) if c[0] == b"data")
    path = tmp_path / "cut.caf"
    for size in range(start + 1, start + 12):
        path.write_bytes(data[:size])
        with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0.00 s, "):
            audio.load(path, PARAMS)


def test_the_batch_says_it_and_goes_on(tmp_path: Path) -> None:
    data = caf(tmp_path, "lpcm")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.caf").write_bytes(data)
    (src / "b.caf").write_bytes(data[: chunks(data)[0][2]])
    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "1 written, 1 failed" in result.stderr
    assert "b.caf: truncated: decoded 0.00 s, then the file ends after its 'desc'" in (
        result.stderr
    )
