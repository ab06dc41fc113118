"""What a power loss can leave of a store renamed into place unsynced (issue 19).

A store made under a temporary name is no longer synced before
``manifest_db.swap`` renames it into place. A kill -9 loses nothing (the page
cache outlives the process), but after a power loss the name may hold the new
file with only some of its pages on disk: cut short, or with pages of zeros.
Such a store must never be read as a smaller truth: one warning, the run reads
manifest.jsonl instead, nothing is claimed that the view does not hold, and the
store is whole again after that run. (An empty one is test_manifest_db's.)
This guards the new risk; it passes on the code before it as well.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import mel

from melcli import manifest_db

pytestmark = pytest.mark.usefixtures("isolated")

STORE = manifest_db.STORE_NAME
PAGE = 4096


def cut_in_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2 // PAGE * PAGE)


def zero_all_but_the_first_page(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(PAGE)
        f.write(bytes(path.stat().st_size - PAGE))


@pytest.mark.parametrize("torn", [cut_in_half, zero_all_but_the_first_page])
def test_a_torn_store_is_one_warning_and_rebuilt_from_the_view(
    dataset: Path, tmp_path: Path, torn: Callable[[Path], None]
) -> None:
    out = tmp_path / "out"
    assert mel(dataset, out).exit_code == 0
    assert (out / STORE).stat().st_size > 2 * PAGE  # there are pages to lose
    torn(out / STORE)

    result = mel(dataset, out)

    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[-1] == "0 written, 4 up to date."
    assert [line for line in lines if line.startswith("warning:")] == [
        line for line in lines if STORE in line and "not read" in line
    ]
    assert len(lines) == 2
    again = mel(dataset, out)
    assert again.stderr.splitlines() == ["0 written, 4 up to date."]
