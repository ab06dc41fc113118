"""``melcli stats --files-from LIST --dest FILE``: a training split's statistics.

Session 25's trial: ``write_stats(paths=, dest=)`` was Python-only; the
command had no way to write the statistics of the training folds alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import invoke, short_tones

import melcli


def _dataset(tmp_path: Path) -> tuple[Path, Path]:
    """Four tones listed with a fold each, run into OUT; a list of folds 1-3."""
    audio = short_tones(tmp_path / "audio", 4)
    rows = [f"{k}.wav,{k + 1}" for k in range(4)]
    (tmp_path / "meta.csv").write_text("filename,fold\n" + "\n".join(rows) + "\n")
    (tmp_path / "train.csv").write_text("filename,fold\n" + "\n".join(rows[:3]) + "\n")
    out = tmp_path / "features"
    report = melcli.run(
        [], out, files_from=tmp_path / "meta.csv", root=audio, jobs=1, stats=True
    )
    assert report.exit_code == 0
    return audio, out


def test_the_command_writes_the_statistics_of_the_listed_inputs(
    tmp_path: Path,
) -> None:
    audio, out = _dataset(tmp_path)
    dest = tmp_path / "train stats.npz"
    said = invoke(
        "stats", out, "--files-from", tmp_path / "train.csv", "--root", audio,
        "--dest", dest,
    )  # fmt: skip
    assert said.exit_code == 0, said.stderr
    assert said.stderr == f"wrote {dest}: 128 bands, 27 frames from 3 arrays\n"
    frames = np.concatenate([np.load(out / f"{k}.npy") for k in range(3)], axis=1)
    with np.load(dest) as written:
        np.testing.assert_allclose(written["mean"], frames.mean(axis=1), rtol=1e-6)
        np.testing.assert_allclose(written["std"], frames.std(axis=1), rtol=1e-5)
        assert int(written["count"]) == frames.shape[1]
    # The same call in Python, and the loader takes the file.
    again = melcli.write_stats(
        out, files_from=tmp_path / "train.csv", root=audio, dest=tmp_path / "b.npz"
    )
    np.testing.assert_allclose(again.mean, frames.mean(axis=1), rtol=1e-6)
    from melcli.data import SpectrogramDataset

    assert len(SpectrogramDataset(out, normalize=dest)) == 4


def test_a_list_needs_dest_and_names_what_it_lacks(tmp_path: Path) -> None:
    audio, out = _dataset(tmp_path)
    before = (out / "stats.npz").read_bytes()
    train = tmp_path / "train.csv"
    said = invoke("stats", out, "--files-from", train, "--root", audio)
    assert said.exit_code == 2
    assert "give --dest FILE" in said.stderr
    assert (out / "stats.npz").read_bytes() == before
    # A listed input with no array in OUT: left out, said; the rest written.
    (audio / "new.wav").write_bytes((audio / "0.wav").read_bytes())
    train.write_text(train.read_text() + "new.wav,1\n")
    dest = tmp_path / "t.npz"
    said = invoke(
        "stats", out, "--files-from", train, "--root", audio, "--dest", dest
    )  # fmt: skip
    assert said.exit_code == 0, said.stderr
    assert said.stderr.splitlines()[0] == (
        f"warning: left out 1 input listed in {train} that has no array in "
        f"{out} (failed, or not run into it): {audio / 'new.wav'}"
    )
    # Without --root: none found where the list says; nothing written.
    said = invoke("stats", out, "--files-from", train, "--dest", tmp_path / "x.npz")
    assert said.exit_code == 1
    assert said.stderr.startswith(f"error: no file listed in {train} was found")
    assert f"give --root {audio}" in said.stderr
    assert not (tmp_path / "x.npz").exists()
