"""A link ``OUT/stats.npz`` (OUT is untrusted) does not make a file elsewhere OUT's.

``melcli stats OUT --files-from LIST --dest FILE`` refuses a ``FILE`` that
is ``OUT/stats.npz`` (the statistics of every array of OUT live there). It
resolved ``OUT/stats.npz`` through a link: a crafted OUT whose ``stats.npz``
links to the user's own ``train_stats.npz`` had that file refused as OUT's,
and said so ("holds those of every array of OUT"). The link is not OUT's
file: neither the run nor the loader reads or writes through it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, mel, short_tones

import melcli
from melcli.stats import STATS_NAME, is_outs_stats

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    short_tones(tmp_path / "src" / "dogs", 2)
    out = tmp_path / "out"
    assert mel(tmp_path / "src", out).exit_code == 0
    return out


def test_a_link_in_out_to_the_dest_is_not_outs_stats(out: Path, tmp_path: Path) -> None:
    dest = tmp_path / "train_stats.npz"
    dest.write_bytes(b"the user's own")
    (out / STATS_NAME).symlink_to(dest)
    assert not is_outs_stats(dest, out)
    listed = tmp_path / "train.csv"
    listed.write_text("path\ndogs/0.wav\n")
    result = invoke(
        "stats", out, "--files-from", listed, "--root", tmp_path / "src",
        "--dest", dest,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "file of their own" not in result.stderr
    # Written in place of the user's file (the link in OUT left as it was).
    with np.load(dest) as written:
        assert int(written["count"]) > 0
    assert os.readlink(out / STATS_NAME) == str(dest)


def test_outs_own_file_is_still_refused_however_spelled(out: Path) -> None:
    melcli.write_stats(out)
    own = out / STATS_NAME
    assert is_outs_stats(own, out)
    assert is_outs_stats(out / "dogs" / ".." / STATS_NAME, out)
    link = out.parent / "link.npz"
    link.symlink_to(own)
    assert is_outs_stats(link, out)
    hard = out.parent / "hard.npz"
    os.link(own, hard)
    assert is_outs_stats(hard, out)


def test_out_stats_named_through_its_link_is_still_refused(
    out: Path, tmp_path: Path
) -> None:
    """``--dest OUT/stats.npz`` is OUT's name whatever OUT's entry there is.

    With a link there, the name was resolved through it (not OUT's then),
    and a list's statistics replaced OUT's: one input's numbers read by the
    loader as every array's.
    """
    elsewhere = tmp_path / "train_stats.npz"
    elsewhere.write_bytes(b"the user's own")
    own = out / STATS_NAME
    own.symlink_to(elsewhere)
    assert is_outs_stats(own, out)
    assert is_outs_stats(out / "dogs" / ".." / STATS_NAME, out)
    listed = tmp_path / "train.csv"
    listed.write_text("path\ndogs/0.wav\n")
    result = invoke(
        "stats", out, "--files-from", listed, "--root", tmp_path / "src",
        "--dest", own,
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "file of their own" in result.stderr
    assert os.readlink(own) == str(elsewhere)
    assert elsewhere.read_bytes() == b"the user's own"
