"""A mistyped ``label_column`` names the nearest column, as a mistyped option does.

Seen in a newcomer's trial: ``SpectrogramDataset("features/",
label_column="categry")`` over ESC-50's outputs listed the columns, and nothing
more, where ``--preset wisper`` and ``--group-by categroy`` say ``did you mean``.
It is a bad parameter: a ``ParameterError`` whose ``param`` names it. So is
``crop="centre"``, which now names ``center``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import ParameterError
from melcli.data import SpectrogramDataset


@pytest.fixture
def listed(tmp_path: Path) -> Path:
    """OUT of 3 tones from a table with ``fold`` and ``category`` columns."""
    src = short_tones(tmp_path / "audio")
    table = tmp_path / "meta.csv"
    table.write_text("filename,fold,category\n0.wav,1,dog\n1.wav,2,cat\n2.wav,1,dog\n")
    out = tmp_path / "out"
    melcli.run([], out, files_from=table, root=src, jobs=1)
    return out


def test_a_typo_names_the_nearest_column(listed: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        SpectrogramDataset(listed, label_column="categry")
    assert caught.value.param == "label_column"
    assert str(caught.value) == (
        "0.wav has no column 'categry' in its meta (it has: category, fold); "
        "did you mean 'category'?"
    )


def test_a_column_like_none_names_none(listed: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        SpectrogramDataset(listed, label_column="speaker")
    assert str(caught.value).endswith("(it has: category, fold)")
    assert SpectrogramDataset(listed, label_column="category").classes == ["cat", "dog"]


def test_a_mistyped_crop_names_the_nearest_too(listed: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        SpectrogramDataset(listed, frames=10, crop="centre")
    assert caught.value.param == "crop"
    assert str(caught.value) == (
        "crop='centre' must be one of start, center, random; did you mean 'center'?"
    )
