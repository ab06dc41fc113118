"""OUT as hostile state, 23rd round: what melcli deletes and holds stays in OUT.

- Folders emptied by a prune or a format change are deleted by name from
  their parent, opened from OUT down: one swapped for a link out of OUT
  leads nowhere (``rmdir`` by path followed it, deleting an empty folder
  outside OUT).
- A killed worker's temporary files are looked for, and deleted, through
  their folder opened from OUT down: a folder swapped for a link out of OUT
  is not listed (nothing outside OUT is read).
- The lock of :func:`melcli.write.confine`'s roots is made anew in a forked
  child (held by another thread at the fork, the child's first confine
  waited forever).
- :func:`melcli.write.open_folder` interrupted at any call leaks no folder
  descriptor (the next folder's was lost).
- The data loader resolves OUT, and opens each folder, once: an array is
  one ``open`` relative to its folder's descriptor (walked from OUT for
  every item, it cost 4 system calls and 12 % more instructions an array).
- ``--include`` runs read no left-out entry whole; ``--dry-run`` says an
  input that would write over a kept output of other settings fails.
- A webdataset sample whose entry is too long to record leaves no dead
  bytes (its ``KEY.json``) in a shard.
- :class:`melcli.outdir.OutputLock` entered again refuses without giving up
  the lock it holds.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from conftest import WriteAudio, invoke, mel, noise

from melcli import manifest, manifest_db, write
from melcli.data import SpectrogramDataset
from melcli.errors import UsageError
from melcli.outdir import OutDir, OutputLock


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


needs_proc = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc"
)


def test_emptied_folder_swapped_for_link_out_deletes_nothing_outside(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    (outside / "b").mkdir(parents=True)  # an empty folder of someone else's
    (out / "c" / "d").mkdir(parents=True)
    (out / "keep" / "e").mkdir(parents=True)
    (out / "keep" / "file").write_bytes(b"")
    (out / "a").symlink_to(outside)  # OUT/a was a folder; swapped meanwhile
    OutDir(out).remove_emptied_folders(
        [out / "a" / "b" / "x.npy", out / "c" / "d" / "y.npy", out / "keep/e/z.npy"]
    )
    assert (outside / "b").is_dir()
    assert (out / "a").is_symlink()
    # OUT's own emptied folders still go, up to OUT.
    assert sorted(p.name for p in out.iterdir()) == ["a", "keep"]
    assert sorted(p.name for p in (out / "keep").iterdir()) == ["file"]


def test_temp_files_not_listed_through_a_link_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / "c").mkdir(parents=True)
    (outside / ".x.npy.0123abcd.melcli-tmp").write_bytes(b"not OUT's")
    (out / "a").symlink_to(outside)
    temp = out / "c" / ".x.npy.0123abcd.melcli-tmp"
    temp.write_bytes(b"")
    (out / "c" / ".y.npy.0123abcd.melcli-tmp").write_bytes(b"")  # another's
    listed: list[object] = []
    real = os.listdir

    def listdir(path: object = ".") -> list[str]:
        listed.append(path)
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "listdir", listdir)
    with write.confine(out):
        removed = write.remove_temp_files([out / "a" / "x.npy", out / "c" / "x.npy"])
    monkeypatch.undo()
    assert not [p for p in listed if not isinstance(p, int)], listed
    assert removed == [temp]
    assert (outside / ".x.npy.0123abcd.melcli-tmp").exists()
    assert [p.name for p in (out / "c").iterdir()] == [".y.npy.0123abcd.melcli-tmp"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_confine_in_a_child_forked_while_another_thread_holds_the_lock(
    tmp_path: Path,
) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with write._ROOTS_LOCK:
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(60)
        pid = os.fork()
        if pid == 0:  # the child: confine must not wait on the parent's thread
            code = 1
            try:
                with write.confine(tmp_path):
                    code = 0
            finally:
                os._exit(code)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's confine waited on a lock never released")
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        thread.join()


@needs_proc
@pytest.mark.parametrize("at", [1, 2, 3])
def test_open_folder_interrupted_at_a_close_leaks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    real = os.close
    calls = [0]

    def close(fd: int) -> None:
        real(fd)
        calls[0] += 1
        if calls[0] == at:  # a signal handled as the close returns
            raise KeyboardInterrupt

    before = open_descriptors()
    monkeypatch.setattr(os, "close", close)
    try:
        with pytest.raises(KeyboardInterrupt):
            os.close(write.open_folder(os.fspath(tmp_path), "a/b/c"))
    finally:
        monkeypatch.undo()
    assert open_descriptors() == before


def test_output_lock_entered_again_keeps_its_lock(tmp_path: Path) -> None:
    lock = OutputLock(tmp_path)
    with lock:
        with pytest.raises(UsageError, match="already"), lock:
            pass
        # Still held: another holder is refused.
        with pytest.raises(UsageError), OutputLock(tmp_path):
            pass
    # And given up at the end: another can take it.
    with OutputLock(tmp_path):
        pass
    assert not write._ROOTS


@pytest.mark.usefixtures("isolated")
def test_loader_opens_each_array_once_from_folders_opened_once(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OUT is resolved, and each folder walked, once: an array is one open.

    Walked from OUT for every item, the loader cost 3 opens and 3 closes
    per array, +12 % instructions. The kept folder is the one checked; one
    deleted and made again (a run's prune, then its rebuild) is found anew,
    and a copy (a DataLoader worker's) opens its own.
    """
    for name in ("dogs/a.wav", "dogs/b.wav", "cats/c.wav", "top.wav"):
        write_audio(name, noise(seconds=0.3))
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out).exit_code == 0
    dataset = SpectrogramDataset(out)
    assert len(dataset) == 4
    first = [dataset[i][0] for i in range(4)]
    opened: list[object] = []
    real_open = os.open

    def spy(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    monkeypatch.setattr(os, "supports_dir_fd", os.supports_dir_fd | {spy})
    again = [dataset[i][0] for i in range(4)]
    monkeypatch.undo()
    assert len(opened) == 4, opened
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)

    at = next(i for i in range(4) if dataset[i][1]["path"] == "dogs/a.npy")
    shape = first[at].shape
    shutil.rmtree(out / "dogs")
    (out / "dogs").mkdir()
    np.save(out / "dogs" / "a.npy", np.full(shape, 3.0, np.float32))
    assert (dataset[at][0] == 3.0).all()
    copy = pickle.loads(pickle.dumps(dataset))
    assert (copy[at][0] == 3.0).all()


