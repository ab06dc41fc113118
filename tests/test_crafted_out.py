"""A hostile OUT: what stands where melcli's files go.

Locks, journals and stores replaced by FIFOs, folders or hard links, a
gallery cache crafted, SQLite's own files: the run says what is wrong, never
writes through to a file outside OUT, never hangs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import RUN_LIMIT, invoke, short_tones, two_classes

import melcli
from melcli import gallery
from melcli.manifest import JOURNAL_NAME, MANIFEST_NAME
from melcli.manifest_db import STORE_NAME
from melcli.outdir import LOCK_NAME

pytestmark = pytest.mark.usefixtures("isolated")


# -----------------------------------------------------------------------------
# A hostile OUT, cases the other tests leave out: what stands where melcli's files go.
#
# - the lock file replaced by a FIFO or a folder: the run cannot start, and says
#   why in one line (exit status 2), instead of a traceback;
# - an ``.npy`` in OUT whose bytes were changed while its size and time were
#   kept (a crafted cache, a bad copy): a header announcing terabytes, Python
#   objects, NaN, another type or rank. The gallery says so on the input's card,
#   and adding ``--png`` to an up-to-date run builds the array again instead of
#   drawing (or failing on) what is there.


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return two_classes(tmp_path / "src")


# ------------------------------------------------------------------ the lock
@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", ".melcli.lock is not a regular file (a FIFO; remove it)"),
        ("folder", ".melcli.lock is a folder, not a file (remove it)"),
    ],
)
def test_a_lock_that_is_no_regular_file_stops_the_run_in_words(
    src: Path, tmp_path: Path, kind: str, words: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if kind == "fifo":
        os.mkfifo(out / LOCK_NAME)
    else:
        (out / LOCK_NAME).mkdir()

    result = invoke("mel", src, "-o", out, "-j", "1")

    assert result.exit_code == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot write to {out}: {words}"
    )
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    with pytest.raises(melcli.UsageError, match="remove it"):
        melcli.run([src], out)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", "not a folder (a FIFO)"),
        ("dangling", "a symbolic link to {target}, which is not a folder"),
    ],
)
def test_out_that_is_no_folder_says_what_it_is(
    src: Path, tmp_path: Path, kind: str, words: str
) -> None:
    out = tmp_path / "out"
    target = tmp_path / "gone"
    if kind == "fifo":
        os.mkfifo(out)
    else:
        out.symlink_to(target)

    result = invoke("mel", src, "-o", out, "-j", "1")

    assert result.exit_code == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot write to {out}: {words.format(target=target)}"
    )
    assert not target.exists()


# ------------------------------------------------------- arrays in OUT
def _npy_bytes(header: str, size: int) -> bytes:
    """An ``.npy`` file of ``size`` bytes whose header is ``header``."""
    text = header.encode("latin1")
    length = 128 - 10
    head = b"\x93NUMPY\x01\x00" + length.to_bytes(2, "little")
    head += text + b" " * (length - len(text) - 1) + b"\n"
    return head + bytes(size - len(head))


def _crafted(kind: str, size: int) -> bytes:
    if kind == "nan":
        buffer = io.BytesIO()
        np.save(buffer, np.full((128, 2), np.nan, dtype=np.float32))
        return buffer.getvalue()
    shapes = {
        "terabytes": ("<f4", "(100000000, 100000)"),
        "objects": ("|O", "(3,)"),
        "float64": ("<f8", "(64, 2)"),
        "rank3": ("<f4", "(2, 64, 1)"),
        "empty": ("<f4", "(128, 0)"),
    }
    descr, shape = shapes[kind]
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    return _npy_bytes(header, size)


def _replace_keeping_stamp(path: Path, data: bytes) -> None:
    """Put ``data`` in ``path`` with its size and modification time kept."""
    st = path.stat()
    path.write_bytes(data[: st.st_size].ljust(st.st_size, b"\0"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


KINDS = ["terabytes", "objects", "nan", "float64", "rank3", "empty"]


@pytest.mark.parametrize("kind", KINDS)
def test_gallery_tells_a_crafted_array_on_its_card(
    src: Path, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    npy = out / "cats" / "c.npy"
    _replace_keeping_stamp(npy, _crafted(kind, npy.stat().st_size))

    result = invoke("gallery", out)

    assert result.exit_code == 0, result.stderr
    assert (out / "gallery" / "index.html").is_file()
    if kind not in ("float64", "rank3"):  # those still draw a picture
        assert "cats/c.wav: no picture:" in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_png_of_an_up_to_date_input_rebuilds_a_crafted_array(
    src: Path, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    npy = out / "cats" / "c.npy"
    whole = np.load(npy)
    _replace_keeping_stamp(npy, _crafted(kind, npy.stat().st_size))

    result = invoke("mel", src, "-o", out, "-j", "1", "--png")

    assert result.exit_code == 0, result.stderr
    # c's array made again, the other's kept (its PNG alone drawn)
    assert result.stderr.strip().splitlines()[-1] == (
        "2 written (1 of them only its PNG)."
    )
    assert np.array_equal(np.load(npy), whole)
    assert (out / "cats" / "c.png").stat().st_size > 0
    again = invoke("mel", src, "-o", out, "-j", "1", "--png")
    assert again.stderr.strip().splitlines()[-1] == "0 written, 2 up to date."


def test_load_npy_reads_only_a_regular_file_whose_header_fits(tmp_path: Path) -> None:
    from melcli.outdir import load_npy

    good = tmp_path / "good.npy"
    np.save(good, np.arange(6, dtype=np.float32).reshape(2, 3))
    assert load_npy(good).tolist() == [[0, 1, 2], [3, 4, 5]]

    link = tmp_path / "link.npy"
    link.symlink_to(good)
    fifo = tmp_path / "fifo.npy"
    os.mkfifo(fifo)
    for path in (link, fifo):
        with pytest.raises(OSError, match=r"symbolic link|not a regular file"):
            load_npy(path)  # neither followed nor waited on

    lying = tmp_path / "lying.npy"
    lying.write_bytes(_crafted("terabytes", 200))
    with pytest.raises(ValueError, match="cannot hold the"):
        load_npy(lying)
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"<html>not an array</html>")
    with pytest.raises(ValueError, match=r"not a readable \.npy file"):
        load_npy(garbage)


# -----------------------------------------------------------------------------
# Files of OUT melcli writes in place or parses, crafted.
#
# Hard links: OUT is untrusted (a CI cache, a shared folder). A symbolic link in
# the place of the lock, the journal or the manifest store was refused, but a
# hard link is a regular file: opened in place, it was written through, and its
# other names may be anywhere on the file system. The lock got the run's pid
# (now it locks, and keeps no pid), the journal the run's entries, the SQLite
# store the run's pages, and an ``-shm`` beside a store whose header asks for
# WAL the WAL index: each written over a file outside OUT. Files written whole
# (a temporary name, then a rename) only replace the name in OUT.
#
# What melcli parses: JSON nested deeper than Python's parser goes (SQLite's
# JSON functions take 1000 levels) raised RecursionError, a traceback; the
# gallery's ``cache.json`` was read through links, and waited on as a FIFO; an
# array claiming a billion frames was a MemoryError in the gallery; and a
# sparse manifest claiming gigabytes was read into memory whole.


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


# -----------------------------------------------------------------------------
# A folder in OUT where SQLite keeps the store's journal.
#
# OUT is untrusted. With a folder named ``.melcli-manifest.db-journal`` there,
# the run said ``cannot write OUT/manifest.jsonl: is a directory`` (the
# manifest is a file: the folder is another name), and left the store it had
# made, ``.melcli-manifest.db.melcli-tmp``, in OUT after every run. The
# error now names the folder, and the store made is removed.


STORE = ".melcli-manifest.db"


def test_a_folder_in_place_of_the_stores_journal_is_named(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    out = tmp_path / "out"
    assert melcli.run(src, out).exit_code == 0
    (out / f"{STORE}-journal").mkdir()
    (src / "0.wav").touch()

    report = melcli.run(src, out)

    assert report.exit_code == 1
    (error,) = report.errors  # then: what was written is kept, in the view
    assert error == (
        f"cannot write {out / STORE}: {STORE}-journal is a folder, not a file "
        "(remove it); manifest.jsonl records this run (and is read whole by "
        "every run until then)"
    )
    assert sorted(p.name for p in out.iterdir() if "tmp" in p.name) == []
    assert (out / "0.npy").is_file()
