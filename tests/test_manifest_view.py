"""manifest.jsonl, the store's view: a few changed lines written in place."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import Result
from conftest import mel

from melcli import manifest_db, manifest_view
from melcli.manifest import Manifest

pytestmark = pytest.mark.usefixtures("isolated")

VIEW = "manifest.jsonl"


def summary(result: Result) -> str:
    return result.stderr.splitlines()[-1]


def stored(out: Path) -> dict[str, dict[str, object]]:
    with sqlite3.connect(out / manifest_db.STORE_NAME) as db:
        rows = db.execute("SELECT entry FROM entries").fetchall()
    return {e["key"]: e for e in (json.loads(text) for (text,) in rows)}


def lines(out: Path) -> list[bytes]:
    return (out / VIEW).read_bytes().splitlines(keepends=True)


def view(out: Path) -> dict[str, dict[str, object]]:
    return {e["key"]: e for e in map(json.loads, lines(out))}


def touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


@pytest.fixture
def built(dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert summary(mel(dataset, out)) == "4 written."
    assert summary(mel(dataset, out)) == "0 written, 4 up to date."
    return out


def test_each_line_has_room_and_reads_as_json(dataset: Path, tmp_path: Path) -> None:
    built = tmp_path / "out"
    mel(dataset, built)  # written whole
    for line in lines(built):
        body = line.rstrip(b" \n")
        assert len(line) - len(body) - 1 >= manifest_view.ROOM
        assert line.endswith(b"\n")
        json.loads(line)
    assert view(built) == stored(built)


def test_a_touched_input_changes_its_line_in_place(dataset: Path, built: Path) -> None:
    before = lines(built)
    inode = (built / VIEW).stat().st_ino
    touch(dataset / "dogs" / "bark1.wav")

    assert summary(mel(dataset, built)) == "1 written, 3 up to date."

    assert (built / VIEW).stat().st_ino == inode  # not written whole
    after = lines(built)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert [json.loads(after[i])["key"] for i in changed] == ["dogs/bark1.npy"]
    assert [len(line) for line in after] == [len(line) for line in before]
    assert view(built) == stored(built)
    assert view(built)["dogs/bark1.npy"]["status"] == "written"
    # The next run gives it its new status, in place again.
    assert summary(mel(dataset, built)) == "0 written, 4 up to date."
    assert (built / VIEW).stat().st_ino == inode
    assert view(built) == stored(built)
    assert {e["status"] for e in view(built).values()} == {"up-to-date"}


def test_an_added_input_rewrites_the_view_whole(dataset: Path, built: Path) -> None:
    inode = (built / VIEW).stat().st_ino
    (dataset / "dogs" / "bark3.wav").write_bytes(
        (dataset / "dogs/bark1.wav").read_bytes()
    )

    assert summary(mel(dataset, built)) == "1 written, 4 up to date."

    assert (built / VIEW).stat().st_ino != inode
    assert view(built) == stored(built)
    assert list(view(built)) == sorted(view(built))


def test_an_entry_grown_out_of_its_line_rewrites_the_view_whole(built: Path) -> None:
    inode = (built / VIEW).stat().st_ino
    manifest = Manifest.load(built)
    entry = manifest.entries["dogs/bark1.npy"]
    manifest.record({**entry, "warnings": ["x" * 100]}, journal=False)
    manifest.commit()

    assert (built / VIEW).stat().st_ino != inode
    assert view(built) == stored(built)
    assert view(built)["dogs/bark1.npy"]["warnings"] == ["x" * 100]


def test_a_view_changed_by_another_is_not_written_over(
    dataset: Path, built: Path
) -> None:
    """Edited in place since (same inode): read as the truth, then rewritten."""
    entries = view(built)
    del entries["birds/tweet.npy"]
    with open(built / VIEW, "r+b") as f:  # same inode, other content
        f.write(b"".join(json.dumps(e).encode() + b"\n" for e in entries.values()))
        f.truncate()
    touch(dataset / "dogs" / "bark1.wav")

    assert summary(mel(dataset, built)) == "2 written, 2 up to date."

    assert view(built) == stored(built)
    assert len(view(built)) == 4


def test_a_view_linked_elsewhere_is_not_written_through(
    dataset: Path, built: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.jsonl"
    (built / VIEW).rename(victim)
    (built / VIEW).symlink_to(victim)
    kept = victim.read_bytes()
    touch(dataset / "dogs" / "bark1.wav")

    mel(dataset, built)

    assert victim.read_bytes() == kept
    assert not (built / VIEW).is_symlink()
    assert view(built) == stored(built)


def test_a_view_hard_linked_elsewhere_is_not_written_through(
    dataset: Path, built: Path, tmp_path: Path
) -> None:
    # The same inode under another name (outside OUT): lines written in place
    # would change that file too. The view is written whole instead.
    victim = tmp_path / "victim.jsonl"
    os.link(built / VIEW, victim)
    kept = victim.read_bytes()
    touch(dataset / "dogs" / "bark1.wav")

    mel(dataset, built)

    assert victim.read_bytes() == kept
    assert (built / VIEW).stat().st_ino != victim.stat().st_ino
    assert view(built) == stored(built)


def test_a_commit_cut_after_the_lines_before_the_store_loses_nothing(
    dataset: Path, built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a kill -9 between the lines written in place and the store's commit."""
    real = manifest_db.Store.write

    def cut(self: manifest_db.Store, put: object, **kw: object) -> None:
        then = kw.pop("then")

        def view_then_die(store: manifest_db.Store) -> dict[str, str]:
            then(store)  # type: ignore[operator]
            raise KeyboardInterrupt

        real(self, put, then=view_then_die, **kw)  # type: ignore[arg-type]

    inode = (built / VIEW).stat().st_ino
    manifest = Manifest.load(built)
    entry = manifest.entries["dogs/bark1.npy"]
    manifest.record({**entry, "status": "written"}, journal=False)
    monkeypatch.setattr(manifest_db.Store, "write", cut)
    with pytest.raises(KeyboardInterrupt):
        manifest.commit()
    monkeypatch.undo()

    assert (built / VIEW).stat().st_ino == inode  # it was written in place
    assert stored(built)["dogs/bark1.npy"]["status"] == "up-to-date"  # rolled back
    again = Manifest.load(built)  # the view, which the store does not know
    assert again.problems == []
    assert again.entries["dogs/bark1.npy"]["status"] == "written"
    assert summary(mel(dataset, built)) == "0 written, 4 up to date."
    assert view(built) == stored(built)


@pytest.mark.parametrize("n", [1, 2, 3, 50, 301])
def test_each_line_is_found_by_its_key(tmp_path: Path, n: int) -> None:
    names = [f"d{i % 7}/f{i:04d}.npy" for i in range(n)] + ["caf\udce9.npy", 'q"x.npy']
    keys = sorted(names, key=manifest_db.db_key)
    path = tmp_path / VIEW
    manifest_view.write_whole(
        path,
        (
            json.dumps({"key": k, "pad": "x" * (i * 37 % 9000)}).encode()
            for i, k in enumerate(keys)
        ),
    )
    data = path.read_bytes()
    fd = os.open(path, os.O_RDONLY)
    try:
        for key in keys:
            found = manifest_view._find_line(fd, len(data), manifest_db.db_key(key))
            assert found is not None, key
            start, end = found
            assert json.loads(data[start:end])["key"] == key
            assert data[end - 1 : end] == b"\n"
        for absent in ("a.npy", "d3/f0000.npz", "zzz.npy", "d0/f0000.np"):
            assert manifest_view._find_line(fd, len(data), absent) is None
    finally:
        os.close(fd)
