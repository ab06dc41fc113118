"""A rebuild that fails keeps the outputs that are still true.

``--force`` on a full disk deleted every good array whose rebuild failed:
the rule "an input rebuilt that now fails loses its old outputs" is meant for
inputs or settings that changed (the old arrays describe what is gone), not
for an input rebuilt though nothing changed. Now such an input keeps its
entry and its files, says so, and the next run finds it up to date; an input
that changed still loses them.
"""

from __future__ import annotations

import errno
import os
import tarfile
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import pipeline, render
from melcli.report import Status

pytestmark = pytest.mark.usefixtures("isolated")


def _full_disk(monkeypatch: pytest.MonkeyPatch, *, suffix: str = "") -> None:
    """Make every array write (or, with ``suffix``, every such file) fail."""
    if suffix:
        real = render.atomic_write

        def atomic_write(path: Path, write: object) -> None:
            if os.fspath(path).endswith(suffix):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real(path, write)  # type: ignore[arg-type]

        monkeypatch.setattr(render, "atomic_write", atomic_write)
        return

    def save_npy(path: object, array: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pipeline, "save_npy", save_npy)


def _arrays(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.npy"))}


def test_force_on_a_full_disk_keeps_the_good_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    before = _arrays(out)
    assert len(before) == 3

    with monkeypatch.context() as m:
        _full_disk(m)
        report = melcli.run([src], out, jobs=1, force=True)

    assert report.count(Status.FAILED) == 3
    for result in report.results:
        assert result.reason.endswith("; its earlier output, still up to date, is kept")
    assert _arrays(out) == before
    again = melcli.run([src], out, jobs=1)
    assert again.count(Status.UP_TO_DATE) == 3, again.summary()
    assert _arrays(out) == before


def test_a_changed_input_whose_rebuild_fails_still_loses_its_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    changed = src / "0.wav"
    os.utime(changed, ns=(1, 1))  # another input now

    with monkeypatch.context() as m:
        _full_disk(m)
        report = melcli.run([src], out, jobs=1, force=True)

    assert report.count(Status.FAILED) == 2
    assert not (out / "0.npy").exists()  # it described audio that is gone
    assert (out / "1.npy").exists()
    (kept,) = [r for r in report.results if r.src.name == "1.wav"]
    assert "is kept" in kept.reason
    (lost,) = [r for r in report.results if r.src.name == "0.wav"]
    assert "is kept" not in lost.reason


def test_a_png_that_cannot_be_drawn_keeps_its_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PNG missing is drawn alone; failing, it took the good array with it."""
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, png=True)
    (out / "0.png").unlink()
    before = _arrays(out)

    with monkeypatch.context() as m:
        _full_disk(m, suffix=".png")
        report = melcli.run([src], out, jobs=1, png=True)

    assert report.count(Status.FAILED) == 1, report.summary()
    assert _arrays(out) == before
    again = melcli.run([src], out, jobs=1, png=True)
    assert again.count(Status.FAILED) == 0, again.summary()
    assert (out / "0.png").is_file()
    assert _arrays(out) == before


def test_force_on_a_full_disk_keeps_the_samples_of_a_webdataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, storage_format="webdataset")
    (shard,) = out.glob("*.tar")
    before = shard.read_bytes()

    with monkeypatch.context() as m:
        _full_disk(m)
        report = melcli.run([src], out, jobs=1, storage_format="webdataset", force=True)
    assert report.count(Status.FAILED) == 3
    assert shard.read_bytes() == before
    again = melcli.run([src], out, jobs=1, storage_format="webdataset", prune=True)

    assert again.count(Status.WRITTEN) == 0, again.summary()
    assert shard.read_bytes() == before
    with tarfile.open(shard) as tar:
        assert sorted(n for n in tar.getnames() if n.endswith(".npy")) == [
            "0.npy",
            "1.npy",
            "2.npy",
        ]


def test_force_on_a_full_disk_keeps_a_shards_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = short_tones(tmp_path / "src", 4)
    out = tmp_path / "out"
    for index in range(2):
        melcli.run([src], out, jobs=1, shard=f"{index}/2")
    before = _arrays(out)

    with monkeypatch.context() as m:
        _full_disk(m)
        report = melcli.run([src], out, jobs=1, shard="0/2", force=True)
    assert report.count(Status.FAILED) >= 1
    assert _arrays(out) == before
    again = melcli.run([src], out, jobs=1, shard="0/2", prune=True)

    assert again.count(Status.WRITTEN) == 0, again.summary()
    assert _arrays(out) == before
