"""An array of OUT cut short by another program while melcli reads it.

OUT is untrusted, and shared: another program may truncate one of its files
in place at any moment. Its arrays were memory-mapped (``np.memmap``,
``np.load(mmap_mode="r")``) by the data loader, ``melcli stats``, the gallery,
the PNG of a streamed input and a PNG-only re-render; a mapped file cut short
kills the process with SIGBUS (exit 135, ``-7`` from ``subprocess``) when the
pages past its new end are touched, or, cut inside its last page, reads as
zeros: taken as whole. Now every one reads (:class:`melcli.outdir.NpyFile`),
and a file cut short is one line naming it and the cause, or a clear error.

Each test cuts the file at one moment, through a function the reader calls
after the file was opened (or mapped) and before its bytes are used, in a
fresh Python: the old code's crash is that process's death, not the suite's.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RUN_LIMIT, clean_env, invoke, mel, tone

from melcli.outdir import _READ_WHOLE, load_npy

pytestmark = pytest.mark.usefixtures("isolated")

#: Settings that make a 40-s input's array 20 MB, above ``_READ_WHOLE``
#: (the size from which it was mapped, not read): (128, 40001) float32.
LARGE = ("--sr", "8000", "--hop-length", "8", "--n-fft", "512")

#: Defines ``cut_in(module, name, path, keep)`` in the child: ``module.name``
#: then truncates ``path`` to ``keep`` bytes (another program's doing) the first
#: time it is called, before doing what it did.
CUT = """
import importlib, os
def cut_in(module, name, path, keep):
    module = importlib.import_module(module)
    real = getattr(module, name)
    done = []
    def cutting(*args, **kwargs):
        if not done:
            done.append(os.truncate(path, keep))
        return real(*args, **kwargs)
    setattr(module, name, cutting)
"""


def in_child(code: str, *args: object) -> subprocess.CompletedProcess[str]:
    """Run :data:`CUT` then ``code`` in a fresh Python, ``sys.argv[1:]`` ``args``."""
    return subprocess.run(
        [sys.executable, "-c", CUT + code, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env=clean_env(),
        check=False,
    )


def survived(child: subprocess.CompletedProcess[str]) -> None:
    """Fail unless the child ended by itself, without a traceback."""
    assert child.returncode != -signal.SIGBUS, "killed by SIGBUS: a mapped file"
    assert child.returncode >= 0, f"killed by signal {-child.returncode}"
    assert "Traceback" not in child.stderr, child.stderr


@pytest.fixture(scope="module")
def large_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of one run over ``dogs/a.wav``, whose array is 20 MB."""
    root = tmp_path_factory.mktemp("large")
    (root / "src" / "dogs").mkdir(parents=True)
    sf.write(root / "src" / "dogs" / "a.wav", tone(seconds=40.0, sr=8000), 8000)
    assert mel(root / "src", root / "out", *LARGE).exit_code == 0
    assert (root / "out" / "dogs" / "a.npy").stat().st_size > _READ_WHOLE
    return root / "out"


@pytest.fixture
def out(large_out: Path, tmp_path: Path) -> Path:
    """A copy of :func:`large_out` (and its SRC) of this test's own, to cut."""
    import shutil

    shutil.copytree(large_out.parent / "src", tmp_path / "src")
    return Path(shutil.copytree(large_out, tmp_path / "out"))


@pytest.fixture
def shards(tmp_path: Path) -> Path:
    """OUT of a ``--format webdataset`` run over two 1-s tones (arrays of 22 kB)."""
    for k, rel in enumerate(("dogs/a.wav", "cats/c.wav")):
        path = tmp_path / "src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(300.0 + 100 * k), 22050)
    out = tmp_path / "shards"
    assert mel(tmp_path / "src", out, "--format", "webdataset").exit_code == 0
    return out


