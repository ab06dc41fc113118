"""What ``melcli stats``, ``normalize`` and ``SpectrogramDataset`` read from OUT.

OUT is untrusted: FIFOs in place of arrays or shards, statistics of other
settings, entries of the store that are dropped.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RUN_LIMIT, WriteAudio, invoke, noise, two_classes

import melcli
from melcli import MelParams
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.manifest import Manifest
from melcli.manifest_db import STORE_NAME
from melcli.storage.webdataset import npy_members, read_npy

pytestmark = pytest.mark.usefixtures("isolated")


# -----------------------------------------------------------------------------
# What ``melcli stats`` and ``SpectrogramDataset`` read from an untrusted OUT.
#
# - a FIFO named like an array (``x.npy``), a shard (``shard-000000.tar``) or
#   ``stats.npz``: it is refused in words, never waited on (a read would block
#   for ever);
# - arrays that are no real numbers (records, complex, text): ``melcli stats``
#   says so naming the file, instead of a traceback (records) or a silent
#   cast that drops the imaginary part (complex);
# - a ``stats.npz`` that is an ``.npy``, or whose mean is NaN: ``normalize=True``
#   refuses it, instead of a traceback or arrays of NaN;
# - a shard cut short: its member past the end is refused naming the shard.


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


# -----------------------------------------------------------------------------
# Statistics and the training dataset, as the redteam3 trial found them.
#
# - ``stats.npz`` said nothing of the arrays it was computed from: after a
#   run with other settings (``--top-db 40``, the same number of bands),
#   ``SpectrogramDataset(normalize=True)`` standardised the new arrays with
#   the old statistics, silently. Now ``stats.npz`` holds the settings
#   fingerprint, and the dataset refuses statistics of other settings;
# - ``SpectrogramDataset`` took the arrays of every entry, whatever their
#   settings (a run over some inputs with other settings leaves the rest):
#   one training set silently mixed two front ends. Now that is an error;
# - a crafted ``stats.npz`` of a few kilobytes (compressed zeros) claiming
#   millions of "bands" was read whole: numpy allocated its claim (428 MB of
#   memory from a 777 kB file). The arrays' headers are now checked first.


@pytest.fixture
def dogs_and_cats(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, folder in enumerate(("dogs", "dogs", "cats")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        sf.write(root / folder / f"{k}.wav", noise(seconds=0.3, seed=k), 22050)
    return root


def test_stats_of_other_settings_are_not_used_to_normalize(
    dogs_and_cats: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([dogs_and_cats], out, jobs=1, stats=True)
    assert len(SpectrogramDataset(out, normalize=True)) == 3
    # Other settings, no --stats:
    melcli.run([dogs_and_cats], out, jobs=1, params=MelParams(top_db=40.0))
    with pytest.raises(MelcliError, match=r"made with other settings.*melcli stats"):
        SpectrogramDataset(out, normalize=True)
    assert invoke("stats", out).exit_code == 0
    ds = SpectrogramDataset(out, normalize=True)
    x, _ = ds[0]
    assert np.isfinite(x).all()


def test_stats_given_from_another_out_must_match_its_settings(
    dogs_and_cats: Path, tmp_path: Path
) -> None:
    train, test = tmp_path / "train", tmp_path / "test"
    melcli.run([dogs_and_cats], train, jobs=1, stats=True)
    melcli.run([dogs_and_cats], test, jobs=1)
    assert len(SpectrogramDataset(test, normalize=train / "stats.npz")) == 3
    melcli.run([dogs_and_cats], test, jobs=1, params=MelParams(hop_length=256))
    with pytest.raises(MelcliError, match="made with other settings"):
        SpectrogramDataset(test, normalize=train / "stats.npz")


def test_stats_npz_records_the_settings_of_its_arrays(
    dogs_and_cats: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([dogs_and_cats], out, jobs=1, stats=True)
    with np.load(out / "stats.npz") as z:
        assert str(z["settings"]) == MelParams().fingerprint()


def test_a_dataset_of_arrays_made_with_two_settings_is_refused(
    dogs_and_cats: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([dogs_and_cats], out, jobs=1)
    melcli.run(
        [dogs_and_cats], out, jobs=1, include=["dogs/*"], params=MelParams(top_db=40.0)
    )
    with pytest.raises(MelcliError, match=r"2 different settings.*--prune"):
        SpectrogramDataset(out)


def test_a_stats_npz_claiming_millions_of_bands_is_refused_unread(
    dogs_and_cats: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([dogs_and_cats], out, jobs=1, stats=True)
    n = 10_000_000  # 80 MB each once read; about 80 kB compressed
    with zipfile.ZipFile(out / "stats.npz", "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("mean", "std"):
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                header = {"descr": "<f8", "fortran_order": False, "shape": (n,)}
                np.lib.format.write_array_header_1_0(f, header)
                for _ in range(8 * n // (1 << 20)):
                    f.write(bytes(1 << 20))
    assert (out / "stats.npz").stat().st_size < 2_000_000
    with pytest.raises(MelcliError, match=r"shape \(10000000,\) is not one value"):
        SpectrogramDataset(out, normalize=True)


# -----------------------------------------------------------------------------
# Readers of OUT say what they dropped of the store's entries read whole.
#
# The store's entries are checked when they are read whole, and a reader that
# only asked for the manifest's problems before reading them heard nothing of
# one dropped then: the data loader, which refuses a training set with missing
# items, gave one item fewer without a word, and ``melcli stats`` computed its
# statistics over fewer arrays with no warning (``melcli gallery``, which reads
# its entries first, said it). An entry whose packed facts are fine and whose
# JSON is not: a store damaged or crafted in place.


@pytest.fixture
def out(write_audio: WriteAudio, tmp_path: Path) -> Path:
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "audio", "-o", out, "-j", "1").exit_code == 0
    with sqlite3.connect(out / STORE_NAME) as db:  # in place: its view stays its
        db.execute(
            "UPDATE entries SET entry = json_set(entry, '$.shape', 'x') "
            "WHERE key = 'b.npy'"
        )
    db.close()
    return out


def test_the_data_loader_refuses_a_store_entry_it_drops(out: Path) -> None:
    with pytest.raises(MelcliError, match=r"dropped 1 invalid entry"):
        SpectrogramDataset(out)


def test_stats_says_it_dropped_a_store_entry(out: Path) -> None:
    result = invoke("stats", out)
    assert "from 2 arrays" in result.stderr
    assert "dropped 1 invalid entry" in result.stderr
