"""An Ogg file cut inside the four bytes 'OggS' of a page is cut, not damaged.

The page walk took the one to three bytes left ('O', 'Og', 'Ogg') for bytes
that are no page: ``melcli info`` said "corrupt: bytes that are no Ogg page
at byte N" of a file a run (rightly) says truncated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import audio


@pytest.mark.parametrize("subtype", ["VORBIS", "OPUS"])
@pytest.mark.parametrize("left", [1, 2, 3])
def test_a_cut_inside_a_capture_pattern_is_a_cut(
    tmp_path: Path, subtype: str, left: int
) -> None:
    whole = tmp_path / "whole.ogg"
    t = np.arange(48000 * 2) / 48000
    sf.write(whole, 0.3 * np.sin(2 * np.pi * 440 * t), 48000, subtype=subtype)
    data = whole.read_bytes()
    page = data.rfind(b"OggS")  # the last page: the file cut as it begins
    assert page > 0
    path = tmp_path / "cut.ogg"
    path.write_bytes(data[: page + left])
    with pytest.raises(audio.AudioError, match=r"^truncated: ") as info:
        audio.probe(path)
    assert "no Ogg page" not in str(info.value)
    result = invoke("info", path)
    assert result.exit_code == 1
    assert "cut.ogg: truncated: " in result.stderr
    run = mel(path, tmp_path / "out")
    assert run.exit_code == 1
    assert "cut.ogg: truncated: " in run.stderr
    assert not list((tmp_path / "out").rglob("*.npy"))
