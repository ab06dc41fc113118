"""OutDir looks a file of OUT up in its folder opened from OUT down, never by path.

Its folders are checked once a run (:meth:`OutDir.folder_problem`, cached);
:meth:`OutDir.stamp`, :meth:`OutDir.holds_any` and :meth:`OutDir.removable`
then took ``os.lstat(OUT/name)`` by path: a folder swapped for a symbolic
link out of OUT after the check (another program, during the run) was
followed, and the stamp of a file outside OUT was taken for an output's (an
up-to-date verdict, a prune's "still there"). By name in the folder opened
from OUT down, the link leads nowhere, and the folder is said to lead out.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from melcli.outdir import OutDir


def _swap_for_link(out: Path, tmp_path: Path) -> Path:
    """Make OUT/sub/a.npy, then swap OUT/sub for a link to a folder outside."""
    (out / "sub").mkdir(parents=True)
    np.save(out / "sub" / "a.npy", np.zeros((2, 3), np.float32))
    outside = tmp_path / "outside"
    outside.mkdir()
    np.save(outside / "a.npy", np.zeros((5, 7), np.float32))
    os.rename(out / "sub", tmp_path / "moved")
    os.symlink(outside, out / "sub")
    return outside


def test_stamp_of_a_folder_swapped_after_its_check_reads_nothing_outside(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").mkdir()
    outdir = OutDir(out)
    assert outdir.folder_problem("sub") is None  # checked: inside OUT
    (out / "sub").rmdir()
    outside = _swap_for_link(out, tmp_path)
    assert os.lstat(outside / "a.npy").st_size > 0
    assert outdir.stamp("sub/a.npy") is None
    assert outdir.file("sub/a.npy") is None
    # Now known to lead out: said, and never deleted through.
    assert outdir.path("sub/a.npy") is None
    assert outdir.holds_any(["sub/a.npy"])  # counted, as a folder leading out is
    assert outdir.removable(["sub/a.npy"]) == []
    assert "symbolic link" in outdir.refused["sub/a.npy"]
    outdir.close()


def test_removable_of_a_folder_swapped_after_its_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").mkdir()
    outdir = OutDir(out)
    assert outdir.folder_problem("sub") is None
    (out / "sub").rmdir()
    _swap_for_link(out, tmp_path)
    assert outdir.removable(["sub/a.npy"]) == []
    assert "symbolic link" in outdir.refused["sub/a.npy"]
    assert (tmp_path / "outside" / "a.npy").exists()


def test_stamp_follows_a_folder_deleted_and_made_again(tmp_path: Path) -> None:
    """The folder held open is opened anew when a name is not found in it."""
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    np.save(out / "sub" / "a.npy", np.zeros((2, 3), np.float32))
    outdir = OutDir(out)
    first = outdir.stamp("sub/a.npy")
    assert first is not None
    assert first[0] == os.path.getsize(out / "sub" / "a.npy")
    os.unlink(out / "sub" / "a.npy")
    os.rmdir(out / "sub")
    (out / "sub").mkdir()
    np.save(out / "sub" / "b.npy", np.zeros((4, 3), np.float32))
    st = os.lstat(out / "sub" / "b.npy")
    assert outdir.stamp("sub/b.npy") == [st.st_size, st.st_mtime_ns]
    assert outdir.holds_any(["sub/b.npy"])
    assert not outdir.holds_any(["sub/a.npy"])
    outdir.close()
