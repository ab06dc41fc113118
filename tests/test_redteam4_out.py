"""Files of OUT melcli writes in place or parses, crafted.

Hard links: OUT is untrusted (a CI cache, a shared folder). A symbolic link in
the place of the lock, the journal or the manifest store was refused, but a
hard link is a regular file: opened in place, it was written through, and its
other names may be anywhere on the file system. The lock got the run's pid
(now it locks, and keeps no pid), the journal the run's entries, the SQLite
store the run's pages, and an ``-shm`` beside a store whose header asks for
WAL the WAL index: each written over a file outside OUT. Files written whole
(a temporary name, then a rename) only replace the name in OUT.

What melcli parses: JSON nested deeper than Python's parser goes (SQLite's
JSON functions take 1000 levels) raised RecursionError, a traceback; the
gallery's ``cache.json`` was read through links, and waited on as a FIFO; an
array claiming a billion frames was a MemoryError in the gallery; and a
sparse manifest claiming gigabytes was read into memory whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import RUN_LIMIT, invoke, two_classes

from melcli import gallery
from melcli.manifest import JOURNAL_NAME, MANIFEST_NAME
from melcli.manifest_db import STORE_NAME
from melcli.outdir import LOCK_NAME

pytestmark = pytest.mark.usefixtures("isolated")

SECRET = b"SECRET-OUTSIDE-OUT\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    folder = tmp_path / "victim"
    folder.mkdir()
    return folder


def mel(src: Path, out: Path, *options: object) -> tuple[int, str]:
    result = invoke("mel", src, "-o", out, "-j", "1", *options)
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (LOCK_NAME, ""),  # it still locks; the pid is not written
        (JOURNAL_NAME, "a hard link, whose other names may be outside OUT"),
    ],
)
def test_a_lock_or_journal_that_is_a_hard_link_is_not_written_through(
    tmp_path: Path, victim: Path, name: str, said: str
) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    (victim / "outside").write_bytes(SECRET)
    os.link(victim / "outside", out / name)

    code, stderr = mel(src, out)

    assert (victim / "outside").read_bytes() == SECRET
    assert code == 0, stderr
    assert said in stderr
    assert stderr.splitlines()[-1] == "2 written."
    assert mel(src, out)[1].splitlines()[-1] == "0 written, 2 up to date."


def test_a_store_that_is_a_hard_link_is_not_written_through(
    tmp_path: Path, victim: Path
) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    (src / "dogs" / "b.wav").write_bytes((src / "dogs" / "a.wav").read_bytes())
    outside = victim / "db"  # a store of the user's own, say, linked from OUT
    os.link(out / STORE_NAME, outside)
    before = outside.read_bytes()

    code, stderr = mel(src, out)

    assert outside.read_bytes() == before
    assert code == 0, stderr
    assert stderr.splitlines()[-1] == "1 written, 2 up to date."
    assert mel(src, out)[1].splitlines()[-1] == "0 written, 3 up to date."
    assert os.stat(out / STORE_NAME).st_nlink == 1


@pytest.mark.parametrize("companion", ["-shm", "-wal", "-journal"])
def test_files_beside_the_store_that_are_hard_links_are_not_written_through(
    tmp_path: Path, victim: Path, companion: str
) -> None:
    """A store whose header asks for WAL (bytes 18 and 19 at 2): SQLite opens
    its ``-wal`` and ``-shm`` before any pragma, and wrote the WAL index over
    the other names of an ``-shm`` hard-linked beside it."""
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    with open(out / STORE_NAME, "r+b") as f:
        f.seek(18)
        f.write(b"\x02\x02")
    outside = victim / "companion"
    outside.write_bytes(SECRET * 1000)
    os.link(outside, out / (STORE_NAME + companion))

    code, stderr = mel(src, out)

    assert outside.read_bytes() == SECRET * 1000
    assert code == 0, stderr
    assert stderr.splitlines()[-1] == "0 written, 2 up to date."
    assert not (out / (STORE_NAME + companion)).exists()


# ---------------------------------------------- what OUT holds, parsed or read
def test_a_store_whose_facts_nest_deeper_than_python_parses_drops_that_entry(
    tmp_path: Path,
) -> None:
    """SQLite's JSON takes 1000 levels; Python's parser gave a RecursionError."""
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    with contextlib.closing(sqlite3.connect(out / STORE_NAME)) as db, db:
        key, entry = db.execute("SELECT key, entry FROM entries LIMIT 1").fetchone()
        crafted = json.loads(entry)
        crafted["settings"] = "DEEP"
        text = json.dumps(crafted).replace('"DEEP"', "[" * 990 + "]" * 990)
        db.execute("UPDATE entries SET entry = ? WHERE key = ?", (text, key))
        db.execute("UPDATE facts SET facts = x'00' WHERE key = ?", (key,))

    code, stderr = mel(src, out)

    assert code == 0, stderr
    assert "dropped 1 invalid entry" in stderr
    assert stderr.splitlines()[-1] == "1 written, 1 up to date."


def test_the_gallery_cache_is_not_waited_on_as_a_fifo(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    (out / "gallery").mkdir()
    os.mkfifo(out / "gallery" / "cache.json")

    done = subprocess.run(
        [sys.executable, "-m", "melcli", "gallery", out, "-j", "1"],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,  # it waited for a writer for ever
    )

    assert done.returncode == 0, done.stderr
    assert (out / "gallery" / "cache.json").is_file()


def test_a_gallery_cache_nested_too_deep_is_no_cache(tmp_path: Path) -> None:
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    (out / "gallery").mkdir()
    (out / "gallery" / "cache.json").write_text("[" * 100_000 + "]" * 100_000)

    result = invoke("gallery", out, "-j", "1")

    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "gallery" / "cache.json").read_bytes())["waves"] == {}


def test_the_gallery_draws_an_array_claiming_a_billion_frames_in_bounded_memory(
    tmp_path: Path,
) -> None:
    """A sparse .npy whose header fits its size (512 GB, no block on disk):
    the thumbnail took its 80 rows whole, a 298 GiB allocation, MemoryError."""
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    crafted = out / "dogs" / "a.npy"
    with open(crafted, "r+b") as f:
        header = {"descr": "<f4", "fortran_order": False, "shape": (128, 10**9)}
        np.lib.format.write_array_header_1_0(f, header)
        f.truncate(f.tell() + 128 * 10**9 * 4)

    result = invoke("gallery", out, "-j", "1")

    assert result.exit_code == 0, result.stderr
    # Not read at all now (melcli.outdir.check_not_sparse): its card says so.
    assert "1 picture drawn" in result.stderr
    assert "dogs/a.wav: no picture: a sparse file (with holes)" in result.stderr
    crafted.unlink()  # pytest keeps the last runs' folders: no 512 GB claim left


def test_a_long_arrays_thumbnail_still_spans_it() -> None:
    frames = gallery.THUMB_FRAMES * 3 + 7
    S = np.broadcast_to(np.linspace(-80.0, 0.0, frames, dtype=np.float32), (64, frames))

    cell = gallery._thumbnail(S)

    assert cell.shape == (gallery.CELL_HEIGHT, gallery.CELL_WIDTH)
    assert (np.diff(cell.astype(int), axis=1) >= 0).all()  # louder to the right
    assert cell[:, 0].max() < 30 < 200 < cell[:, -1].min()


@pytest.mark.parametrize("name", [MANIFEST_NAME, JOURNAL_NAME])
def test_a_sparse_manifest_claiming_gigabytes_is_not_read_into_memory(
    tmp_path: Path, name: str
) -> None:
    """1 GB of holes, no block on disk: read whole (4 GB of memory, 8 GB
    with an 8 GB claim: the machine's), then dropped without a word as the
    torn last line of a killed run."""
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    assert mel(src, out)[0] == 0
    (out / STORE_NAME).unlink()  # then manifest.jsonl is what is read
    with open(out / name, "ab") as f:
        f.truncate(1 << 30)

    code, stderr = mel(src, out)

    assert code == 0, stderr
    assert f"{name}: not read (a sparse file (with holes)" in stderr
    summary = "2 written." if name == MANIFEST_NAME else "0 written, 2 up to date."
    assert stderr.splitlines()[-1] == summary
