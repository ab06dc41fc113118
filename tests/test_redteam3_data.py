"""Statistics and the training dataset, as the redteam3 trial found them.

- ``stats.npz`` said nothing of the arrays it was computed from: after a
  run with other settings (``--top-db 40``, the same number of bands),
  ``SpectrogramDataset(normalize=True)`` standardised the new arrays with
  the old statistics, silently. Now ``stats.npz`` holds the settings
  fingerprint, and the dataset refuses statistics of other settings;
- ``SpectrogramDataset`` took the arrays of every entry, whatever their
  settings (a run over some inputs with other settings leaves the rest):
  one training set silently mixed two front ends. Now that is an error;
- a crafted ``stats.npz`` of a few kilobytes (compressed zeros) claiming
  millions of "bands" was read whole: numpy allocated its claim (428 MB of
  memory from a 777 kB file). The arrays' headers are now checked first.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import invoke, noise

import melcli
from melcli import MelParams
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, folder in enumerate(("dogs", "dogs", "cats")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        sf.write(root / folder / f"{k}.wav", noise(seconds=0.3, seed=k), 22050)
    return root


def test_stats_of_other_settings_are_not_used_to_normalize(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, stats=True)
    assert len(SpectrogramDataset(out, normalize=True)) == 3
    melcli.run([src], out, jobs=1, params=MelParams(top_db=40.0))  # no --stats
    with pytest.raises(MelcliError, match=r"made with other settings.*melcli stats"):
        SpectrogramDataset(out, normalize=True)
    assert invoke("stats", out).exit_code == 0
    ds = SpectrogramDataset(out, normalize=True)
    x, _ = ds[0]
    assert np.isfinite(x).all()


def test_stats_given_from_another_out_must_match_its_settings(
    src: Path, tmp_path: Path
) -> None:
    train, test = tmp_path / "train", tmp_path / "test"
    melcli.run([src], train, jobs=1, stats=True)
    melcli.run([src], test, jobs=1)
    assert len(SpectrogramDataset(test, normalize=train / "stats.npz")) == 3
    melcli.run([src], test, jobs=1, params=MelParams(hop_length=256))
    with pytest.raises(MelcliError, match="made with other settings"):
        SpectrogramDataset(test, normalize=train / "stats.npz")


def test_stats_npz_records_the_settings_of_its_arrays(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, stats=True)
    with np.load(out / "stats.npz") as z:
        assert str(z["settings"]) == MelParams().fingerprint()


def test_a_dataset_of_arrays_made_with_two_settings_is_refused(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    melcli.run([src], out, jobs=1, include=["dogs/*"], params=MelParams(top_db=40.0))
    with pytest.raises(MelcliError, match=r"2 different settings.*--prune"):
        SpectrogramDataset(out)


def test_a_stats_npz_claiming_millions_of_bands_is_refused_unread(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, stats=True)
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
