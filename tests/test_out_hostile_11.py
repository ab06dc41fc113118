"""A hostile OUT, round 11: what OUT's own files can make a run do.

- a shard's manifest part (or ``manifest.jsonl``) holding an entry for an
  output another shard writes made that shard's ``--prune`` delete it (a
  crafted entry whose input is "gone", or honestly: an input renamed so that
  it now falls in another shard). Now a shard drops such entries and keeps
  the output: it is the other shard's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import short_tones

import melcli
from melcli.data import SpectrogramDataset
from melcli.report import Status
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


# -----------------------------------------------------------------------------
# - an entry (crafted, or of an input run from another SRC) whose outputs lie
#   under a folder of OUT that is a link out of OUT, for an input that is
#   still there but left out of the run, was kept by every run (--prune too:
#   its input is not gone), and every reader refused OUT for it. A run now
#   drops it, saying so; nothing outside OUT is touched.


def _plant_astray(tmp_path: Path) -> tuple[Path, Path, Path]:
    src = tmp_path / "src"
    src.mkdir()
    short_tones(src / "top", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "0.npy").write_bytes((out / "top" / "0.npy").read_bytes())
    (out / "evil").symlink_to(elsewhere)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entry = next(json.loads(line) for line in lines if '"top/0.npy"' in line)
    stamp = entry["stamps"]["top/0.npy"]
    entry.update(key="evil/0.npy", npy="evil/0.npy", stamps={"evil/0.npy": stamp})
    (out / "manifest.jsonl").write_text("\n".join([*lines, json.dumps(entry)]) + "\n")
    return src, out, elsewhere


@pytest.mark.parametrize("prune", [False, True])
def test_an_entry_under_a_link_out_of_out_is_dropped(
    tmp_path: Path, prune: bool
) -> None:
    src, out, elsewhere = _plant_astray(tmp_path)
    with pytest.raises(melcli.MelcliError, match="outside"):
        SpectrogramDataset(out)
    dry = melcli.run([src], out, jobs=1, prune=prune, dry_run=True)
    assert any("evil/0.npy" in line for line in dry.warnings)
    report = melcli.run([src], out, jobs=1, prune=prune)
    assert any(
        "evil/0.npy" in line and "leads outside" in line for line in report.warnings
    )
    assert "evil/0.npy" not in (out / "manifest.jsonl").read_text()
    assert len(SpectrogramDataset(out)) == 2
    assert sorted(p.name for p in elsewhere.iterdir()) == ["0.npy"]
    assert (out / "evil").is_symlink()  # not OUT's to delete: no output of a run
    again = melcli.run([src], out, jobs=1)
    assert not any("evil" in line for line in again.warnings)


# -----------------------------------------------------------------------------
# - manifest_db.same_view takes a manifest.jsonl of the view's size and mtime
#   for the view, whatever its content (a decision, documented there): the
#   store is read and checked, the file is not believed, and the next commit
#   that changes an entry writes it again. Pinned here.


def test_a_view_forged_with_the_views_size_and_mtime_is_not_believed(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    melcli.run([src], out, jobs=1)  # statuses flipped: the view settles
    view = out / "manifest.jsonl"
    st = view.stat()
    lines = view.read_bytes().splitlines(keepends=True)
    forged = json.loads(lines[0])
    forged.update(key="../../victim.npy", npy="../../victim.npy", stamps={})
    text = json.dumps(forged).encode()
    body = (text + b"\n").ljust(st.st_size - 1, b" ") + b"\n"
    assert len(body) == st.st_size
    view.write_bytes(body)
    os.utime(view, ns=(st.st_atime_ns, st.st_mtime_ns))
    report = melcli.run([src], out, jobs=1)
    assert report.count(Status.WRITTEN) == 0
    assert report.count(Status.UP_TO_DATE) == 3
    assert len(SpectrogramDataset(out)) == 3
    # A change rewrites the view from the store: melcli's lines, every input.
    (src / "0.wav").write_bytes((src / "0.wav").read_bytes())
    melcli.run([src], out, jobs=1)
    keys = sorted(json.loads(line)["key"] for line in view.read_text().splitlines())
    assert keys == ["0.npy", "1.npy", "2.npy"]


# -----------------------------------------------------------------------------
# - a folder in the journal's place (OUT/.melcli-journal.jsonl/) made every run
#   say "not read (is a directory); its inputs are rebuilt" (none was) and
#   every reader "run 'melcli mel' again to rebuild its inputs", which never
#   helped: no run removes a folder (not melcli's to delete). Now each names
#   it and says to remove it.


def test_a_folder_in_the_journals_place_is_named_to_remove(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    (out / ".melcli-journal.jsonl").mkdir()
    (out / ".melcli-journal.jsonl" / "kept").write_text("someone's")
    said = f"{out}/.melcli-journal.jsonl: not read (a folder, not a file: remove it)"
    report = melcli.run([src], out, jobs=1)
    assert said in report.warnings
    assert not any("rebuilt" in line for line in report.warnings)
    with pytest.raises(melcli.MelcliError) as caught:
        SpectrogramDataset(out)
    assert str(caught.value) == said
    assert (out / ".melcli-journal.jsonl" / "kept").read_text() == "someone's"


# -----------------------------------------------------------------------------
# - a shard (or a file a worker staged in OUT) swapped for a link to a file
#   outside OUT after melcli checked it: the reader mapped the array by its
#   name again (np.memmap(path)), and the shard writer copied a staged file
#   opened by name, so the bytes of the file outside OUT were read. Now both
#   read the file they checked, opened without following links.


def _outside_npy(tmp_path: Path, value: float) -> Path:
    import numpy as np

    outside = tmp_path / "outside.npy"
    np.save(outside, np.full((4, 4), value, dtype=np.float32))
    return outside


def test_a_shard_swapped_for_a_link_after_its_check_is_not_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from melcli.storage import webdataset
    from melcli.storage.tarshards import ShardWriter, Slice

    out = tmp_path / "out"
    out.mkdir()
    array = tmp_path / "a.npy"
    np.save(array, np.ones((4, 4), dtype=np.float32))
    writer = ShardWriter(out, max_bytes=1 << 20)
    writer.add("a", [("npy", array.read_bytes())])
    (closed,) = writer.close()
    offset, size = closed.samples[0][1].members["npy"]
    outside = _outside_npy(tmp_path, 7.0)
    # The same bytes at the same place, outside OUT.
    data = closed.path.read_bytes()
    (tmp_path / "outside.tar").write_bytes(
        data.replace(array.read_bytes(), outside.read_bytes())
    )
    header = webdataset.npy_header

    def swapped(f: object) -> object:
        found = header(f)  # type: ignore[arg-type]
        closed.path.unlink()
        closed.path.symlink_to(tmp_path / "outside.tar")
        return found

    monkeypatch.setattr(webdataset, "npy_header", swapped)
    mapped = webdataset.read_npy(Slice(closed.path, offset, size))
    assert float(np.asarray(mapped).max()) == 1.0


def test_a_staged_file_swapped_for_a_link_is_not_copied_into_a_shard(
    tmp_path: Path,
) -> None:
    from melcli.storage.tarshards import ShardWriter

    out = tmp_path / "out"
    out.mkdir()
    outside = _outside_npy(tmp_path, 7.0)
    staged = out / ".stage-0.npy.melcli-tmp"
    staged.symlink_to(outside)
    writer = ShardWriter(out, max_bytes=1 << 20)
    try:
        with pytest.raises(OSError, match=r"symbolic link|not a regular"):
            writer.add("a", [("npy", staged)])
    finally:
        writer.abort()
    for shard in out.glob("*.tar"):
        assert outside.read_bytes()[128:] not in shard.read_bytes()


# -----------------------------------------------------------------------------
# - a folder of OUT that is a link to another folder of OUT (OUT/sub ->
#   other; followed, as it stays inside OUT): the inputs sub/0.wav and
#   other/0.wav wrote one file (each run rebuilt one of them, and the loader
#   gave both inputs one array), and a --prune of sub/0.npy's entry (its
#   input gone, or a crafted entry) deleted other/0.npy, the live output of
#   other/0.wav. Now neither writes nor deletes an output of the run's own
#   inputs by another name: the input fails, the prune keeps it, both say why.
#   (A link to a folder no input writes by its own name is still followed.)


def _aliased(tmp_path: Path) -> tuple[Path, Path, bytes]:
    import soundfile as sf
    from conftest import tone

    src = tmp_path / "src"
    for folder, freq in (("sub", 440.0), ("other", 2000.0)):
        (src / folder).mkdir(parents=True)
        sf.write(src / folder / "0.wav", tone(freq=freq, seconds=0.5), 22050)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    made = (out / "other" / "0.npy").read_bytes()
    return src, out, made


def _link_sub_to_other(out: Path) -> None:
    """Put a link to ``other`` in place of the built folder ``sub`` of OUT."""
    (out / "sub" / "0.npy").unlink()
    (out / "sub").rmdir()
    (out / "sub").symlink_to("other")


def test_an_input_writes_no_output_of_another_through_a_folder_linked_inside_out(
    tmp_path: Path,
) -> None:
    src, out, made = _aliased(tmp_path)
    _link_sub_to_other(out)
    for _ in range(2):
        report = melcli.run([src], out, jobs=1)
        (failed,) = [r for r in report.results if r.status is Status.FAILED]
        assert failed.src == src / "sub" / "0.wav"
        assert "other/0.npy is the output of an input of this run" in failed.reason
        assert (out / "other" / "0.npy").read_bytes() == made
    assert report.count(Status.UP_TO_DATE) == 1
    ds = SpectrogramDataset(out)
    assert [ds[i][1]["path"] for i in range(len(ds))] == ["other/0.npy"]


def test_a_prune_deletes_nothing_through_a_folder_linked_inside_out(
    tmp_path: Path,
) -> None:
    src, out, made = _aliased(tmp_path)
    _link_sub_to_other(out)
    (src / "sub" / "0.wav").unlink()  # its entry is stale now
    dry = melcli.run([src], out, jobs=1, prune=True, dry_run=True)
    assert not dry.pruned
    report = melcli.run([src], out, jobs=1, prune=True)
    assert (out / "other" / "0.npy").read_bytes() == made
    assert not report.pruned
    said = [line for line in report.warnings if "sub/0.npy: not deleted" in line]
    assert said
    assert "other/0.npy is the output of an input of this run" in said[0]
    assert "sub/0.npy" not in (out / "manifest.jsonl").read_text()
    again = melcli.run([src], out, jobs=1, prune=True)
    assert (out / "other" / "0.npy").read_bytes() == made
    assert not again.warnings
