"""An MP4 cut before its index (the 'moov' box at its end) is said cut, and where.

ffmpeg writes the index after the audio unless asked (``+faststart``): cut
anywhere before it, nothing decodes and ffprobe says "moov atom not found",
which melcli passed on as "corrupt or truncated: ffprobe cannot read it".
It is said without a length decoded ("decoded 0.00 s" read oddly where
no stream is found).
The file's top-level boxes say it was cut, and inside which; a file cut
inside a box's header, before any index, is cut too. A whole file with a
few bytes after its boxes still decodes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ffmpeg_tone, invoke, mel

from melcli import audio

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")


@pytest.mark.parametrize(
    ("where", "inside"),
    [(0.3, "its 'mdat' box"), (0.9, "its 'mdat' box"), (30, "a box's header")],
)
def test_cut_before_its_index(tmp_path: Path, where: float, inside: str) -> None:
    data = ffmpeg_tone(tmp_path / "whole.m4a", "-c:a", "aac")
    assert data.rfind(b"moov") > data.find(b"mdat")  # its index last
    at = int(where * len(data)) if where < 1 else int(where)
    path = tmp_path / "cut.m4a"
    path.write_bytes(data[:at])
    said = (
        f"truncated: the file ends inside {inside}, before its index ('moov'): "
        "no audio decodes"
    )
    with pytest.raises(audio.AudioError) as info:
        audio.probe(path)
    assert str(info.value) == said
    assert invoke("info", path).stderr.strip().endswith(f"cut.m4a: {said}")
    result = mel(path, tmp_path / "out")
    assert result.exit_code == 1
    assert f"cut.m4a: {said}" in result.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
    # Bytes after a whole file's boxes are no cut: it decodes.
    path.write_bytes(data + b"ab")
    assert audio.probe(path).duration > 2.9
