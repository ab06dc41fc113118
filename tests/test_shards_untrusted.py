"""Shards of an untrusted OUT: ``melcli merge`` of crafted parts, tar shards
damaged in place or cut by a full disk.
"""

from __future__ import annotations

import errno
import itertools
import os
import tarfile
import time
from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import write
from melcli.errors import UsageError
from melcli.outdir import OutputLock
from melcli.shard import merge
from melcli.storage.tarshards import END_OF_ARCHIVE, ShardLost, ShardWriter, Slice

pytestmark = pytest.mark.usefixtures("isolated")


# -----------------------------------------------------------------------------
# ``melcli merge`` of a crafted OUT, and tar shards when the disk is full.
#
# - manifest part names are OUT's, so untrusted: ``manifest.shard-0000-of-
#   999999999999.jsonl`` made the merge list every missing shard number (it
#   ran out of memory); a part numbered past its count, or one shard under two
#   spellings (``00-of-02`` beside ``0000-of-0002``), was merged or ignored
#   without a word. Now each is a clear error and nothing is merged;
# - a shard that cannot be finished (its rename fails, the disk is full) left
#   the writer holding a closed file: the next sample or the end of the run
#   died on ``ValueError: write to closed file``. Now it is an ``OSError``
#   naming the cause, and the writer goes on with a new shard. Each sample is
#   followed on disk by the end-of-archive blocks, so closing a shard writes
#   nothing and a failed sample leaves the earlier ones whole.


@pytest.fixture
def sharded(tmp_path: Path) -> Path:
    src = short_tones(tmp_path / "src", 4)
    out = tmp_path / "out"
    for index in range(2):
        melcli.run([src], out, jobs=1, shard=f"{index}/2")
    return out


