"""A WavPack cut inside the APEv2 tag after its blocks fails as cut, in mel and info.

ffmpeg writes an APEv2 tag after a WavPack's blocks; a file cut inside it
(its last hundred bytes) is one ffmpeg refuses whole ("Invalid block
header"): a run said ``corrupt or truncated: decoding stopped at 0.00 s``,
and ``melcli info`` listed it as whole. The walk of its blocks reads the
tag's size: the file ends inside the tag, after its audio data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ffmpeg_tone

import melcli
from melcli.report import Status

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed",
)
SAID = "truncated: the file ends inside its APEv2 tag, after its audio data"


@pytest.fixture(scope="module")
def wavpack(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("wv")
    data = ffmpeg_tone(folder / "a.wv", "-c:a", "wavpack")
    assert b"APETAGEX" in data[-200:]
    return data


@pytest.mark.parametrize("short", [1, 10, 40])
def test_cut_inside_the_tag_fails_in_mel_and_info(
    wavpack: bytes, tmp_path: Path, short: int
) -> None:
    tag = wavpack.rfind(b"APETAGEX", 0, len(wavpack) - 32 + 1)
    assert len(wavpack) - short > tag
    path = tmp_path / "cut.wv"
    path.write_bytes(wavpack[:-short])
    report = melcli.run([path], tmp_path / "out", jobs=1)
    (result,) = report.results
    assert result.status is Status.FAILED
    assert result.reason.startswith(SAID), result.reason
    assert melcli.info([path]).failures == [(path, SAID)]


def test_the_whole_file_is_a_row(wavpack: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.wv"
    path.write_bytes(wavpack)
    assert melcli.info([path]).failures == []