def member_of(out: Path, rel: str) -> tuple[Path, int, int]:
    """Return the shard, offset and size of the ``.npy`` member of input ``rel``."""
    for line in (out / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("source", "").endswith(rel) and "shard" in entry:
            offset, size = entry["members"]["npy"]
            return out / entry["shard"], int(offset), int(size)
    raise AssertionError(f"no sample of {rel}")


# ------------------------------------------------------------- the data loader


@pytest.mark.parametrize("keep", [1000, -100], ids=["to-1000-bytes", "last-100"])
def test_dataset_item_cut_while_read(out: Path, keep: int) -> None:
    """Cut after the array was opened (once: mapped): an error naming the file.

    Cut to 1000 bytes, the mapped array killed the process (SIGBUS); its last
    100 bytes cut (inside the last page), it read them as zeros, whole.
    """
    npy = out / "dogs" / "a.npy"
    size = npy.stat().st_size
    child = in_child(
        """
import sys
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
ds = SpectrogramDataset(sys.argv[1])
cut_in("melcli.data", "check_recorded", sys.argv[2], int(sys.argv[3]))
try:
    x, info = ds[0]
except MelcliError as exc:
    print("refused:", exc)
else:
    print("read whole", x.shape, float(x[:, -20:].max()), float(x.max()))
""",
        out,
        npy,
        keep if keep > 0 else size + keep,
    )
    survived(child)
    assert child.stdout.startswith(f"refused: {npy}: cut short while read:"), (
        child.stdout
    )
    assert "truncated by another program" in child.stdout


def test_dataset_shard_member_cut_while_read(shards: Path) -> None:
    """A shard cut short inside a member the loader reads: an error naming it."""
    shard, offset, _ = member_of(shards, "dogs/a.wav")
    child = in_child(
        """
import sys
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
ds = SpectrogramDataset(sys.argv[1])
[i] = [i for i, item in enumerate(ds.items) if item.source.endswith("a.wav")]
cut_in("melcli.data", "check_recorded", sys.argv[2], int(sys.argv[3]))
try:
    ds[i]
except MelcliError as exc:
    print("refused:", exc)
""",
        shards,
        shard,
        offset + 200,
    )
    survived(child)
    assert child.stdout.startswith(f"refused: {shard}"), child.stdout
    assert "cut short while read" in child.stdout


def test_dataset_stats_npz_cut_while_read(out: Path) -> None:
    """``normalize=True`` with an ``OUT/stats.npz`` cut inside its last array once
    its directory was read: an error naming it, not zipfile's EOFError."""
    import struct
    import zipfile

    assert invoke("stats", out).exit_code == 0
    npz = out / "stats.npz"
    with zipfile.ZipFile(npz) as archive:
        last = max(info.header_offset for info in archive.infolist())
    with open(npz, "rb") as f:  # stored: its .npy header, then its data
        f.seek(last + 26)
        name, extra = struct.unpack("<HH", f.read(4))
        data = last + 30 + name + extra
        f.seek(data + 8)  # an .npy header of version 1: its length
        data += 10 + struct.unpack("<H", f.read(2))[0]
    child = in_child(
        """
import sys
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
cut_in("melcli.data", "_check_bands", sys.argv[2], int(sys.argv[3]))
try:
    SpectrogramDataset(sys.argv[1], normalize=True)
except MelcliError as exc:
    print("refused:", exc)
""",
        out,
        npz,
        data + 2,  # inside the array's data, after its header
    )
    survived(child)
    assert child.stdout.startswith(f"refused: cannot read {npz}: cut short"), (
        child.stdout + child.stderr
    )


# ------------------------------------------------------------ melcli stats


def test_stats_command_says_which_array_was_cut(out: Path) -> None:
    """``melcli stats``: one line naming the array and the cause, no stats.npz."""
    npy = out / "dogs" / "a.npy"
    child = in_child(
        """
import runpy, sys
cut_in("melcli.stats", "check_recorded", sys.argv[2], 1000)
sys.argv = ["melcli", "stats", sys.argv[1]]
runpy.run_module("melcli", run_name="__main__")
""",
        out,
        npy,
    )
    survived(child)
    assert child.returncode == 1, child.stderr
    lines = [line for line in child.stderr.splitlines() if "cut short" in line]
    assert len(lines) == 1, child.stderr
    assert str(npy) in lines[0]
    assert "truncated by another program" in lines[0]
    assert not (out / "stats.npz").exists()


def test_stats_of_shards_cut_while_read(shards: Path) -> None:
    """``write_stats`` of a webdataset OUT whose shard is cut: a clear error."""
    shard, first, _ = min(member_of(shards, rel) for rel in ("a.wav", "c.wav"))
    child = in_child(
        """
import sys, melcli
cut_in("melcli.stats", "check_recorded", sys.argv[2], int(sys.argv[3]))
try:
    melcli.write_stats(sys.argv[1])
except melcli.MelcliError as exc:
    print("refused:", exc)
""",
        shards,
        shard,
        first + 200,
    )
    survived(child)
    assert child.stdout.startswith(f"refused: {shard}"), child.stdout
    assert "cut short while read" in child.stdout


# ---------------------------------------------------------------- the gallery


def test_gallery_card_says_the_array_was_cut(out: Path) -> None:
    """The gallery: the card of the array cut short says so; the build goes on."""
    npy = out / "dogs" / "a.npy"
    child = in_child(
        """
import sys, melcli
cut_in("melcli.gallery", "check_recorded", sys.argv[2], 1000)
report = melcli.build_gallery(sys.argv[1], waveforms=False, jobs=1)
print("\\n".join(report.notes))
""",
        out,
        npy,
    )
    survived(child)
    assert child.returncode == 0, child.stderr
    assert "dogs/a.wav: no picture: cut short while read" in child.stdout


# ------------------------------------------- PNGs: streamed, and re-rendered


def test_png_of_a_streamed_input_cut_before_read_back(tmp_path: Path) -> None:
    """A streamed input's array, cut short before it is read back for the PNG: the
    input fails naming the array and why, and leaves no array behind."""
    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "long.wav", tone(seconds=3.0), 22050)
    out = tmp_path / "out"
    npy = out / "long.npy"
    child = in_child(
        """
import sys, melcli, melcli.stream
melcli.stream.STREAM_SECONDS = 1.0  # streamed, as a 10-min input is
real = melcli.stream.stream_to_npy
def cut_after(src, npy, **kwargs):  # written whole, then cut by another program
    done = real(src, npy, **kwargs)
    os.truncate(npy, 1000)
    return done
melcli.stream.stream_to_npy = cut_after
report = melcli.run(sys.argv[1], sys.argv[2], png=True, jobs=1)
for result in report.results:
    print(result.status.name, result.reason)
""",
        src,
        out,
    )
    survived(child)
    assert child.stdout.startswith(f"FAILED {npy}: just written, not read back: ")
    assert "cannot hold" in child.stdout, child.stdout
    assert not npy.exists()
    assert not (out / "long.png").exists()


