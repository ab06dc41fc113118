"""The loader judges and reads OUT's arrays from OUT down, looking at nothing outside.

``SpectrogramDataset`` checked each entry's array with ``os.path.realpath``:
a folder of OUT that is a link to elsewhere was followed (every folder of
its target looked at) before the entry was refused. And it read each array
by path, long after it checked it (a training epoch later): a folder of OUT
swapped for a link meanwhile had it read an array from outside OUT. A
folder is now walked down from OUT, a link judged by its text, and each
array read relative to its folder's descriptor
(:func:`melcli.write.open_folder`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import WriteAudio, mel, noise

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def built(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("dogs/a.wav", noise(seconds=0.3))
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out).exit_code == 0
    return out


def planted(tmp_path: Path, out: Path) -> Path:
    """Swap OUT/dogs for a link to a folder outside OUT holding a like a.npy."""
    outside = tmp_path / "outside"
    outside.mkdir()
    shape = np.load(out / "dogs" / "a.npy").shape  # as its entry records
    np.save(outside / "a.npy", np.full(shape, 7.0, np.float32))
    shutil.move(out / "dogs", tmp_path / "dogs-kept")
    os.symlink(outside, out / "dogs")
    return outside


def test_an_array_under_a_folder_swapped_for_a_link_is_not_read(
    built: Path, tmp_path: Path
) -> None:
    dataset = SpectrogramDataset(built)
    assert len(dataset) == 1
    planted(tmp_path, built)

    with pytest.raises(MelcliError, match="leads outside the output folder"):
        dataset[0]


def test_making_a_dataset_looks_at_nothing_outside_out(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = planted(tmp_path, built)
    looked: list[str] = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)

        def spy(path: Any, *args: Any, real: Any = real, **kwargs: Any) -> Any:
            if isinstance(path, (str, os.PathLike)):
                looked.append(os.fsdecode(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, spy)

    try:
        dataset = SpectrogramDataset(built)
    except MelcliError:
        pass  # refused: fine, as long as nothing outside was looked at
    else:
        with pytest.raises(MelcliError):
            dataset[0]

    assert [p for p in looked if p.startswith(os.fspath(outside))] == []
