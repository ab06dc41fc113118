"""A gallery copies thumbnails only from sprites such as it draws itself.

``cache.json`` is in OUT, untrusted: where it says an earlier thumbnail is
(a sprite's name, a row, the sprite's rows) must not make a build decode a
picture larger than a page's sprite, nor stop the build.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

import melcli
from melcli import gallery


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _tall_png(rows: int) -> bytes:
    """A palette PNG header of a sprite of ``rows`` thumbnails, and no pixels."""
    height = rows * gallery.CELL_HEIGHT
    header = struct.pack(">IIBBBBB", gallery.CELL_WIDTH, height, 8, 3, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
    png += _chunk(b"PLTE", b"\x00\x00\x00") + _chunk(b"IDAT", zlib.compress(b"\x00"))
    png += _chunk(b"IEND", b"")
    assert png.startswith(gallery._PNG_START)
    assert png.endswith(gallery._PNG_END)
    return png


def _tone(path: Path, hz: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(8000) / 8000
    sf.write(path, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), 8000)


def test_a_cache_naming_a_sprite_too_tall_for_a_page_is_not_decoded(
    tmp_path: Path,
) -> None:
    for i, hz in enumerate((300, 600, 900)):
        _tone(tmp_path / "audio" / f"{i}.wav", hz)
    out = tmp_path / "features"
    melcli.run(tmp_path / "audio", out, jobs=1)
    first = melcli.build_gallery(out, jobs=1)
    assert first.drawn == 3
    cache_path = out / "gallery" / gallery.CACHE_NAME
    cache = json.loads(cache_path.read_text())
    assert len(cache["rows"]) == 3
    # Every thumbnail said to be in one sprite of 20 000 rows: 320 M pixels,
    # beyond Pillow's own limit (it raises rather than decode).
    crafted = "p-" + "ab" * 12 + ".png"
    (out / "gallery" / "thumbs" / crafted).write_bytes(_tall_png(20_000))
    cache["rows"] = {key: [crafted, 0, 20_000] for key in cache["rows"]}
    cache_path.write_text(json.dumps(cache))
    _tone(tmp_path / "audio" / "3.wav", 1200)  # a new page: its sprite is new
    melcli.run(tmp_path / "audio", out, jobs=1)

    again = melcli.build_gallery(out, jobs=1)

    assert (again.drawn, again.reused) == (4, 0)
    assert not again.notes
