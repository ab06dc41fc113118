"""``SpectrogramDataset(label_column=...)`` over an OUT that has no labels.

A newcomer converts a folder, then asks for ESC-50's ``category`` column: the
error must say where ``meta`` comes from, not only that there is none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli
from melcli import MelcliError
from melcli.data import SpectrogramDataset

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


def test_a_label_column_over_an_out_without_a_table_says_where_meta_comes_from(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "1-100038-A-14.wav", tone(sr=SR, seconds=0.3), SR)
    out = tmp_path / "out"
    report = melcli.run([audio], out, jobs=1)
    assert report.exit_code == 0, report.summary()
    with pytest.raises(MelcliError) as caught:
        SpectrogramDataset(out, label_column="category")
    assert str(caught.value) == (
        "1-100038-A-14.wav has no column 'category' in its meta (it has none: "
        "meta holds the other columns of a table given to --files-from, "
        "files_from= in melcli.run)"
    )
