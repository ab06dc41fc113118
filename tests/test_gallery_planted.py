"""A thumbnail planted in OUT's gallery as a link is drawn over, not kept.

A page's thumbnails are kept from one build to the next under a name made
from what they show (each array's recorded size and mtime): a name anyone
can compute. A symbolic link planted under it, to a picture anywhere on the
machine, was kept as the page's thumbnails ("kept"), and the page showed
that file. Only a regular file is kept now.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

from melcli.gallery import build_gallery

pytestmark = pytest.mark.usefixtures("isolated")


def test_a_thumbnail_planted_as_a_link_is_drawn_again(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "audio", "-o", out, "-j", "1").exit_code == 0
    first = build_gallery(out, waveforms=False, jobs=1)
    assert first.drawn == 2
    (thumb,) = (out / "gallery" / "thumbs").iterdir()
    elsewhere = tmp_path / "private.png"
    elsewhere.write_bytes(thumb.read_bytes())
    thumb.unlink()
    thumb.symlink_to(elsewhere)

    again = build_gallery(out, waveforms=False, jobs=1)

    assert (again.drawn, again.reused) == (2, 0)
    assert not thumb.is_symlink()
    assert thumb.is_file()
    assert elsewhere.read_bytes() == thumb.read_bytes()  # untouched, same picture
    assert os.lstat(elsewhere).st_nlink == 1
