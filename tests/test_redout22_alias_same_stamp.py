"""An input's output by another name is not up to date, however alike its stamp.

A folder of OUT replaced by a link to another folder of OUT makes
``sub/0.npy`` the output of ``other/0.wav``. The run failed ``sub/0.wav``
saying so, unless both arrays had the same size and mtime (written within
one clock tick: test_out_hostile_11 failed now and then): then ``sub/0.wav``
was up to date, its entry standing for another input's array. A file
reached through such a link is looked up as another input's output first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_out_hostile_11 import _aliased, _link_sub_to_other

import melcli
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")


def test_a_linked_folders_file_of_the_same_stamp_is_not_up_to_date(
    tmp_path: Path,
) -> None:
    src, out, made = _aliased(tmp_path)
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    stamps = {e["key"]: e["stamps"] for e in map(json.loads, lines)}
    size, mtime = stamps["sub/0.npy"]["sub/0.npy"]
    assert (out / "other" / "0.npy").stat().st_size == size
    _link_sub_to_other(out)
    os.utime(out / "other" / "0.npy", ns=(mtime, mtime))  # as if one tick

    report = melcli.run([src], out, jobs=1)

    (failed,) = [r for r in report.results if r.status is Status.FAILED]
    assert failed.src == src / "sub" / "0.wav"
    assert "other/0.npy is the output of an input of this run" in failed.reason
    assert (out / "other" / "0.npy").read_bytes() == made
