"""``run``/``info``/``merge`` given an ``--include``/``--exclude`` pattern as a path.

Sources may be paths, and a pattern written ``Path("dogs/*")`` passed the type
check added for them (str or os.PathLike), then failed deep inside fnmatch
with a TypeError traceback. A pattern given as a path is the text it names.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from conftest import two_classes

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def _npys(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.npy"))


@pytest.mark.parametrize("keyword", ["include", "exclude"])
@pytest.mark.parametrize("as_list", [False, True])
def test_a_pattern_as_a_path(tmp_path: Path, keyword: str, as_list: bool) -> None:
    src = two_classes(tmp_path / "audio")
    pattern = PurePosixPath("dogs/*") if as_list else Path("dogs/*")
    given: object = [pattern] if as_list else pattern

    by_text = melcli.info(src, **{keyword: "dogs/*"})
    by_path = melcli.info(src, **{keyword: given})  # type: ignore[arg-type]
    assert by_path.rows == by_text.rows
    assert by_path.warnings == by_text.warnings

    report = melcli.run(src, tmp_path / "out", jobs=1, **{keyword: given})  # type: ignore[arg-type]
    assert report.exit_code == 0
    taken = ["dogs/a.npy"] if keyword == "include" else ["cats/c.npy"]
    assert _npys(tmp_path / "out") == taken

    shards = tmp_path / "shards"
    for i in (0, 1):
        melcli.run(src, shards, jobs=1, shard=f"{i}/2")
    merged = melcli.merge(shards, sources=[src], **{keyword: given})  # type: ignore[arg-type]
    assert merged.exit_code == 0, merged.errors
