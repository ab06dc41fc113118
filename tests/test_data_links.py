"""The data loader says an array that is a symbolic link is one.

The loader reads an array without following a link (``O_NOFOLLOW``), and
said ``too many levels of symbolic links`` for one link: words about a loop
that is not there. It now says what ``melcli stats`` says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import WriteAudio, invoke

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


def test_an_array_that_is_a_link_is_named_as_one(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "audio", "-o", out, "-j", "1").exit_code == 0
    (out / "dogs" / "a.npy").unlink()
    (out / "dogs" / "a.npy").symlink_to("../cats/b.npy")
    ds = SpectrogramDataset(out)
    index = [item.path for item in ds.items].index("dogs/a.npy")

    with pytest.raises(MelcliError, match=r"dogs/a\.npy: a symbolic link, not a file"):
        ds[index]
    ds[1 - index]
