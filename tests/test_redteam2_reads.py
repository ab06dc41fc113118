"""What ``melcli stats`` and ``SpectrogramDataset`` read from an untrusted OUT.

- a FIFO named like an array (``x.npy``), a shard (``shard-000000.tar``) or
  ``stats.npz``: it is refused in words, never waited on (a read would block
  for ever);
- arrays that are no real numbers (records, complex, text): ``melcli stats``
  says so naming the file, instead of a traceback (records) or a silent
  cast that drops the imaginary part (complex);
- a ``stats.npz`` that is an ``.npy``, or whose mean is NaN: ``normalize=True``
  refuses it, instead of a traceback or arrays of NaN;
- a shard cut short: its member past the end is refused naming the shard.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import RUN_LIMIT, invoke, two_classes

import melcli
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.manifest import Manifest
from melcli.storage.webdataset import npy_members, read_npy

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return two_classes(tmp_path / "src")


def in_child(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python: a read that blocks fails by the limit."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )


def error_in_child(out: Path, statement: str) -> str:
    """Run ``statement`` in a fresh Python; return ``TYPE MESSAGE`` of what it raised.

    ``""`` if it raised nothing. It may use ``out`` (OUT's path, as a string)
    and ``SpectrogramDataset``.
    """
    code = (
        "from melcli.data import SpectrogramDataset\n"
        f"out = {str(out)!r}\n"
        "try:\n"
        f"    {statement}\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    child = in_child(code)
    assert child.returncode == 0, child.stderr
    return child.stdout


# ------------------------------------------------------------ FIFOs in OUT
def test_stats_passes_over_a_fifo_named_like_an_array(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "a.npy", np.ones((4, 3), np.float32))
    os.mkfifo(out / "f.npy")
    child = in_child(f"from melcli.stats import write_stats; write_stats({str(out)!r})")
    assert child.returncode == 0, child.stderr
    with np.load(out / "stats.npz") as stats:
        assert int(stats["count"]) == 3


def test_the_dataset_refuses_a_fifo_in_place_of_its_array(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    (out / "dogs" / "a.npy").unlink()
    os.mkfifo(out / "dogs" / "a.npy")
    error = error_in_child(
        out, "ds = SpectrogramDataset(out); [ds[i] for i in range(len(ds))]"
    )
    assert "MelcliError" in error
    assert "a.npy: not a regular file (a FIFO)" in error


def test_the_dataset_refuses_a_fifo_in_place_of_its_shard(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, storage_format="webdataset")
    (out / "shard-000000.tar").unlink()
    os.mkfifo(out / "shard-000000.tar")
    error = error_in_child(out, "SpectrogramDataset(out)[0]")
    assert "shard-000000.tar" in error
    assert "not a regular file (a FIFO)" in error


def test_normalize_refuses_a_fifo_or_a_link_as_stats_npz(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    os.mkfifo(out / "stats.npz")
    error = error_in_child(out, "SpectrogramDataset(out, normalize=True)")
    assert f"MelcliError cannot read {out / 'stats.npz'}: a FIFO" in error
    # A link in OUT leading out is not followed.
    (out / "stats.npz").unlink()
    outside = tmp_path / "elsewhere.npz"
    np.savez(outside, mean=np.zeros(128), std=np.ones(128))
    (out / "stats.npz").symlink_to(outside)
    with pytest.raises(MelcliError, match="a symbolic link"):
        SpectrogramDataset(out, normalize=True)
    # Given by the caller, the same file is read.
    assert SpectrogramDataset(out, normalize=outside).mean is not None


# ------------------------------------------------- arrays of other kinds
@pytest.mark.parametrize(
    "array",
    [
        np.zeros((4, 5), dtype=[("x", "f4"), ("y", "f4")]),
        np.zeros((4, 5), np.complex64),
        np.zeros((4, 5), "datetime64[s]"),
    ],
    ids=["records", "complex", "dates"],
)
def test_stats_names_an_array_that_holds_no_real_numbers(
    tmp_path: Path, array: np.ndarray
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "a.npy", np.ones((4, 5), np.float32))
    np.save(out / "b.npy", array)
    result = invoke("stats", out)
    assert result.exit_code == 1
    assert f"{out / 'b.npy'}: array of dtype {array.dtype}" in result.stderr
    assert "does not hold real numbers" in result.stderr
    assert not (out / "stats.npz").exists()


# ---------------------------------------------------- a crafted stats.npz
def test_normalize_refuses_a_stats_file_that_is_no_archive(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    with open(out / "stats.npz", "wb") as f:
        np.save(f, np.zeros(128))
    with pytest.raises(MelcliError, match=r"not the stats\.npz of 'melcli stats'"):
        SpectrogramDataset(out, normalize=True)


def test_normalize_refuses_a_mean_that_is_not_finite(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    with open(out / "stats.npz", "wb") as f:
        np.savez(f, mean=np.full(128, np.nan), std=np.ones(128))
    with pytest.raises(MelcliError, match="mean holds NaN or Inf"):
        SpectrogramDataset(out, normalize=True)


# ---------------------------------------------------------- a cut shard
def test_a_member_past_the_end_of_a_cut_shard_is_refused(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, storage_format="webdataset")
    manifest = Manifest.load(out)
    members = [m for k in sorted(manifest.entries) for m in npy_members(manifest, k)]
    last = max(members, key=lambda m: m.offset)
    os.truncate(last.path, last.offset + last.size // 2)
    with pytest.raises(ValueError, match="before the member's end"):
        read_npy(last)
    result = invoke("stats", out)
    assert result.exit_code == 1
    assert "cut short?" in result.stderr