def test_png_of_a_streamed_input_cut_while_drawn(tmp_path: Path) -> None:
    """Cut while the PNG is drawn (its array was mapped then): no crash, the PNG
    drawn from the whole array read before."""
    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "long.wav", tone(seconds=3.0), 22050)
    out = tmp_path / "out"
    child = in_child(
        """
import sys, melcli, melcli.stream
melcli.stream.STREAM_SECONDS = 1.0
cut_in("melcli.pipeline", "_render", sys.argv[3], 1000)
report = melcli.run(sys.argv[1], sys.argv[2], png=True, jobs=1)
for result in report.results:
    print(result.status.name)
""",
        src,
        out,
        out / "long.npy",
    )
    survived(child)
    assert child.stdout.split() == ["WRITTEN"], child.stdout + child.stderr
    assert (out / "long.png").stat().st_size > 0


def test_png_only_rerender_of_an_array_cut_while_read(out: Path) -> None:
    """A PNG drawn for an array already up to date (``--png`` added): cut as it is
    read, the run goes on without a crash."""
    npy = out / "dogs" / "a.npy"
    child = in_child(
        """
import runpy, sys
import melcli.pipeline as pipeline
real = pipeline.load_npy
def load_then_cut(path):
    array = real(path)
    os.truncate(path, 1000)  # cut once opened: a mapped array's pages go
    return array
pipeline.load_npy = load_then_cut
sys.argv = ["melcli", "mel", sys.argv[3], "-o", sys.argv[1], "-j", "1", "--png",
            *sys.argv[4:]]
runpy.run_module("melcli", run_name="__main__")
""",
        out,
        npy,
        out.parent / "src",
        *LARGE,
    )
    survived(child)
    assert child.returncode == 0, child.stderr


# ------------------------------------------------------------- the API


@pytest.mark.parametrize("frames", [1000, 40000], ids=["read-whole", "large"])
def test_load_npy_cut_between_check_and_read(tmp_path: Path, frames: int) -> None:
    """``load_npy`` of a file cut after its header was checked: ``CutShort``."""
    path = tmp_path / "a.npy"
    np.save(path, np.ones((128, frames), np.float32))
    child = in_child(
        """
import sys
from melcli.outdir import load_npy
cut_in("melcli.outdir", "check_not_sparse", sys.argv[1], 5000)
try:
    load_npy(sys.argv[1])
except ValueError as exc:
    print(type(exc).__name__, exc)
""",
        path,
    )
    survived(child)
    assert child.stdout.startswith("CutShort cut short while read: "), child.stdout


def test_read_npy_of_a_shard_cut_between_check_and_read(shards: Path) -> None:
    """``read_npy`` of a member whose shard is cut after it was checked."""
    shard, offset, size = member_of(shards, "dogs/a.wav")
    child = in_child(
        """
import sys
from melcli.storage.tarshards import Slice
from melcli.storage.webdataset import read_npy
shard, offset, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cut_in("melcli.storage.webdataset", "check_not_sparse", shard, offset + size - 10)
try:
    read_npy(Slice(shard, offset, size))
except ValueError as exc:
    print(type(exc).__name__, exc)
""",
        shard,
        offset,
        size,
    )
    survived(child)
    assert child.stdout.startswith("CutShort cut short while read: "), child.stdout


def test_arrays_read_are_arrays_not_maps(out: Path, shards: Path) -> None:
    """What the readers return holds its bytes: no mapping of OUT's file is left
    to fault when another program cuts it later."""
    from melcli.data import SpectrogramDataset
    from melcli.storage.tarshards import Slice
    from melcli.storage.webdataset import read_npy

    npy = out / "dogs" / "a.npy"
    whole = load_npy(npy)
    shard, offset, size = member_of(shards, "dogs/a.wav")
    member = read_npy(Slice(shard, offset, size))
    x, _ = SpectrogramDataset(out, normalize=False)[0]
    for array in (whole, member, x):
        assert not isinstance(array, np.memmap)
        assert array.base is None or not isinstance(array.base, np.memmap)
    expected = np.array(np.load(npy))
    npy.write_bytes(b"")  # cut to nothing after the reads
    np.testing.assert_array_equal(whole, expected)
    np.testing.assert_array_equal(x, expected)
