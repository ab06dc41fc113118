"""``melcli stats`` leaves out an array whose folder leads out of OUT, and says so.

A crafted entry naming an array under a folder of OUT that is a symbolic
link to elsewhere (``OUT/linkdir -> /elsewhere``), of an input that is still
there, was kept by every run (the input exists; its outputs cannot be deleted
through the link). ``melcli stats`` failed on it ("run 'melcli mel' again to
rebuild it"), and no run ever did: no statistics for that OUT, for good. It
is now left out with one line, as an array that is not what its entry
records is, and the statistics are written from the others. (A run now drops
such an entry, saying so: tests/test_out_hostile_11.py.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke

pytestmark = pytest.mark.usefixtures("isolated")


def plant(out: Path, elsewhere: Path) -> None:
    """An entry of ``dogs/a.wav`` (there) naming ``linkdir/arr.npy``, read as truth."""
    elsewhere.mkdir()
    np.save(elsewhere / "arr.npy", np.zeros((128, 5), np.float32))
    (out / "linkdir").symlink_to(elsewhere)
    view = out / "manifest.jsonl"
    entries = [json.loads(line) for line in view.read_text().splitlines()]
    (real,) = [e for e in entries if e["key"] == "dogs/a.npy"]
    stamp = os.stat(elsewhere / "arr.npy")
    crafted = {
        **real,
        "key": "linkdir/arr.npy",
        "npy": "linkdir/arr.npy",
        "stamps": {"linkdir/arr.npy": [stamp.st_size, stamp.st_mtime_ns]},
        "shape": [128, 5],
    }
    (out / "new.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in [*entries, crafted])
    )
    os.replace(out / "new.jsonl", view)


def test_the_array_is_left_out_and_said(built: Path, tmp_path: Path) -> None:
    plant(built, tmp_path / "elsewhere")

    result = invoke("stats", built)

    assert result.exit_code == 0, result.stderr
    warning, last = result.stderr.splitlines()
    assert warning.startswith(
        f"warning: {built}/linkdir/arr.npy: left out: {built}/linkdir leads outside "
        "the output folder (a symbolic link"
    )
    assert last.endswith("from 2 arrays")
