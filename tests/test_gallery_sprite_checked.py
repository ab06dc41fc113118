"""A gallery's thumbnails are kept only when the file under their name is one.

A page's thumbnails are kept from one build to the next under a name that
says what they show. A regular file under that name was kept, whatever it
held: a hard link to any file of the machine, a picture cut short, another
picture, and the page showed it, build after build. It is kept now only
when it is a whole PNG of the page's size; anything else is drawn over (a
new file: what a hard link leads to is not written through).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, invoke
from PIL import Image

from melcli.gallery import build_gallery

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def thumb(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """The page's thumbnails of a gallery of two inputs."""
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "audio", "-o", out, "-j", "1").exit_code == 0
    assert build_gallery(out, waveforms=False, jobs=1).drawn == 2
    (found,) = (out / "gallery" / "thumbs").iterdir()
    return found


def hard_link(thumb: Path) -> None:
    elsewhere = thumb.parents[3] / "private.txt"
    elsewhere.write_text("not a picture, not OUT's\n")
    thumb.unlink()
    os.link(elsewhere, thumb)


def cut_short(thumb: Path) -> None:
    data = thumb.read_bytes()
    thumb.write_bytes(data[: len(data) // 2])


def another_size(thumb: Path) -> None:
    with Image.open(thumb) as image:
        width, height = image.size
    Image.fromarray(np.zeros((height // 2, width), np.uint8)).save(thumb)


def garbage(thumb: Path) -> None:
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))


@pytest.mark.parametrize(
    "spoil", [hard_link, cut_short, another_size, garbage], ids=lambda f: f.__name__
)
def test_a_thumbnail_file_that_is_not_the_page_s_is_drawn_again(
    thumb: Path, spoil: Callable[[Path], None]
) -> None:
    drawn = thumb.read_bytes()
    spoil(thumb)
    out = thumb.parents[2]

    again = build_gallery(out, waveforms=False, jobs=1)

    assert (again.drawn, again.reused) == (2, 0)
    assert thumb.read_bytes() == drawn
    assert os.lstat(thumb).st_nlink == 1
    if spoil is hard_link:
        assert (out.parent / "private.txt").read_text() == "not a picture, not OUT's\n"


def test_its_own_thumbnails_are_kept(thumb: Path) -> None:
    again = build_gallery(thumb.parents[2], waveforms=False, jobs=1)

    assert (again.drawn, again.reused) == (0, 2)
