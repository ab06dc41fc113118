"""Hostile OUT, round 24: nothing outside OUT is listed, read or deleted.

A folder of OUT swapped for a symbolic link to elsewhere while melcli walks
OUT, a statistic computed of OUT's arrays by path: what is outside stays
untouched, and unread.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import WriteAudio

from melcli import outdir

TEMP = ".a.npy.0123abcd.melcli-tmp"


def _swapping_scandir(
    monkeypatch: pytest.MonkeyPatch, folder: Path, target: Path
) -> None:
    """Swap ``folder`` for a link to ``target`` right after OUT is listed."""
    real = os.scandir
    calls = []

    def scandir(path: object = ".") -> Iterator[os.DirEntry[str]]:
        listed = list(real(path))  # type: ignore[call-overload]
        calls.append(path)
        if len(calls) == 1:
            os.rename(folder, folder.with_name("moved"))
            folder.symlink_to(target, target_is_directory=True)
        return _Listing(listed)

    monkeypatch.setattr(os, "scandir", scandir)


class _Listing(list):  # type: ignore[type-arg]
    """A listing usable as ``with os.scandir(...) as entries``."""

    def __enter__(self) -> _Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _out_and_outside(tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / TEMP).write_bytes(b"ours")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / TEMP).write_bytes(b"not melcli's")
    return out, outside


def test_walk_does_not_list_a_folder_swapped_for_a_link_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, outside = _out_and_outside(tmp_path)
    (outside / "secret.txt").write_bytes(b"x")
    _swapping_scandir(monkeypatch, out / "sub", outside)
    walked = list(outdir.walk(out))
    assert walked[0][0] == os.fspath(out)
    listed = {name for _, names in walked for name in names}
    assert "secret.txt" not in listed
    assert TEMP not in listed  # the moved folder's is no longer on the way


def test_remove_leftovers_deletes_nothing_through_a_swapped_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, outside = _out_and_outside(tmp_path)
    _swapping_scandir(monkeypatch, out / "sub", outside)
    assert outdir.remove_leftovers(out) == []
    assert (outside / TEMP).read_bytes() == b"not melcli's"


def _swapped_out(
    tmp_path: Path, write_audio: WriteAudio
) -> tuple[Path, Path, list[Path]]:
    """A run's OUT, listed by ``arrays_of``, then its folder swapped for a link out."""
    from melcli import run
    from melcli.stats import arrays_of

    src = tmp_path / "src"
    write_audio("sub/a.wav", root=src)
    out = tmp_path / "out"
    run(src, out)
    listed = arrays_of(out)
    assert listed == [out / "sub" / "a.npy"]
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(out / "sub" / "a.npy", outside / "a.npy")
    os.rename(out / "sub", tmp_path / "moved")
    (out / "sub").symlink_to(outside, target_is_directory=True)
    return out, outside, listed


@pytest.mark.parametrize("named", [True, False])
def test_stats_of_listed_arrays_reads_nothing_through_a_link_out(
    tmp_path: Path, write_audio: WriteAudio, named: bool
) -> None:
    from melcli import MelcliError
    from melcli.stats import compute

    out, _, listed = _swapped_out(tmp_path, write_audio)
    with pytest.raises(MelcliError, match="leads outside the output folder"):
        compute(listed, out=out) if named else compute(listed)
