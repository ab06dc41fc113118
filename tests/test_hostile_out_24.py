"""Hostile OUT, round 24: nothing outside OUT is listed, read or deleted.

A folder of OUT swapped for a symbolic link to elsewhere while melcli walks
OUT, a statistic computed of OUT's arrays by path: what is outside stays
untouched, and unread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
