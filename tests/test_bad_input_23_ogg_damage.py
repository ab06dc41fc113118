"""An Ogg Vorbis or Opus file damaged inside is said as damaged, not as cut.

libvorbis and libopus skip a page whose checksum fails and decode on: the
stream ends short of its last page's granule position, as a cut one does,
and melcli said ``truncated`` of a file whose every byte is there. Its pages'
checksums tell the two apart (:func:`melcli.containers.ogg_damage`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import mel, tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()


def pages(data: bytes) -> list[tuple[int, int]]:
    """Where each page of an Ogg file starts and ends."""
    at, found = 0, []
    while at < len(data):
        n = data[at + 26]
        end = at + 27 + n + sum(data[at + 27 : at + 27 + n])
        found.append((at, end))
        at = end
    return found


def damaged(tmp_path: Path, subtype: str, how: str) -> tuple[Path, int]:
    """A 20-s stream with a page in its middle damaged ``how``; and its offset."""
    path = tmp_path / f"{subtype.lower()}_{how}.ogg"
    sf.write(path, tone(seconds=20.0, sr=48000), 48000, format="OGG", subtype=subtype)
    data = bytearray(path.read_bytes())
    start, end = pages(bytes(data))[len(pages(bytes(data))) // 2]
    if how == "flipped":  # one byte of the page's audio
        data[(start + end) // 2] ^= 0xFF
    elif how == "zeroed":  # a run of its audio zeroed (a bad sector)
        data[start + 200 : start + 1200] = bytes(1000)
    else:  # its capture pattern overwritten: bytes that are no page
        data[start + 1] ^= 0xFF
    path.write_bytes(bytes(data))
    return path, start


@pytest.mark.parametrize("subtype", ["VORBIS", "OPUS"])
@pytest.mark.parametrize("how", ["flipped", "zeroed", "no page"])
def test_a_damaged_page_is_said_as_damage(
    tmp_path: Path, subtype: str, how: str
) -> None:
    path, at = damaged(tmp_path, subtype, how)
    with pytest.raises(audio.AudioError) as caught:
        audio.load(path, PARAMS)
    said = str(caught.value)
    assert said.startswith("corrupt: "), said
    assert f" at byte {at}" in said, said
    assert "truncated" not in said
    # How much decoded, still said: less than the 20 s the stream announces.
    assert said.endswith(" of 20.00 s"), said


def test_kept_with_the_damage_named(tmp_path: Path) -> None:
    path, at = damaged(tmp_path, "VORBIS", "flipped")
    with pytest.warns(UserWarning, match=rf"^corrupt: .* at byte {at} .*kept what"):
        kept = audio.load(path, KEEP)
    assert 0 < len(kept.y) < 20 * 48000


def test_the_run_says_one_line_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    path, at = damaged(src, "OPUS", "zeroed")
    sf.write(src / "good.ogg", tone(sr=48000), 48000, format="OGG", subtype="OPUS")
    result = mel(src, tmp_path / "out")
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if path.name in line]
    assert len(lines) == 1, result.stderr
    assert f"corrupt: its Ogg page at byte {at} is damaged" in lines[0]
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.npy"))
    assert written == ["good.npy"]
    assert np.load(tmp_path / "out" / "good.npy").ndim == 2
