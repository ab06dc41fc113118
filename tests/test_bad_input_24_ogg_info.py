"""An Ogg file damaged inside is said as damaged by ``info`` and by a run alike.

- ``melcli info`` listed an Ogg whose page in the middle fails its checksum as
  whole (libsndfile's length comes from its last page), or said it was
  ``truncated``: its pages tell, without decoding.
- A damaged last page of a Vorbis stream: libvorbis drops it, libsndfile
  counts to the page before, and the shortfall (0.3 s) was within what a
  stream may start late by: written as whole. Its pages say it was damaged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, mel, tone
from test_bad_input_23_ogg_damage import pages

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()


def damaged(folder: Path, subtype: str, page: int) -> tuple[Path, int]:
    """A 5-s stream with one byte of its page ``page`` flipped; and its offset."""
    path = folder / f"{subtype.lower()}_{page}.ogg"
    sf.write(path, tone(seconds=5.0, sr=48000), 48000, format="OGG", subtype=subtype)
    data = bytearray(path.read_bytes())
    start, end = pages(bytes(data))[page]
    data[(start + end) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path, start


@pytest.mark.parametrize(("subtype", "page"), [("VORBIS", 3), ("OPUS", 4)])
def test_info_says_a_page_damaged_inside(
    tmp_path: Path, subtype: str, page: int
) -> None:
    path, at = damaged(tmp_path, subtype, page)
    said = f"corrupt: its Ogg page at byte {at} is damaged (its checksum fails)"
    with pytest.raises(audio.AudioError) as caught:
        audio.probe(path)
    assert str(caught.value) == said
    result = invoke("info", path)
    assert result.exit_code == 1
    assert f"{path}: {said}" in result.stderr
    whole = tmp_path / "whole.ogg"
    sf.write(whole, tone(seconds=5.0, sr=48000), 48000, format="OGG", subtype=subtype)
    assert audio.probe(whole).frames == 5 * 48000


def test_info_says_damage_not_truncation(tmp_path: Path) -> None:
    path, at = damaged(tmp_path, "VORBIS", 2)
    with pytest.raises(audio.AudioError, match=rf"^corrupt: .* at byte {at} "):
        audio.probe(path)


def test_a_damaged_last_vorbis_page_is_not_written_as_whole(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    n = len(pages((damaged(tmp_path, "VORBIS", 0)[0]).read_bytes()))
    path, at = damaged(src, "VORBIS", n - 1)
    with pytest.raises(audio.AudioError, match=rf"^corrupt: .* at byte {at} .* of 5"):
        audio.load(path, PARAMS)
    with pytest.raises(audio.AudioError, match=rf"^corrupt: .* at byte {at} "):
        audio.probe(path)
    sf.write(src / "good.ogg", tone(sr=48000), 48000, format="OGG", subtype="VORBIS")
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if path.name in line]
    assert len(lines) == 1, result.stderr
    assert f"corrupt: its Ogg page at byte {at} is damaged" in lines[0]
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.npy"))
    assert written == ["good.npy"]
