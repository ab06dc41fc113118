"""Dataset statistics against numpy over the concatenated arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from melcli import MelcliError, stats
from melcli.cli import cli
from melcli.write import TEMP_SUFFIX


def frames_of(array: np.ndarray) -> np.ndarray:
    """(..., bands, frames) -> (bands, all frames): the documented pooling."""
    moved = np.moveaxis(array.astype(np.float64), -2, 0)
    return moved.reshape(array.shape[-2], -1)


def reference(arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
    x = np.concatenate([frames_of(a) for a in arrays], axis=1)
    return {
        "mean": x.mean(axis=1),
        "std": x.std(axis=1),
        "min": x.min(axis=1),
        "max": x.max(axis=1),
        "count": np.int64(x.shape[1]),
    }


def save_all(root: Path, arrays: dict[str, np.ndarray]) -> None:
    for name, array in arrays.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        np.save(root / name, array)


def check(got: dict[str, np.ndarray] | np.lib.npyio.NpzFile, want: dict) -> None:  # type: ignore[type-arg]
    assert int(got["count"]) == int(want["count"])
    for key in ("mean", "std", "min", "max"):
        assert got[key].dtype == np.float64
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-9)


def test_mono_multichannel_and_stacked_arrays_pool_frames(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "a.npy": rng.normal(-40, 10, (12, 300)).astype(np.float32),
        "b/c.npy": rng.normal(-30, 5, (2, 12, 77)).astype(np.float32),  # channels
        "d.npy": rng.normal(-50, 20, (5, 12, 40)).astype(np.float16),  # segments
        "e.npy": rng.normal(-20, 1, (3, 2, 12, 9)).astype(np.float32),  # both
    }
    save_all(tmp_path, arrays)
    result = stats.write_stats(tmp_path)
    want = reference(list(arrays.values()))
    with np.load(tmp_path / "stats.npz") as saved:
        assert sorted(saved.files) == ["count", "max", "mean", "min", "std"]
        check(saved, want)
    assert result.count == 300 + 2 * 77 + 5 * 40 + 3 * 2 * 9
    assert [p.relative_to(tmp_path).as_posix() for p in result.files] == sorted(arrays)


def test_large_offset_where_float32_sums_of_squares_fail(tmp_path: Path) -> None:
    """Values near 1e4 with a spread of 1e-2: E[x^2] - E[x]^2 in float32 is noise."""
    rng = np.random.default_rng(1)
    arrays = {
        f"{i}.npy": (1e4 + rng.normal(0, 1e-2, (4, 50_000))).astype(np.float32)
        for i in range(6)
    }
    save_all(tmp_path, arrays)
    got = stats.write_stats(tmp_path)
    want = reference(list(arrays.values()))
    np.testing.assert_allclose(got.std, want["std"], rtol=1e-9)
    np.testing.assert_allclose(got.mean, want["mean"], rtol=1e-14)
    # The naive formula, as it is often written, is far off here: the test could fail.
    x = np.concatenate([a for a in arrays.values()], axis=1)
    naive = np.sqrt(
        np.maximum((x * x).mean(axis=1, dtype=np.float32) - x.mean(axis=1) ** 2, 0)
    )
    assert np.max(np.abs(naive - want["std"]) / want["std"]) > 0.1


def test_chunked_merging_equals_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats, "CHUNK_FRAMES", 7)
    rng = np.random.default_rng(2)
    arrays = {f"{i}.npy": rng.normal(i, i + 1, (3, 5 + 11 * i)) for i in range(5)}
    save_all(tmp_path, arrays)
    got = stats.compute(sorted(tmp_path.glob("*.npy")))
    check(vars(got), reference(list(arrays.values())))


def test_manifest_decides_which_arrays_count(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    import soundfile as sf
    from conftest import noise, tone

    sf.write(audio / "a.wav", tone(seconds=1.0), 22050)
    sf.write(audio / "b.wav", noise(seconds=0.5), 22050)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["mel", str(audio), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    np.save(out / "foreign.npy", np.full((128, 10), 1e6, dtype=np.float32))
    result = CliRunner().invoke(cli, ["stats", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)
    want = reference([np.load(out / "a.npy"), np.load(out / "b.npy")])
    assert row["count"] == int(want["count"])
    assert row["arrays"] == 2
    assert row["n_bands"] == 128
    np.testing.assert_allclose(row["mean"], want["mean"], rtol=1e-12)
    assert "wrote" in result.stderr
    assert "2 arrays" in result.stderr
    with np.load(out / "stats.npz") as saved:
        check(saved, want)
    assert not list(out.rglob(f"*{TEMP_SUFFIX}"))


def test_mel_stats_covers_this_runs_arrays(tmp_path: Path) -> None:
    import soundfile as sf
    from conftest import noise, tone

    audio = tmp_path / "audio"
    (audio / "x").mkdir(parents=True)
    sf.write(audio / "a.wav", tone(seconds=1.0), 22050)
    sf.write(audio / "x" / "b.wav", noise(seconds=0.7), 22050)
    out = tmp_path / "out"
    args = ["mel", str(audio), "-o", str(out), "-j", "1", "--n-mels", "32", "--stats"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    want = reference([np.load(out / "a.npy"), np.load(out / "x" / "b.npy")])
    with np.load(out / "stats.npz") as saved:
        check(saved, want)
    # A re-run with nothing to do still counts the up-to-date arrays.
    (out / "stats.npz").unlink()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "2 up to date" in result.stderr
    with np.load(out / "stats.npz") as saved:
        check(saved, want)


def test_mismatched_bands_fail_naming_the_file(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((10, 4), dtype=np.float32))
    np.save(tmp_path / "b.npy", np.zeros((12, 4), dtype=np.float32))
    with pytest.raises(MelcliError, match=r"b\.npy: array has 12 bands"):
        stats.write_stats(tmp_path)
    assert not (tmp_path / "stats.npz").exists()
    result = CliRunner().invoke(cli, ["stats", str(tmp_path)])
    assert result.exit_code == 1
    assert "array has 12 bands, the arrays before it 10" in result.stderr


def test_empty_tree_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", str(tmp_path)])
    assert result.exit_code == 1
    assert "no arrays to compute statistics over" in result.stderr
    assert not (tmp_path / "stats.npz").exists()
