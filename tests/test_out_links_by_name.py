"""Links inside OUT read by name, and a failed rename's temporary file.

OUT's folders are walked from OUT down (:func:`melcli.write.open_folder`),
a link followed only where its text leads under OUT. A link whose text
climbs through OUT's own name (``out/birds -> ../out/b``) leads inside OUT,
and was refused as leading outside it. A rename that failed deleted its
temporary file by path, after the folder's descriptor was closed: through a
folder swapped for a link meanwhile, not the file it made.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, mel, noise

from melcli import write

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize("text", ["../out/b", "../out/./b/../b", "b"])
def test_a_link_through_outs_own_name_to_a_folder_of_out_is_written_into(
    tmp_path: Path, write_audio: WriteAudio, text: str
) -> None:
    src, out = tmp_path / "audio", tmp_path / "out"
    write_audio("birds/a.wav", noise(seconds=0.3))
    (out / "b").mkdir(parents=True)
    (out / "birds").symlink_to(text)

    result = mel(src, out)

    assert result.exit_code == 0, result.output
    assert "1 written" in result.output
    assert np.load(out / "b" / "a.npy").ndim == 2


def test_a_link_that_climbs_out_of_out_by_name_is_still_refused(
    tmp_path: Path, write_audio: WriteAudio
) -> None:
    src, out, elsewhere = tmp_path / "audio", tmp_path / "out", tmp_path / "elsewhere"
    write_audio("birds/a.wav", noise(seconds=0.3))
    elsewhere.mkdir()
    out.mkdir()
    (out / "birds").symlink_to("../out/../elsewhere")

    result = mel(src, out)

    assert result.exit_code == 1, result.output
    assert "leads outside the output folder" in result.output
    assert list(elsewhere.iterdir()) == []


def test_a_failed_rename_deletes_its_temporary_file_through_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    (out / "a" / "x.npy").mkdir(parents=True)  # a folder where the file goes
    unlinked: list[tuple[str, int | None]] = []
    real = os.unlink

    def unlink(path: str, *, dir_fd: int | None = None) -> None:
        unlinked.append((os.fspath(path), dir_fd))
        real(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", unlink)
    with write.confine(out), pytest.raises(IsADirectoryError):
        write.save_npy(out / "a" / "x.npy", np.zeros(3, np.float32))

    assert len(unlinked) == 1
    name, dir_fd = unlinked[0]
    assert dir_fd is not None
    assert "/" not in name
    assert sorted(p.name for p in (out / "a").iterdir()) == ["x.npy"]
