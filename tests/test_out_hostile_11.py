"""A hostile OUT, round 11: what OUT's own files can make a run do.

- a shard's manifest part (or ``manifest.jsonl``) holding an entry for an
  output another shard writes made that shard's ``--prune`` delete it (a
  crafted entry whose input is "gone", or honestly: an input renamed so that
  it now falls in another shard). Now a shard drops such entries and keeps
  the output: it is the other shard's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.shard import shard_of

pytestmark = pytest.mark.usefixtures("isolated")


def _name_in(shard: int, stem: str) -> str:
    """A file name ``{stem}{i}.wav`` that falls in ``shard`` of 2."""
    return next(
        name for i in range(1000) if shard_of(name := f"{stem}{i}.wav", 2) == shard
    )


def _sharded(tmp_path: Path) -> tuple[Path, Path]:
    src = short_tones(tmp_path / "src", 6)
    out = tmp_path / "out"
    for index in range(2):
        melcli.run([src], out, jobs=1, shard=f"{index}/2")
    return src, out


def _plant(out: Path, part: str, entry: dict[str, object]) -> None:
    path = out / part
    path.write_text(path.read_text() + json.dumps(entry) + "\n")


def _entry_of(out: Path, part: str) -> dict[str, object]:
    first = (out / part).read_text().splitlines()[0]
    entry: dict[str, object] = json.loads(first)
    return entry


@pytest.mark.parametrize("where", ["part", "manifest"])
def test_a_shard_prunes_no_output_of_another_shards_input(
    tmp_path: Path, where: str
) -> None:
    src, out = _sharded(tmp_path)
    # A live input of shard 1, and an entry claiming its output for an input
    # of shard 0 that is gone.
    victim = next(p for p in sorted(src.iterdir()) if shard_of(p.name, 2) == 1)
    key = victim.stem + ".npy"
    before = (out / key).read_bytes()
    part = "manifest.shard-0000-of-0002.jsonl"
    entry = _entry_of(out, part)
    gone = _name_in(0, "gone")
    stamps = entry["stamps"]
    assert isinstance(stamps, dict)
    entry.update(
        key=key,
        npy=key,
        stamps={key: next(iter(stamps.values()))},
        source=gone,
        source_path=str(src / gone),
        source_abs=str(src / gone),
    )
    if where == "part":
        _plant(out, part, entry)
    else:
        (out / "manifest.jsonl").write_text(json.dumps(entry) + "\n")
    report = melcli.run([src], out, jobs=1, shard="0/2", prune=True)
    assert (out / key).read_bytes() == before
    assert not report.pruned
    # Dropped from shard 0's part: the merge sees each input once.
    assert key not in (out / part).read_text()
    melcli.run([src], out, jobs=1, shard="1/2")
    merged = melcli.merge(out)
    assert merged.exit_code == 0, merged.errors
    assert merged.entries == 6


def test_an_input_renamed_into_another_shard_keeps_its_new_output(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    short_tones(tmp_path / "tones", 1)
    tone = next((tmp_path / "tones").iterdir()).read_bytes()
    old, new = _name_in(0, "take"), None
    # The same stem, in shard 1 under another extension.
    stem = old[: -len(".wav")]
    for ext in ("flac", "aiff", "aif", "ogg", "mp3", "m4a", "opus", "wv", "au"):
        if shard_of(f"{stem}.{ext}", 2) == 1:
            new = f"{stem}.{ext}"
            break
    if new is None:
        pytest.skip("no extension of this stem falls in the other shard")
    (src / old).write_bytes(tone)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1, shard="0/2")
    (src / old).rename(src / new)
    melcli.run([src], out, jobs=1, shard="1/2")
    made = (out / f"{stem}.npy").read_bytes()
    melcli.run([src], out, jobs=1, shard="0/2", prune=True)
    assert (out / f"{stem}.npy").read_bytes() == made
