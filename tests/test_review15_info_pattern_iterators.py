"""``melcli.info`` reads ``include``/``exclude`` once, as ``melcli.run`` does.

It read them twice (for the walk, then for the pattern hints): patterns given
as an iterator were used up by the walk, and the hints saw none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import two_classes

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    ("keyword", "pattern", "words"),
    [
        ("include", "dogs", "give --include 'dogs/*'"),
        ("exclude", "dogs/", "--exclude 'dogs/' names a folder"),
    ],
)
def test_patterns_from_an_iterator(
    tmp_path: Path, keyword: str, pattern: str, words: str
) -> None:
    src = two_classes(tmp_path / "audio")
    as_list = melcli.info(src, **{keyword: [pattern]})
    as_iterator = melcli.info(src, **{keyword: iter([pattern])})
    assert any(words in line for line in as_list.warnings), as_list.warnings
    assert as_iterator.warnings == as_list.warnings
    assert as_iterator.rows == as_list.rows
