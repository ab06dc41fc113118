"""A hostile OUT, cases the other tests leave out: what stands where melcli's files go.

- the lock file replaced by a FIFO or a folder: the run cannot start, and says
  why in one line (exit status 2), instead of a traceback;
- an ``.npy`` in OUT whose bytes were changed while its size and time were
  kept (a crafted cache, a bad copy): a header announcing terabytes, Python
  objects, NaN, another type or rank. The gallery says so on the input's card,
  and adding ``--png`` to an up-to-date run builds the array again instead of
  drawing (or failing on) what is there.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, two_classes

import melcli
from melcli.outdir import LOCK_NAME

pytestmark = pytest.mark.usefixtures("isolated")


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
