"""A CAF written to a pipe, cut inside a sample frame, fails as cut in info and runs.

Such a CAF's data runs to the end of the file (size -1): it holds no length,
and one cut between two sample frames cannot be told from a whole, shorter
one. But one cut inside a sample frame was: ffmpeg stops there ("Invalid
PCM packet"), and a run failed it as ``corrupt or truncated: … (ffmpeg:
Invalid PCM packet, data has size 2 …)`` while ``melcli info`` listed it,
and one cut inside its data chunk's header was ``no audio samples`` to a
run and a row of one sample frame to ``info``. Its ``desc`` gives the
bytes of a frame: both now say ``truncated: … the file ends inside a
sample frame``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_bad_input_formats import caf

import melcli

pytestmark = [
    pytest.mark.usefixtures("isolated"),
    pytest.mark.skipif(
        shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
        reason="ffmpeg is not installed (make tools installs it)",
    ),
]


@pytest.mark.parametrize(("codec", "frame"), [("pcm_s16be", 2), ("pcm_s24le", 3)])
def test_a_piped_caf_cut_inside_a_sample_frame_fails(
    tmp_path: Path, codec: str, frame: int
) -> None:
    whole = tmp_path / "whole.caf"
    caf(whole, codec, piped=True)
    data = whole.read_bytes()
    audio = data.index(b"data") + 4 + 8 + 4  # its size, its edit count
    assert (len(data) - audio) % frame == 0
    middle = audio + (len(data) - audio) // 2 // frame * frame  # between frames
    inside = tmp_path / "inside"
    inside.mkdir()
    for size in (audio - 2, audio + 1, middle + 1):  # a header, a frame, a frame
        (inside / f"cut{size:07}.caf").write_bytes(data[:size])
    between = tmp_path / "between.caf"
    between.write_bytes(data[:middle])

    inventory = melcli.info(inside)
    report = melcli.run(inside, tmp_path / "out", jobs=1)
    assert inventory.rows == []
    assert len(inventory.failures) == len(report.failures) == 3
    for _, said in inventory.failures:
        assert said.startswith("truncated: "), said
    for failure in report.failures:
        assert failure.reason.startswith("truncated: decoded "), failure.reason
    assert "inside a sample frame" in report.failures[-1].reason
    assert melcli.info(between).failures == []
    assert melcli.run(between, tmp_path / "out2", jobs=1).failures == []
