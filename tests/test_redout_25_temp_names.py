"""Hostile OUT, round 25: a leftover is known by its exact name, not by a name's start.

A worker killed while writing ``X`` has its temporary files deleted by the
prefix of ``X``'s name: another output's temporary file that merely starts
the same (``a.npy.x.npy``'s for ``a.npy``; two long names cut to the same
first bytes) was deleted too, under a worker still writing it.
"""

from __future__ import annotations

from pathlib import Path

from melcli.outdir import remove_leftovers
from melcli.write import TEMP_SUFFIX, remove_temp_files, temp_prefix


def _temp_of(path: Path, random: str = "1f2e3d4c") -> Path:
    """The temporary file melcli names for ``path``."""
    made = path.parent / f"{temp_prefix(path)}{random}{TEMP_SUFFIX}"
    made.write_bytes(b"being written")
    return made


def test_long_names_cut_alike_keep_their_own_temp_files(tmp_path: Path) -> None:
    same = "x" * 240
    mine, other = tmp_path / f"{same}-a.npy", tmp_path / f"{same}-b.npy"
    theirs = _temp_of(other)
    left = _temp_of(mine, "aaaaaaaa")

    removed = remove_temp_files([mine])

    assert removed == [left]
    assert theirs.exists()
    assert len(theirs.name.encode()) <= 255


def test_a_name_that_starts_alike_is_not_taken_for_a_temp_file(
    tmp_path: Path,
) -> None:
    theirs = _temp_of(tmp_path / "a.npy.x.npy")
    left = _temp_of(tmp_path / "a.npy")

    removed = remove_temp_files([tmp_path / "a.npy"])

    assert removed == [left]
    assert theirs.exists()


def test_a_shard_sweeps_the_leftovers_of_its_long_outputs(tmp_path: Path) -> None:
    long = tmp_path / ("y" * 250 + ".npy")
    left = _temp_of(long)
    other = _temp_of(tmp_path / ("y" * 250 + "-other.npy"))

    removed = remove_leftovers(tmp_path, owned={long})

    assert removed == [left]
    assert other.exists()
