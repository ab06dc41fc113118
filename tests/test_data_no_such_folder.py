"""``SpectrogramDataset`` over a folder that does not exist says so.

A typo in the path gave ``nope has no manifest.jsonl: not the output of a
run``, which sends a newcomer looking for a manifest in a folder that is not
there. A folder that exists but holds no run's output keeps that message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError


def test_a_missing_folder_is_named_as_missing(tmp_path: Path) -> None:
    missing = tmp_path / "featrues"
    with pytest.raises(MelcliError) as caught:
        SpectrogramDataset(missing)
    assert str(caught.value) == (
        f"{missing}: no such folder (give the OUT of 'melcli mel')"
    )


def test_a_folder_that_is_no_output_keeps_its_message(tmp_path: Path) -> None:
    with pytest.raises(MelcliError) as caught:
        SpectrogramDataset(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path} has no manifest.jsonl: not the output of a run; give the out "
        "folder of a run (melcli.run(sources, out) makes one)"
    )