# ------------------------------------------------------------------ merge
def test_a_part_claiming_a_huge_shard_count_is_answered_at_once(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.shard-0000-of-999999999999999.jsonl").write_text("")
    started = time.monotonic()
    report = merge(out)
    assert time.monotonic() - started < 60  # was: unbounded time and memory
    assert report.exit_code == 2
    assert report.errors == [
        "no manifest part for shards 1-999999999999998 of 999999999999999: "
        f"run them ('melcli mel ... --shard I/999999999999999' into {out}), "
        "then merge"
    ]


def test_many_missing_shards_are_shown_as_a_few_ranges(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for index in range(0, 40, 2):
        (out / f"manifest.shard-{index:04d}-of-0040.jsonl").write_text("")
    (error,) = merge(out).errors
    assert error.startswith("no manifest part for shards 1, 3, 5, 7, 9, 11, 13,")
    assert error.endswith(
        f" and 10 more ranges of 40: run them ('melcli mel ... --shard I/40' "
        f"into {out}), then merge"
    )


def test_a_part_numbered_past_its_count_is_an_error(sharded: Path) -> None:
    (sharded / "manifest.shard-0007-of-0002.jsonl").write_text("")
    result = invoke("merge", sharded)
    assert result.exit_code == 2
    assert "names shard 7 of 2, which no run writes: remove it" in result.stderr
    assert not (sharded / "manifest.jsonl").exists()


def test_one_shard_under_two_names_is_an_error(sharded: Path) -> None:
    part = sharded / "manifest.shard-0000-of-0002.jsonl"
    (sharded / "manifest.shard-00-of-02.jsonl").write_bytes(part.read_bytes())
    result = invoke("merge", sharded)
    assert result.exit_code == 2
    assert "are both shard 0 of 2: remove the one you do not want" in result.stderr
    assert not (sharded / "manifest.jsonl").exists()


def test_the_parts_of_a_real_run_still_merge(sharded: Path) -> None:
    result = invoke("merge", sharded)
    assert result.exit_code == 0, result.stderr
    assert "merged 2 shards: 4 inputs (4 written)." in result.stderr


# --------------------------------------------------------- a shard lost
def test_a_shard_that_cannot_be_finished_leaves_the_writer_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    writer = ShardWriter(out, max_bytes=1 << 20)
    writer.add("a", [("npy", b"x" * 100)])
    real_replace = os.replace

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write.os, "replace", disk_full)
    with pytest.raises(ShardLost, match="No space left") as caught:
        writer.close()
    assert caught.value.errno == errno.ENOSPC
    assert isinstance(caught.value, ShardLost)
    assert [key for key, _ in caught.value.shard.samples] == ["a"]
    assert not list(out.iterdir())  # no temporary file left
    monkeypatch.setattr(write.os, "replace", real_replace)
    writer.add("b", [("npy", b"y" * 100)])
    (closed,) = writer.close()
    with tarfile.open(closed.path) as tar:
        assert tar.getnames() == ["b.npy"]


def test_a_failed_sample_leaves_the_earlier_ones_whole_on_disk(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    writer = ShardWriter(out, max_bytes=1 << 30)
    writer.add("a", [("npy", b"x" * 700)])
    (tmp,) = out.iterdir()
    # After each sample the file on disk is a whole archive already.
    with tarfile.open(tmp) as tar:
        assert tar.getnames() == ["a.npy"]
    # A member of 2 MiB (copied in blocks) whose file ends early: the sample
    # is torn part way through its bytes.
    short = tmp_path / "short.bin"
    short.write_bytes(b"s" * (3 << 19))
    with pytest.raises(OSError, match="ends 524288 bytes early"):
        writer.add("b", [("json", b"{}"), ("bin", Slice(short, 0, 2 << 20))])
    with tarfile.open(tmp) as tar:
        assert tar.getnames() == ["a.npy"]
    writer.add("c", [("npy", b"z" * 10)])
    (closed,) = writer.close()
    with tarfile.open(closed.path) as tar:
        assert tar.getnames() == ["a.npy", "c.npy"]
    assert closed.path.stat().st_size % 512 == 0
    with open(closed.path, "rb") as f:
        assert f.read()[-END_OF_ARCHIVE:] == bytes(END_OF_ARCHIVE)


def test_a_sample_the_shard_writer_fails_is_counted_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src")
    calls = []
    add_group = ShardWriter.add_group

    def full_once(self: ShardWriter, samples: list) -> list:  # type: ignore[type-arg]
        calls.append(samples[0][0])
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return add_group(self, samples)

    monkeypatch.setattr(ShardWriter, "add_group", full_once)
    out = tmp_path / "out"
    report = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert report.count(melcli.Status.WRITTEN) == 2
    assert [f.reason for f in report.failures] == [
        "cannot write output: no space left on device"
    ]
    assert not list(out.glob("*.npy"))


# ------------------------------------------- the API holds OUT's lock too
def test_merge_from_python_holds_the_lock_as_the_command_does(sharded: Path) -> None:
    with OutputLock(sharded), pytest.raises(UsageError, match="another melcli run"):
        melcli.merge(sharded)
    assert not (sharded / "manifest.jsonl").exists()
    report = melcli.merge(sharded)
    assert report.exit_code == 0
    assert report.summary() == "merged 2 shards: 4 inputs (4 written)."


def test_write_stats_from_python_holds_the_lock_as_the_command_does(
    sharded: Path,
) -> None:
    assert melcli.merge(sharded).exit_code == 0
    with OutputLock(sharded), pytest.raises(UsageError, match="another melcli run"):
        melcli.write_stats(sharded)
    assert not (sharded / "stats.npz").exists()
    assert melcli.write_stats(sharded).count > 0


def test_samples_of_a_shard_lost_at_its_close_are_counted_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each sample was counted written when stored; the shard holding them could
    # not be put in place at the end of the run (a full disk at its commit).
    src = short_tones(tmp_path / "src")
    real_commit = write.AtomicFile.commit

    def full(self: write.AtomicFile) -> None:
        if self.path.suffix == ".tar":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_commit(self)

    monkeypatch.setattr(write.AtomicFile, "commit", full)
    out = tmp_path / "out"
    report = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert report.count(melcli.Status.WRITTEN) == 0
    assert [f.reason for f in report.failures] == [
        "cannot write output: shard-000000.tar: no space left on device"
    ] * 3
    assert len(report.errors) == 3  # said once more: they were told written
    assert report.exit_code == 1
    assert not list(out.glob("*.tar"))
    monkeypatch.undo()
    again = melcli.run([src], out, jobs=1, storage_format="webdataset")
    assert again.count(melcli.Status.WRITTEN) == 3  # nothing recorded: rebuilt


# -----------------------------------------------------------------------------
# Tar shards (``--format webdataset``) as the redteam3 trial found them.
#
# - a shard damaged in place (zeroed blocks), or another of the same size put
#   in its place, with its modification time set back, was "up to date": a
#   re-run trusted the size and time alone. Now each sample's tar headers are
#   checked where the manifest puts them (a block read per member).
#
# - after a run whose disk filled up, the next run warned that the manifest
#   held invalid entries: entries melcli had written itself, for samples the
#   shard writer had failed (fixed by ee7ab5a; this is the run after it).


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
