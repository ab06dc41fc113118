"""``SpectrogramDataset(classes=[...])`` missing many of the items' classes.

The error named five and dropped the rest without a word: with ESC-50's 50
classes and a list of 10, it looked as if five were missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mel, short_tones

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError


def test_the_message_counts_the_classes_it_does_not_name(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    for name in "abcdefgh":  # 8 class folders
        short_tones(src / name, n=1)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    with pytest.raises(MelcliError) as caught:
        SpectrogramDataset(out, classes=["a"])
    assert str(caught.value) == (
        "classes not in the list given: b, c, d, e, f and 2 more"
    )
    with pytest.raises(MelcliError) as caught:
        SpectrogramDataset(out, classes=list("abcdefg"))
    assert str(caught.value) == "classes not in the list given: h"