@pytest.mark.usefixtures("isolated")
def test_include_run_reads_no_left_out_entry_whole(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of one input (``--include``) over a large OUT reads no other entry whole.

    Each left-out input's entry was read whole (a query, parsed, checked) to
    see whether its input was gone, and its ``src:`` entry (passed over)
    read whole to be compared, journaled and staged again, run after run.
    """
    for i in range(24):
        write_audio(f"c{i % 2}/a{i:02d}.wav", noise(seconds=0.1, seed=i))
    src, out = tmp_path / "audio", tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out, "--include", "c0/a00.wav").exit_code == 0
    view = (out / "manifest.jsonl").read_bytes()
    read: list[str] = []
    real = manifest._StoreReader.one

    def one(self: Any, key: str) -> Any:
        read.append(key)
        return real(self, key)

    monkeypatch.setattr(manifest._StoreReader, "one", one)
    result = mel(src, out, "--include", "c0/a00.wav")
    assert result.exit_code == 0, result.stderr
    assert read == []
    assert (out / "manifest.jsonl").read_bytes() == view
    assert not list(out.glob(".melcli-journal*"))
    # An input gone meanwhile is still found stale (its entry read then).
    (src / "c1" / "a01.wav").unlink()
    result = mel(src, out, "--include", "c0/a00.wav", "--prune")
    assert result.exit_code == 0, result.stderr
    assert not (out / "c1" / "a01.npy").exists()
    assert (out / "c1" / "a03.npy").exists()


@pytest.mark.usefixtures("isolated")
def test_dry_run_says_an_input_would_not_write_over_a_kept_output(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    """``--dry-run`` fails, as the run does, an input whose output is kept as another's.

    The dry run said it would build ``a.wav`` (into ``a.000.npy``,
    ``a.001.npy``, ...), which the run then refused: ``a.001.npy`` is the
    kept array of ``a.001.wav``, made with other settings.
    """
    write_audio("a.wav", noise(seconds=0.7, seed=1))
    write_audio("a.001.wav", noise(seconds=0.3, seed=2))
    src, out = tmp_path / "audio", tmp_path / "out"
    assert mel(src, out, "--include", "a.001.wav").exit_code == 0
    options = ("--include", "a.wav", "--segment", "0.2", "--segment-layout", "files")
    dry = mel(src, out, *options, "--dry-run")
    run = mel(src, out, *options)
    assert run.exit_code == 1
    refusal = [line for line in run.stderr.splitlines() if "a.001.npy" in line]
    assert refusal, run.stderr
    assert dry.exit_code == run.exit_code, dry.stderr
    assert refusal[0] in dry.stderr.splitlines()
    assert "0 to build" in dry.stderr, dry.stderr


@pytest.mark.usefixtures("isolated")
def test_webdataset_sample_too_long_to_record_leaves_no_bytes_in_a_shard(
    tmp_path: Path,
) -> None:
    """A sample whose entry cannot be recorded fails before its shard takes it.

    It was refused once its shard closed: its ``KEY.json`` (holding a table
    row of 16 MiB) stayed in the shard as dead bytes, beside the samples
    recorded.
    """
    audio = tmp_path / "audio"
    audio.mkdir()
    for name in ("big", "small"):
        sf.write(audio / f"{name}.wav", noise(sr=8000, seconds=0.3), 8000)
    huge = "x" * (manifest_db.MAX_ENTRY + 1)
    table = tmp_path / "list.csv"
    table.write_text(f"path,note\nbig.wav,{huge}\nsmall.wav,fine\n")
    out = tmp_path / "out"
    options = ("--files-from", table, "--root", audio, "-j", "1")
    result = invoke("mel", *options, "-o", out, "--format", "webdataset")
    assert result.exit_code == 1, result.stderr
    said = [line for line in result.stderr.splitlines() if "big.wav" in line]
    assert len(said) == 1, result.stderr
    assert "too much to record" in said[0]
    shards = sorted(out.glob("shard-*.tar"))
    assert shards
    assert sum(p.stat().st_size for p in shards) < 1 << 20
    assert len(SpectrogramDataset(out)) == 1


def forge_swapped_row(store: Path, planted: str) -> str:
    """Put a row of no facts in place of an entry's row, then restore the stamps.

    The rows of ``entries`` and ``facts`` still count the same.
    """
    with sqlite3.connect(store) as db:
        key, text = db.execute(
            "SELECT key, entry FROM entries ORDER BY key LIMIT 1"
        ).fetchone()
        entry = json.loads(text)
        db.execute("DELETE FROM entries WHERE key = ?", (key,))
        stamp = entry["stamps"].pop(key)
        entry.update(key=planted, npy=planted, stamps={planted: stamp})
        db.execute("INSERT INTO entries VALUES (?, ?)", (planted, json.dumps(entry)))
        (mtime,) = db.execute("SELECT value FROM state WHERE name = 'mtime'").fetchone()
        (changes,) = db.execute(
            "SELECT value FROM state WHERE name = 'changes'"
        ).fetchone()
    db.close()
    with store.open("r+b") as f:  # the change counter melcli's commit left
        f.seek(24)
        f.write(int(changes).to_bytes(4, "big"))
    os.utime(store, ns=(int(mtime), int(mtime)))
    return str(key)


@pytest.mark.usefixtures("isolated")
def test_a_row_of_no_facts_swapped_in_is_not_written_to_the_view(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store's row of no facts, in place of a missing one, stays out of the view.

    Counted, the tables agreed; a run that wrote ``manifest.jsonl`` whole
    wrote the planted entry into it (for every tool that reads it), and the
    entry whose row was gone stayed believed up to date.
    """
    for name in ("a.wav", "b.wav", "c.wav"):
        write_audio(name, noise(seconds=0.2))
    src, out = tmp_path / "audio", tmp_path / "out"
    assert mel(src, out).exit_code == 0
    assert mel(src, out).exit_code == 0
    (out / "planted.npy").write_bytes((out / "b.npy").read_bytes())
    gone = forge_swapped_row(out / manifest_db.STORE_NAME, "planted.npy")
    # A run that writes the view whole (many changes in a large OUT).
    monkeypatch.setattr(manifest.manifest_view, "worth_patching", lambda *a: False)
    (src / "c.wav").touch()
    result = mel(src, out)
    assert result.exit_code == 0, result.stderr
    # The tables' keys differ: told at once (24), the missing one rebuilt now.
    last = result.stderr.splitlines()[-1]
    assert last == "2 written, 1 up to date.", result.stderr
    monkeypatch.undo()
    keys = [
        json.loads(line)["key"]
        for line in (out / "manifest.jsonl").read_text().splitlines()
    ]
    assert "planted.npy" not in keys
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        rows = {k for (k,) in db.execute("SELECT key FROM entries")}
    db.close()
    assert "planted.npy" not in rows
    again = mel(src, out)
    assert again.exit_code == 0, again.stderr
    assert again.stderr.splitlines()[-1] == "0 written, 3 up to date.", again.stderr
    assert len(SpectrogramDataset(out)) == 3
    assert gone in [i.path for i in SpectrogramDataset(out).items]
