"""``--prune`` deletes no output because of an entry whose claim it cannot trust.

Without ``--shard``, a crafted entry in ``manifest.jsonl`` claiming the output
of an input the run leaves out (``--exclude``, ``--include``, a narrower SRC),
for a source that is gone, made ``--prune`` delete that input's valid output.
Now an entry whose output is not named after its own input is dropped (its
files kept), and one whose output an audio file of a known SRC folder still
writes is not stale.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import short_tones

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def _built(tmp_path: Path, n: int = 3) -> tuple[Path, Path]:
    src = short_tones(tmp_path / "src", n)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    return src, out


def _craft(out: Path, key: str, **fields: str) -> None:
    """Replace ``key``'s entry in ``manifest.jsonl`` (the store then is not read)."""
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        if entry["key"] == key:
            entry.update(fields)
    text = "".join(json.dumps(e) + "\n" for e in entries)
    (out / "manifest.jsonl").write_text(text)


def test_an_entry_named_after_another_input_deletes_nothing(tmp_path: Path) -> None:
    src, out = _built(tmp_path)
    before = (out / "1.npy").read_bytes()
    gone = str(tmp_path / "src" / "gone.wav")
    _craft(out, "1.npy", source="gone.wav", source_path=gone, source_abs=gone)

    report = melcli.run([src], out, jobs=1, exclude="1.wav", prune=True)

    assert (out / "1.npy").read_bytes() == before
    assert not report.pruned
    assert any(
        "dropped 1 entry whose output is not named after its input" in w
        for w in report.warnings
    ), report.warnings
    dry = melcli.run([src], out, jobs=1, exclude="1.wav", prune=True, dry_run=True)
    assert not dry.pruned


def test_an_entry_from_a_folder_that_is_gone_deletes_no_live_output(
    tmp_path: Path,
) -> None:
    """The claim is named right, but the input it names is not the one there."""
    src, out = _built(tmp_path)
    before = (out / "1.npy").read_bytes()
    gone = str(tmp_path / "gone" / "1.wav")
    _craft(out, "1.npy", source_path=gone, source_abs=gone)

    dry = melcli.run([src], out, jobs=1, include="0.wav", prune=True, dry_run=True)
    assert not dry.pruned
    report = melcli.run([src], out, jobs=1, include="0.wav", prune=True)

    assert (out / "1.npy").read_bytes() == before
    assert not report.pruned


def test_a_narrower_src_prunes_no_output_of_a_live_input(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    short_tones(src / "dogs", 2)
    short_tones(src / "cats", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    before = (out / "cats" / "1.npy").read_bytes()
    gone = str(tmp_path / "gone" / "cats" / "1.wav")
    _craft(out, "cats/1.npy", source_path=gone, source_abs=gone)

    report = melcli.run([src / "dogs"], out, jobs=1, prune=True)

    assert (out / "cats" / "1.npy").read_bytes() == before
    assert not any("cats" in str(p) for p in report.pruned)


def test_the_output_of_an_input_really_gone_is_still_pruned(tmp_path: Path) -> None:
    src, out = _built(tmp_path)
    (src / "1.wav").unlink()
    (src / "1.txt").write_text("a transcript is no input")

    report = melcli.run([src], out, jobs=1, exclude="2.wav", prune=True)

    assert not (out / "1.npy").exists()
    assert [p.name for p in report.pruned] == ["1.npy"]
    assert (out / "2.npy").exists()
