"""A huge ``manifest.jsonl`` or journal is read a block at a time.

Both are in OUT, untrusted, and each line was capped (``MAX_ENTRY``), but
the file was read whole, then split: a crafted file of N bytes took twice N
of memory (an OUT of 10 GB of junk lines, 20 GB) in every command that reads
OUT (a run whose store is gone, ``stats``, the gallery, the data loader).
Now a line over the cap is passed over as it is read, and memory holds a
block and at most one line beyond the entries kept.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli import manifest_db
from melcli.manifest import JOURNAL_NAME, MANIFEST_NAME, Manifest

pytestmark = pytest.mark.usefixtures("isolated")

LINE = 24 << 20  # bytes of one junk line: over the cap


def _junk(path: Path, *, lines: int, keep: bytes = b"") -> None:
    """Write ``lines`` junk lines of :data:`LINE` bytes around ``keep``."""
    with open(path, "wb") as f:
        for _ in range(lines):
            f.write(b"{" * LINE + b"\n")
        f.write(keep)
        f.write(b"x" * LINE)  # and a last one with no newline


def _peak_of(read: object) -> tuple[object, int]:
    tracemalloc.start()
    try:
        value = read()  # type: ignore[operator]
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", [MANIFEST_NAME, JOURNAL_NAME])
def test_a_huge_file_of_junk_lines_is_not_held(tmp_path: Path, name: str) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    lines = (out / MANIFEST_NAME).read_bytes().splitlines(keepends=True)
    (out / manifest_db.STORE_NAME).unlink()  # manifest.jsonl is read
    if name == JOURNAL_NAME:  # one entry in the manifest, one in the journal
        (out / MANIFEST_NAME).write_bytes(lines[0])
        _junk(out / name, lines=3, keep=lines[1])
    else:
        _junk(out / name, lines=3, keep=b"".join(lines))
    assert (out / name).stat().st_size > 4 * LINE

    manifest, peak = _peak_of(lambda: Manifest.load(out, read_only=True))

    assert isinstance(manifest, Manifest)
    assert len(manifest.entries) == 2  # the true lines are kept
    (problem,) = manifest.problems
    assert problem.startswith(f"{out / name}: dropped 4 invalid entries")
    assert peak < 2 * LINE  # not the file (4 lines), nor a copy of it


def test_a_long_true_line_over_blocks_is_read_whole(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 1)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    (line,) = (out / MANIFEST_NAME).read_bytes().splitlines()
    entry = json.loads(line)
    entry["warnings"] = ["w" * (3 << 20)]  # 3 MiB: over several blocks
    (out / manifest_db.STORE_NAME).unlink()
    (out / MANIFEST_NAME).write_text(json.dumps(entry) + "\n")

    manifest = Manifest.load(out, read_only=True)

    assert manifest.problems == []
    assert manifest.entries[entry["key"]]["warnings"] == entry["warnings"]
