"""Tar shards (``--format webdataset``) as the redteam3 trial found them.

- a shard damaged in place (zeroed blocks), or another of the same size put
  in its place, with its modification time set back, was "up to date": a
  re-run trusted the size and time alone. Now each sample's tar headers are
  checked where the manifest puts them (a block read per member).

- after a run whose disk filled up, the next run warned that the manifest
  held invalid entries: entries melcli had written itself, for samples the
  shard writer had failed (fixed by ee7ab5a; this is the run after it).
"""

from __future__ import annotations

import errno
import itertools
import os
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.storage.tarshards import ShardWriter

pytestmark = pytest.mark.usefixtures("isolated")


def test_the_run_after_a_full_disk_finds_no_invalid_entry_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src", 4)
    add_group, calls = ShardWriter.add_group, itertools.count()

    def full_after_one(self: ShardWriter, samples: list) -> list:  # type: ignore[type-arg]
        if next(calls):  # the first sample fits, no other
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return add_group(self, samples)

    monkeypatch.setattr(ShardWriter, "add_group", full_after_one)
    out = tmp_path / "out"
    full = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert full.count(melcli.Status.FAILED) == 3
    monkeypatch.undo()
    again = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert not [w for w in again.warnings if "invalid" in w]  # was: dropped 3
    assert again.summary() == "3 written, 1 up to date."


def _zero(path: Path, at: int, n: int) -> None:
    st = path.stat()
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(bytes(n))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size


def test_a_shard_damaged_in_place_with_its_time_kept_is_rebuilt(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src")
    out = tmp_path / "out"
    assert melcli.run([src], out, jobs=1, storage_format="webdataset").exit_code == 0
    shard = out / "shard-000000.tar"
    whole = shard.read_bytes()
    second = whole.index(b"1.npy") // 512 * 512  # the second sample's header
    _zero(shard, second, 1024)
    plan = melcli.run([src], out, jobs=1, storage_format="webdataset", dry_run=True)
    assert plan.builds == [(src / "1.wav", "output missing or changed")]
    again = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert again.summary() == "1 written, 2 up to date."
    third = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert third.summary() == "0 written, 3 up to date."


def test_another_shard_of_the_same_size_and_time_is_not_taken(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src")
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, storage_format="webdataset")
    shard = out / "shard-000000.tar"
    st = shard.stat()
    for k in range(3):  # the same inputs in another order: other offsets
        (src / f"{k}.wav").rename(src / f"x{2 - k}.wav")
    other = tmp_path / "other"
    melcli.run([src], other, jobs=1, storage_format="webdataset")
    for k in range(3):
        (src / f"x{2 - k}.wav").rename(src / f"{k}.wav")
    copied = (other / "shard-000000.tar").read_bytes()
    assert len(copied) == st.st_size
    shard.write_bytes(copied)
    os.utime(shard, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = melcli.run([src], out, jobs=1, storage_format="webdataset", force=False)
    assert again.count(melcli.Status.UP_TO_DATE) == 0
    assert again.count(melcli.Status.WRITTEN) == 3
