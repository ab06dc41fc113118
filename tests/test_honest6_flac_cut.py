"""A FLAC cut so short that libsndfile decodes none of it is said as every cut
file is, ``corrupt or truncated: decoding stopped at 0.00 s of 3.00 s (...)``,
not ``cannot decode: unknown error in flac decoder``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import containers
from melcli.cli import cli

METADATA = r"the file ends inside its metadata, before any audio frame"


def flac_bytes() -> tuple[bytes, int]:
    """Three seconds of a tone as FLAC, and where its first audio frame starts."""
    t = np.arange(22050 * 3) / 22050
    buffer = io.BytesIO()
    sf.write(buffer, 0.5 * np.sin(2 * np.pi * 440 * t), 22050, format="FLAC")
    data = buffer.getvalue()
    pos, last = 4, False
    while not last:
        last = bool(data[pos] & 0x80)
        pos += 4 + int.from_bytes(data[pos + 1 : pos + 4], "big")
    return data, pos


@pytest.mark.parametrize(
    ("cut", "cause"),
    [
        (lambda audio: 43, METADATA),  # just after STREAMINFO
        (lambda audio: audio - 10, METADATA),  # inside the last metadata block
        (lambda audio: audio + 100, r"flac decoder lost sync"),  # first frame
    ],
)
def test_a_small_cut_flac_is_said_as_cut(tmp_path: Path, cut, cause: str) -> None:
    data, audio = flac_bytes()
    src = tmp_path / "cut.flac"
    src.write_bytes(data[: cut(audio)])
    expected = (
        rf"corrupt or truncated: decoding stopped at 0\.00 s of 3\.00 s \({cause}\)"
    )

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])

    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert re.fullmatch(rf"error: {re.escape(str(src))}: {expected}", line), line
    assert "unknown error" not in result.stderr

    info = CliRunner().invoke(cli, ["info", str(src)])
    if info.exit_code:  # cut before libsndfile can open it: info says the same
        assert re.fullmatch(
            rf"error: {re.escape(str(src))}: {expected}",
            info.stderr.splitlines()[0],
        ), info.stderr


@pytest.mark.parametrize("cut", [4, 5, 30, 41])
def test_a_flac_cut_inside_its_streaminfo_is_said_as_cut(
    tmp_path: Path, cut: int
) -> None:
    """Its length is not known: said without one (review6: 'unimplemented format')."""
    data, _ = flac_bytes()
    src = tmp_path / "cut.flac"
    src.write_bytes(data[:cut])

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])

    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    expected = rf"error: {re.escape(str(src))}: corrupt or truncated: {METADATA}"
    assert re.fullmatch(expected, line), line


def test_a_flac_of_endless_metadata_blocks_is_not_walked_to_its_end(
    tmp_path: Path,
) -> None:
    """Millions of empty blocks: the walk stops at a bound (review6: 5 s of CPU)."""
    data, _ = flac_bytes()
    empty = b"\x01\x00\x00\x00"  # PADDING, not last, of no bytes
    streaminfo = bytes([data[4] & 0x7F]) + data[5:42]  # no longer the last block
    made_up = data[:4] + streaminfo + empty * 2_000_000
    src = tmp_path / "blocks.flac"
    src.write_bytes(made_up)
    reads = 0
    real_open = open

    class Counting(io.FileIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            nonlocal reads
            reads += 1
            return super().read(size)

    def counting_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if mode == "rb" and str(file) == str(src):
            return Counting(file, "r")
        return real_open(file, mode, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(containers, "open", counting_open, raising=False)
        header = containers.flac_header(src)

    assert header is not None
    assert header.frames == 22050 * 3
    assert reads <= containers._MAX_BLOCKS + 1
