"""Names that are not valid UTF-8 reach the gallery: its links are the names' bytes.

Linux names are bytes; Python holds one that is not UTF-8 with ``\\udcXX``
escapes, which ``urllib.parse.quote`` cannot encode: ``melcli gallery`` ended
with a ``UnicodeEncodeError`` traceback for an OUT holding ``caf\\xe9.wav``'s
array and PNG, in either storage format.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
import soundfile as sf
from conftest import invoke, tone
from test_gallery import pages

pytestmark = pytest.mark.usefixtures("isolated")

NAMES = (b"caf\xe9.wav", b"\xff\xfe.wav", b"plain.wav")


@pytest.mark.parametrize("options", [["--png"], ["--format", "webdataset"]])
def test_gallery_links_names_that_are_not_utf8(
    tmp_path: Path, options: list[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for k, name in enumerate(NAMES):
        path = os.path.join(os.fsencode(src), name)
        sf.write(path, tone(300.0 + 100 * k, sr=8000, seconds=0.2), 8000, format="WAV")
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1", *options).exit_code == 0

    result = invoke("gallery", out)

    assert result.exit_code == 0, result.stderr
    cards = pages(out / "gallery")
    assert len(cards) == len(NAMES)
    gallery = os.fsencode(out / "gallery")
    linked = set()
    for card in cards:
        for field in ("a", "f") if "--png" in options else ("a",):
            target = os.path.join(gallery, unquote_to_bytes(card[field]))
            assert os.path.isfile(target), (card["n"], card[field])
        linked.add(os.path.basename(unquote_to_bytes(card["a"])))
    assert linked == set(NAMES)
