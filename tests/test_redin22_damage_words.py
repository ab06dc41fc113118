"""Damaged Ogg and ALAC files are said as damaged, in words a user can act on.

- An Ogg page whose checksum fails in a stream's headers: libsndfile's
  ``cannot decode: supported file format but file is malformed``; now
  ``corrupt: its Ogg page at byte 58 is damaged (its checksum fails)``.
- A damaged page libsndfile decodes nothing before: ``truncated: the stream
  ends without its end mark``, of a file that has its end mark, whole to the
  last byte; now the page, as above.
- ALAC that ffmpeg stops decoding without a word: ``(ffmpeg: exit status
  1)``; now that it gives no reason.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, mel

from melcli import MelParams, audio


def ogg_pages(data: bytes) -> list[tuple[int, int]]:
    """Where each page of an Ogg stream starts, and its length."""
    pages, at = [], 0
    while at < len(data):
        n = data[at + 26]
        length = 27 + n + sum(data[at + 27 : at + 27 + n])
        pages.append((at, length))
        at += length
    return pages


def damaged_vorbis(tmp_path: Path, page: int) -> tuple[Path, int]:
    """A second of Vorbis, 8 bytes zeroed inside page ``page``; and where it starts."""
    rng = np.random.default_rng(0)
    path = tmp_path / "in" / "damaged.ogg"
    path.parent.mkdir(exist_ok=True)
    y = 0.3 * rng.standard_normal(22050)
    sf.write(path, y.astype(np.float32), 22050, format="OGG", subtype="VORBIS")
    data = bytearray(path.read_bytes())
    at, length = ogg_pages(bytes(data))[page]
    data[at + length // 2 : at + length // 2 + 8] = bytes(8)
    path.write_bytes(bytes(data))
    return path, at


@pytest.mark.parametrize("page", [0, 1])
def test_a_damaged_ogg_header_page_is_named(tmp_path: Path, page: int) -> None:
    path, at = damaged_vorbis(tmp_path, page)
    said = f"corrupt: its Ogg page at byte {at} is damaged (its checksum fails)"
    with pytest.raises(audio.AudioError, match=re.escape(said)):
        audio.probe(path)
    with pytest.raises(audio.AudioError, match=re.escape(said)):
        audio.load(path, MelParams().validate())
    result = mel(path.parent, tmp_path / "out")
    assert result.exit_code != 0
    assert f"damaged.ogg: {said}" in result.stderr
    assert f"damaged.ogg: {said}" in invoke("info", path).stderr


def test_a_damaged_ogg_page_nothing_decodes_before_is_not_called_cut(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "short.ogg"
    y = 0.3 * rng.standard_normal(8000)
    sf.write(path, y.astype(np.float32), 8000, format="OGG", subtype="VORBIS")
    data = bytearray(path.read_bytes())
    at, length = ogg_pages(bytes(data))[-1]  # its only audio page, or its last
    data[at + length // 2 : at + length // 2 + 8] = bytes(8)
    path.write_bytes(bytes(data))
    with sf.SoundFile(path) as f:  # the premise: libsndfile finds no audio
        assert f.frames == 0
    with pytest.raises(audio.AudioError) as caught:
        audio.load(path, MelParams().validate())
    said = str(caught.value)
    assert said.startswith(f"corrupt: its Ogg page at byte {at} is damaged"), said
    assert "end mark" not in said
    assert "end mark" not in invoke("info", path).stderr


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg")
def test_alac_ffmpeg_stops_without_a_word_says_so(tmp_path: Path) -> None:
    source = tmp_path / "source.wav"
    t = np.arange(96000) / 48000
    sf.write(source, 0.5 * np.sin(2 * np.pi * 440 * t), 48000, subtype="PCM_16")
    path = tmp_path / "alac.caf"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-c:a", "alac",
         str(path)],
        check=True,
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    rand = random.Random(1)
    middle = len(data) // 2
    data[middle : middle + 200] = bytes(rand.getrandbits(8) for _ in range(200))
    path.write_bytes(bytes(data))
    with pytest.raises(audio.AudioError) as caught:
        audio.load(path, MelParams().validate())
    said = str(caught.value)
    assert said.startswith("corrupt or truncated: decoding stopped at "), said
    assert not re.search(r"\(ffmpeg: exit status \d+\)$", said), said
