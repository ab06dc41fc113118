"""Review of round 23: arrays of OUT read for statistics stay OUT's.

- ``melcli.stats.compute`` of a dataset's items, and ``write_stats`` given
  ``paths``, read each array from OUT down: a folder swapped since for a
  link out of OUT is not followed (they read by path, through the link,
  while the dataset itself refused it).
- A ``--format webdataset`` dataset reads its shards under OUT as resolved
  when it was made, as it reads ``.npy`` files: after a change of working
  folder (a training script's), it read the shard of another folder, or
  none.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, mel, noise

from melcli import stats
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

#: How a folder of OUT swapped for a link out of OUT is refused.
OUTSIDE = "dogs leads outside the output folder \\(a symbolic link, to .*elsewhere\\)"


def swapped_out(out: Path, folder: str, outside: Path) -> None:
    """Move ``out/folder`` out of OUT, filled with 1234, and link it back."""
    shutil.copytree(out / folder, outside)
    for array in outside.glob("*.npy"):
        np.save(array, np.full_like(np.load(array), 1234.0))
    shutil.rmtree(out / folder)
    (out / folder).symlink_to(outside, target_is_directory=True)


def test_stats_of_items_do_not_follow_a_folder_swapped_out_of_out(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    for name in ("dogs/a.wav", "dogs/b.wav", "cats/c.wav"):
        write_audio(name, noise(seconds=0.3))
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out).exit_code == 0
    dataset = SpectrogramDataset(out)
    inside = [item.path for item in dataset.items]
    assert inside == ["cats/c.npy", "dogs/a.npy", "dogs/b.npy"]
    swapped_out(out, "dogs", tmp_path / "elsewhere")
    with pytest.raises(MelcliError, match=OUTSIDE):
        dataset[1]
    with pytest.raises(MelcliError, match=OUTSIDE):
        stats.compute(dataset.items)
    with pytest.raises(MelcliError, match=OUTSIDE):
        stats.write_stats(out, paths=[out / name for name in inside])
    with pytest.raises(MelcliError, match=OUTSIDE):
        stats.write_stats(out, paths=dataset.items)
    assert not (out / stats.STATS_NAME).exists()
    # What is inside OUT is read as before.
    found = stats.compute(dataset.items[:1])
    assert found.count > 0
    assert float(found.max.max()) < 1234.0


@pytest.mark.parametrize("format", ["npy", "webdataset"])
def test_dataset_reads_its_out_after_the_working_folder_changed(
    write_audio: WriteAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    format: str,
) -> None:
    for name in ("dogs/a.wav", "cats/c.wav"):
        write_audio(name, noise(seconds=0.3))
    monkeypatch.chdir(tmp_path)
    assert mel(Path("audio"), Path("out"), "--format", format).exit_code == 0
    dataset = SpectrogramDataset("out")
    before = [dataset[i][0] for i in range(len(dataset))]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)  # monkeypatch.chdir puts the first folder back
    after = [dataset[i][0] for i in range(len(dataset))]
    assert len(after) == len(before) == 2
    for x, y in zip(before, after, strict=True):
        np.testing.assert_array_equal(x, y)
    assert stats.compute(dataset.items).count == sum(x.shape[-1] for x in before)
