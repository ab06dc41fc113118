"""An array in OUT that claims far more than its blocks hold (a sparse file, a
crafted header) is not read: every reader of OUT's arrays (``melcli stats``,
the gallery, ``SpectrogramDataset``, a PNG-only re-render, shard members)
says so in one line naming the file, in a moment, instead of reading
gigabytes of zeros."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, two_classes

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.manifest import MANIFEST_NAME
from melcli.outdir import _READ_WHOLE, load_npy
from melcli.storage.tarshards import Slice
from melcli.storage.webdataset import read_npy

pytestmark = pytest.mark.usefixtures("isolated")

#: Frames of a (128, FRAMES) float32 array of 64 MiB: read in about a second
#: if it is read, a claim small enough for any file system to hold as a hole.
FRAMES = 1 << 17
SPARSE = "a sparse file (with holes) claiming an array of 67 MB: not read"


def holes_known(folder: Path) -> bool:
    """Whether this file system reports holes (else nothing can be told)."""
    probe = folder / "probe"
    with open(probe, "wb") as f:
        f.truncate(1 << 20)
    try:
        with open(probe, "rb") as f:
            return os.lseek(f.fileno(), 0, os.SEEK_HOLE) == 0
    except (OSError, AttributeError):
        return False
    finally:
        probe.unlink()


def make_sparse(path: Path, frames: int = FRAMES, at: int = 0) -> int:
    """Write at ``at`` an .npy header claiming (128, frames) float32 and no data
    (a hole); return where the data starts."""
    with open(path, "r+b" if path.exists() else "wb") as f:
        f.seek(at)
        header = {"descr": "<f4", "fortran_order": False, "shape": (128, frames)}
        np.lib.format.write_array_header_1_0(f, header)
        data = f.tell()
        f.truncate(data + 128 * frames * 4)
    return data


@pytest.fixture
def out(tmp_path: Path) -> Path:
    if not holes_known(tmp_path):
        pytest.skip("this file system does not report holes (SEEK_HOLE)")
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    make_sparse(out / "dogs" / "a.npy")
    return out


def test_stats_names_a_sparse_array_and_reads_none_of_it(out: Path) -> None:
    result = invoke("stats", out)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {out / 'dogs' / 'a.npy'}: {SPARSE} (melcli writes every byte of "
        "its arrays); delete it and run 'melcli mel' again to rebuild it"
    ]
    assert not (out / "stats.npz").exists()


def test_the_dataset_and_the_gallery_name_it_too(out: Path) -> None:
    ds = SpectrogramDataset(out)
    at = [item.source for item in ds.items].index("dogs/a.wav")
    with pytest.raises(MelcliError, match=re.escape(f"dogs/a.npy: {SPARSE}")):
        ds[at]
    result = invoke("gallery", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert f"note: dogs/a.wav: no picture: {SPARSE}" in result.stderr


def test_a_png_of_it_makes_the_array_again(out: Path) -> None:
    # Its stamp is the manifest's no longer: rebuilt, as any changed output.
    result = invoke("mel", out.parent / "src", "-o", out, "-j", "1", "--png")
    assert result.exit_code == 0, result.stderr
    assert load_npy(out / "dogs" / "a.npy").shape[0] == 128


def test_a_shard_member_with_a_hole_is_not_read(tmp_path: Path) -> None:
    if not holes_known(tmp_path):
        pytest.skip("this file system does not report holes (SEEK_HOLE)")
    shard = tmp_path / "shard-000000.tar"
    shard.write_bytes(b"x" * 1536)  # tar headers and other members before it
    data = make_sparse(shard, at=1536)
    size = data - 1536 + 128 * FRAMES * 4
    with pytest.raises(ValueError, match=re.escape(SPARSE)):
        read_npy(Slice(shard, 1536, size))


def test_a_small_array_with_holes_is_read_as_any(tmp_path: Path) -> None:
    # A file system may keep a silent input's zeros as holes (ZFS compresses
    # them so): below what is mapped, reading it costs nothing.
    frames = _READ_WHOLE // (128 * 4)
    path = tmp_path / "silent.npy"
    make_sparse(path, frames=frames)
    array = load_npy(path)
    assert array.shape == (128, frames)
    assert not array.any()


def test_prune_does_not_copy_a_sample_that_lies_in_holes(tmp_path: Path) -> None:
    # A crafted entry of an input the run leaves out (kept, live) points at a
    # gigabyte of holes past its shard's end: --prune, rewriting that shard,
    # would have written a gigabyte of zeros into OUT.
    if not holes_known(tmp_path):
        pytest.skip("this file system does not report holes (SEEK_HOLE)")
    src = two_classes(tmp_path / "src")
    out = tmp_path / "out"
    wds = ("--format", "webdataset", "-j", "1")
    assert invoke("mel", src, "-o", out, *wds).exit_code == 0
    path = out / MANIFEST_NAME
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    shard = out / lines[0]["shard"]
    end = shard.stat().st_size
    with open(shard, "r+b") as f:
        f.truncate(end + (1 << 30))
    stamp = [shard.stat().st_size, shard.stat().st_mtime_ns]
    crafted = next(e for e in lines if e["source"].startswith("cats/"))
    crafted["span"] = [end, end + (1 << 30)]
    crafted["members"] = {"npy": [end + 512, (1 << 30) - 512]}
    for entry in lines:
        entry["stamps"] = {entry["shard"]: stamp}
    path.write_text("".join(json.dumps(e) + "\n" for e in lines))
    gone = next(e for e in lines if e["source"].startswith("dogs/"))
    (src / gone["source"]).unlink()  # its sample is dead: the shard is rewritten

    result = invoke("mel", src, "-o", out, *wds, "--include", "dogs/*", "--prune")

    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: {shard}: the sample of {crafted['key']} lies in a sparse part "
        "(with holes): not copied"
    ) in result.stderr
    assert all(p.stat().st_size < 1 << 24 for p in out.glob("shard-*.tar"))
    assert crafted["key"] not in {
        json.loads(x)["key"] for x in path.read_text().splitlines()
    }
