"""An OUT copied with its times (``cp -a``, a CI cache restored) is read as it is.

Its ``manifest.jsonl`` is the view the store recorded, under another inode:
a re-run with nothing to do reads the store and writes nothing, as in the
OUT it was copied from (before, it read the view whole, checked every array
and wrote the store again: on every run of a CI job that restores OUT).
A view written since by another program (another mtime) is still read.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import Result
from conftest import mel

from melcli import manifest_db

pytestmark = pytest.mark.usefixtures("isolated")

VIEW = "manifest.jsonl"


def summary(result: Result) -> str:
    return result.stderr.splitlines()[-1]


def files(out: Path) -> dict[str, tuple[int, int, int]]:
    """Each file of OUT's top (the lock aside): its inode, size and mtime."""
    return {
        p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
        for p in out.iterdir()
        if p.is_file() and p.name != ".melcli.lock"
    }


@pytest.fixture
def copied(dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert summary(mel(dataset, out)) == "4 written."
    assert summary(mel(dataset, out)) == "0 written, 4 up to date."
    copy = tmp_path / "restored"
    shutil.copytree(out, copy, copy_function=shutil.copy2)  # times kept
    assert (copy / VIEW).stat().st_ino != (out / VIEW).stat().st_ino
    return copy


def test_a_no_op_in_a_copied_out_writes_nothing(dataset: Path, copied: Path) -> None:
    before = files(copied)

    assert summary(mel(dataset, copied)) == "0 written, 4 up to date."

    assert files(copied) == before  # the store not written again, nor the view
    assert not (copied / ".melcli-journal.jsonl").exists()


def test_a_touched_input_in_a_copied_out_changes_its_line_in_place(
    dataset: Path, copied: Path
) -> None:
    inode = (copied / VIEW).stat().st_ino
    path = dataset / "dogs" / "bark1.wav"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    assert summary(mel(dataset, copied)) == "1 written, 3 up to date."

    assert (copied / VIEW).stat().st_ino == inode  # written in place
    statuses = {
        e["key"]: e["status"]
        for e in map(json.loads, (copied / VIEW).read_text().splitlines())
    }
    assert statuses["dogs/bark1.npy"] == "written"
    assert summary(mel(dataset, copied)) == "0 written, 4 up to date."


def test_a_view_written_since_with_another_mtime_is_read(
    dataset: Path, copied: Path
) -> None:
    """A person's edit: the view says the input failed; its mtime is new."""
    lines = (copied / VIEW).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        if entry["key"] == "dogs/bark1.npy":
            entry["status"] = "failed"
    text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries)
    (copied / VIEW).write_text(text)
    st = (copied / VIEW).stat()
    os.utime(copied / VIEW, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    assert summary(mel(dataset, copied)) == "1 written, 3 up to date."


def test_same_view_tells_a_copy_from_another_file() -> None:
    assert manifest_db.same_view("10:20:30", "10:20:31")
    assert not manifest_db.same_view("10:21:30", "10:20:30")
    assert not manifest_db.same_view("11:20:30", "10:20:30")
    assert not manifest_db.same_view(None, "10:20:30")
    assert not manifest_db.same_view("10:20:30", None)
