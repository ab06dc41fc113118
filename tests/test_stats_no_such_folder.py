"""``melcli.write_stats`` over a path that is no folder says so.

``melcli.write_stats("featrues/")`` (a typo) said ``no arrays to compute
statistics over``. The command refuses such a path while parsing its
arguments; the Python call now names it too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import melcli
from melcli.errors import MelcliError


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "featrues"
    with pytest.raises(MelcliError) as caught:
        melcli.write_stats(missing)
    # In the command's words (tests/test_api_parity_12.py).
    assert str(caught.value) == f"Path {str(missing)!r} does not exist."
    assert not missing.exists()


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    a_file = tmp_path / "features.npy"
    a_file.write_bytes(b"")
    with pytest.raises(MelcliError) as caught:
        melcli.write_stats(a_file)
    assert str(caught.value) == f"Path {str(a_file)!r} is a file, not a folder."


def test_an_empty_folder_still_has_no_arrays(tmp_path: Path) -> None:
    with pytest.raises(MelcliError) as caught:
        melcli.write_stats(tmp_path)
    assert str(caught.value) == (
        "no arrays to compute statistics over: give the out folder of a run "
        "(melcli.run(sources, out) makes one)"
    )
