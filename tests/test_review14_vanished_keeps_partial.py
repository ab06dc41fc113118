"""A left-out input's entry is forgotten only when *none* of its outputs is left.

``Manifest.vanished`` forgets the entry of an input a run leaves out whose
outputs are all gone. One with some of them still in OUT (a segment file
deleted by hand, the others there) must stay: forgotten, its other segments
would be in OUT with no entry recording them, never counted, read by the
data loader, nor deleted by ``--prune``. Nothing else in the suite failed
when ``vanished`` forgot an entry missing *any* output (checked by hand).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import mel, tone

pytestmark = pytest.mark.usefixtures("isolated")

SEGMENTS = ("--segment", "0.2", "--segment-layout", "files")


def _stamps(out: Path) -> dict[str, list[str]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entries = map(json.loads, lines)
    return {e["key"]: sorted(e["stamps"]) for e in entries if e.get("stamps")}


def test_an_entry_with_some_segments_left_is_kept_while_its_input_is_left_out(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for k in range(2):
        sf.write(src / f"{k}.wav", tone(300.0 + 100 * k, sr=8000, seconds=0.5), 8000)
    out = tmp_path / "out"
    assert mel(src, out, *SEGMENTS).exit_code == 0
    before = _stamps(out)
    left = before["1.000.npy"]
    assert len(left) == 3
    (out / left[1]).unlink()  # one of its three segment files, by hand

    part = mel(src, out, *SEGMENTS, "--include", "0.wav")

    assert part.exit_code == 0, part.stderr
    assert _stamps(out) == before  # its entry still records its segments
    whole = mel(src, out, *SEGMENTS)
    assert whole.stderr.endswith("1 written, 1 up to date.\n"), whole.stderr
    assert sorted(p.name for p in out.glob("1.*.npy")) == left
