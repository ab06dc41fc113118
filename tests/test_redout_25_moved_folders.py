"""Hostile OUT, round 25: a descriptor follows its folder, moved out of OUT.

melcli opens OUT's folders one from the other, never through a link: but a
folder renamed while it is held open (moved out of OUT, on the same file
system) takes its descriptor with it, and what is opened from that
descriptor (its folders, its ``..``) is then outside OUT.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from melcli.outdir import walk
from melcli.write import LeadsOutside, open_folder


def test_walk_lists_nothing_of_a_folder_moved_out_meanwhile(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "a" / "b").mkdir(parents=True)
    (out / "a" / "b" / "ours.npy").write_bytes(b"")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    seen = []
    for folder, names in walk(out):
        seen.append((folder, names))
        if folder == os.fspath(out / "a"):  # listed: held open, then moved
            os.rename(out / "a", elsewhere / "a")
            (elsewhere / "a" / "b" / "secret").write_bytes(b"")

    listed = [n for _, names in seen for n in names]
    assert "secret" not in listed
    assert "ours.npy" not in listed  # moved away with it: not OUT's any more


def test_dot_dot_is_walked_from_out_not_from_a_moved_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    (out / "a" / "b").mkdir(parents=True)
    (out / "a" / "c").mkdir()
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "c").mkdir(parents=True)
    real_open = os.open

    def moving_open(path: object, *args: object, **kwargs: object) -> int:
        fd = real_open(path, *args, **kwargs)  # type: ignore[arg-type]
        if path == "b" and kwargs.get("dir_fd") is not None:
            # out/a/b held open: moved into elsewhere, where "../c" leads
            os.rename(out / "a" / "b", elsewhere / "b")
        return fd

    monkeypatch.setattr(os, "open", moving_open)
    try:
        fd = open_folder(os.fspath(out), "a/b/../c")
    except (LeadsOutside, FileNotFoundError):
        return  # refused: fine too
    finally:
        monkeypatch.undo()
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    assert (st.st_ino, st.st_dev) == (
        (out / "a" / "c").stat().st_ino,
        (out / "a" / "c").stat().st_dev,
    )


def test_the_loader_reads_nothing_of_a_folder_moved_out_meanwhile(
    tmp_path: Path,
) -> None:

    import numpy as np
    from conftest import two_classes

    import melcli
    from melcli.data import SpectrogramDataset
    from melcli.errors import MelcliError

    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert melcli.run([src], out, jobs=1).exit_code == 0
    ds = SpectrogramDataset(out)
    index = [item.path for item in ds.items].index("dogs/a.npy")
    first = np.asarray(ds[index][0])  # its folder now held open
    elsewhere = tmp_path / "elsewhere"
    os.rename(out / "dogs", elsewhere)
    np.save(elsewhere / "a.npy", np.full_like(first, 7.0))

    try:
        again = np.asarray(ds[index][0])
    except MelcliError:
        return  # refused: its folder is not in OUT any more
    assert not np.all(again == 7.0)
