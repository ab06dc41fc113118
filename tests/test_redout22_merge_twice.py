"""``melcli merge`` says inputs in two shards' parts in a few lines, however many.

A crafted (or mistaken: two runs of other shard counts' parts renamed) part
can repeat thousands of another part's entries: ``merge`` printed one error
line per input, thousands of lines burying what to do. A few are still said
one line each (tests/test_shard.py); past that, one line per pair of
shards, with the count and the first few names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import WriteAudio, invoke, noise

from melcli.shard import Shard

pytestmark = pytest.mark.usefixtures("isolated")

COUNT = 2


def part(out: Path, index: int) -> Path:
    return out / f"manifest.{Shard(index, COUNT).tag}.jsonl"


def test_many_inputs_in_two_parts_are_said_in_one_line(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    for i in range(4):
        write_audio(f"c/clip{i}.wav", noise(seed=i, seconds=0.2))
    audio, out = tmp_path / "audio", tmp_path / "out"
    for i in range(COUNT):
        result = invoke("mel", audio, "-o", out, "--shard", f"{i}/{COUNT}", "-j", "1")
        assert result.exit_code == 0, result.stderr
    lines = part(out, 0).read_text(encoding="utf-8").splitlines()
    assert lines
    entry = json.loads(lines[0])
    crafted = []
    for n in range(300):  # the same input under 300 names, in both parts
        name = f"c/forged{n}.npy"
        stamps = {name: next(iter(entry["stamps"].values()))}
        forged = dict(entry, key=name, npy=name, stamps=stamps)
        crafted.append(json.dumps(forged) + "\n")
    for i in range(COUNT):
        with open(part(out, i), "a", encoding="utf-8") as f:
            f.writelines(crafted)

    result = invoke("merge", out)

    assert result.exit_code == 2, result.stderr[:3000]
    said = [line for line in result.stderr.splitlines() if "forged" in line]
    assert len(said) == 1, result.stderr[:2000]
    assert f"300 inputs are in the parts of shards 0 and 1 of {COUNT}" in said[0]
    assert said[0].rstrip().endswith(" more")
    named = said[0].partition(f"of {COUNT}: ")[2].split(" and ")[0].split(", ")
    assert 0 < len(named) < 20  # a few names, not all of them
    assert not (out / "manifest.jsonl").exists()
