"""``run``/``info``/``merge`` given sources or patterns of the wrong type.

``melcli.run(b"audio/")`` iterated the bytes (TypeError about ``int``),
``run(42)`` or ``run(None)`` raised TypeError from deep inside: each is now a
ParameterError naming the keyword, as other wrong values are; a bytes path
(``os.listdir(b".")``'s) is taken as the path it names.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.errors import ParameterError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    ("sources", "said"),
    [
        (42, "sources must be a path or a list of them, not int"),
        (None, "sources must be a path or a list of them, not NoneType"),
        ([42], r"sources\[0\] must be a path \(str or os.PathLike\), not int"),
    ],
)
def test_sources_of_no_path_type(tmp_path: Path, sources: object, said: str) -> None:
    for call in (
        lambda: melcli.run(sources, tmp_path / "out", jobs=1),  # type: ignore[arg-type]
        lambda: melcli.info(sources),  # type: ignore[arg-type]
    ):
        with pytest.raises(ParameterError, match=said) as caught:
            call()
        assert caught.value.param == "sources"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("keyword", ["include", "exclude"])
def test_patterns_of_no_str_type(tmp_path: Path, keyword: str) -> None:
    src = short_tones(tmp_path / "audio")
    with pytest.raises(ParameterError, match=f"{keyword} must be a pattern") as caught:
        melcli.run(src, tmp_path / "out", jobs=1, **{keyword: 5})  # type: ignore[arg-type]
    assert caught.value.param == keyword
    with pytest.raises(ParameterError, match=rf"{keyword}\[1\] must be a pattern"):
        melcli.info(src, **{keyword: ["*.wav", None]})  # type: ignore[arg-type]


def test_a_bytes_path_is_the_path_it_names(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio")
    report = melcli.run(os.fsencode(src), tmp_path / "out", jobs=1)
    assert report.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.npy")) == [
        "0.npy",
        "1.npy",
        "2.npy",
    ]
    assert len(melcli.info([os.fsencode(src / "0.wav")]).rows) == 1
