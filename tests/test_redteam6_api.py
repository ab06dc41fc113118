"""``melcli.merge("features/")``, as the package's docstring and the docs write it.

Every other function of the API takes a path as a string or a path-like;
``merge`` took a :class:`~pathlib.Path` only, and a string failed with
``AttributeError: 'str' object has no attribute 'glob'`` before looking at
anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def test_merge_takes_out_as_a_string() -> None:
    short_tones(Path("audio"), n=4)
    for shard in ("0/2", "1/2"):
        ran = invoke("mel", "audio", "-o", "features", "-j", "1", "--shard", shard)
        assert ran.exit_code == 0, ran.stderr

    report = melcli.merge("features/", sources=["audio/"])

    assert report.errors == []
    assert report.exit_code == 0
    assert len(Path("features/manifest.jsonl").read_text().splitlines()) == 4
