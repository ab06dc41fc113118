"""A training split's statistics never overwrite ``OUT/stats.npz``, however it is named.

``--files-from`` without ``--dest`` is refused, as ``OUT/stats.npz`` holds
every array's statistics (what ``normalize=True`` reads); a ``--dest`` that
spells the same file another way (``x/..``, a link, a hard link) must be
refused as well (review25).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import invoke
from test_trial25_stats_split import _dataset

import melcli
from melcli.errors import ParameterError


def _spellings(out: Path, tmp_path: Path) -> list[Path]:
    (out / "x").mkdir()
    link = tmp_path / "link.npz"
    link.symlink_to(out / "stats.npz")
    hard = tmp_path / "hard.npz"
    os.link(out / "stats.npz", hard)
    return [out / "stats.npz", out / "x" / ".." / "stats.npz", link, hard]


def test_the_command_refuses_a_dest_that_is_outs_own_stats(tmp_path: Path) -> None:
    audio, out = _dataset(tmp_path)
    before = (out / "stats.npz").read_bytes()
    for dest in _spellings(out, tmp_path):
        said = invoke(
            "stats", out, "--files-from", tmp_path / "train.csv", "--root", audio,
            "--dest", dest,
        )  # fmt: skip
        assert said.exit_code == 2, (dest, said.stderr)
        assert "holds those of every array of OUT" in said.stderr
        assert (out / "stats.npz").read_bytes() == before


def test_write_stats_refuses_a_dest_that_is_outs_own_stats(tmp_path: Path) -> None:
    audio, out = _dataset(tmp_path)
    before = (out / "stats.npz").read_bytes()
    for dest in _spellings(out, tmp_path):
        with pytest.raises(ParameterError, match="holds those of every array"):
            melcli.write_stats(
                out, files_from=tmp_path / "train.csv", root=audio, dest=dest
            )
        assert (out / "stats.npz").read_bytes() == before
    # Another file is written, and says one array as 'array'.
    one = tmp_path / "one.csv"
    one.write_text("filename,fold\n0.wav,1\n")
    stats = melcli.write_stats(out, files_from=one, root=audio, dest=tmp_path / "o.npz")
    assert "from 1 array," in repr(stats)
    said = invoke(
        "stats", out, "--files-from", one, "--root", audio, "--dest", tmp_path / "p.npz"
    )
    assert said.stderr.rstrip().endswith("frames from 1 array"), said.stderr
