"""Hostile OUT, round 24: nothing outside OUT is listed, read or deleted.

A folder of OUT swapped for a symbolic link to elsewhere while melcli walks
OUT, a statistic computed of OUT's arrays by path: what is outside stays
untouched, and unread.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import WriteAudio, short_tones

import melcli
from melcli import outdir

TEMP = ".a.npy.0123abcd.melcli-tmp"


def _swapping_scandir(
    monkeypatch: pytest.MonkeyPatch, folder: Path, target: Path
) -> None:
    """Swap ``folder`` for a link to ``target`` right after OUT is listed."""
    real = os.scandir
    calls = []

    def scandir(path: object = ".") -> Iterator[os.DirEntry[str]]:
        listed = list(real(path))  # type: ignore[call-overload]
        calls.append(path)
        if len(calls) == 1:
            os.rename(folder, folder.with_name("moved"))
            folder.symlink_to(target, target_is_directory=True)
        return _Listing(listed)

    monkeypatch.setattr(os, "scandir", scandir)


class _Listing(list):  # type: ignore[type-arg]
    """A listing usable as ``with os.scandir(...) as entries``."""

    def __enter__(self) -> _Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _out_and_outside(tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / TEMP).write_bytes(b"ours")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / TEMP).write_bytes(b"not melcli's")
    return out, outside


def test_walk_does_not_list_a_folder_swapped_for_a_link_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, outside = _out_and_outside(tmp_path)
    (outside / "secret.txt").write_bytes(b"x")
    _swapping_scandir(monkeypatch, out / "sub", outside)
    walked = list(outdir.walk(out))
    assert walked[0][0] == os.fspath(out)
    listed = {name for _, names in walked for name in names}
    assert "secret.txt" not in listed
    assert TEMP not in listed  # the moved folder's is no longer on the way


def test_remove_leftovers_deletes_nothing_through_a_swapped_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, outside = _out_and_outside(tmp_path)
    _swapping_scandir(monkeypatch, out / "sub", outside)
    assert outdir.remove_leftovers(out) == []
    assert (outside / TEMP).read_bytes() == b"not melcli's"


def _swapped_out(
    tmp_path: Path, write_audio: WriteAudio
) -> tuple[Path, Path, list[Path]]:
    """A run's OUT, listed by ``arrays_of``, then its folder swapped for a link out."""
    from melcli import run
    from melcli.stats import arrays_of

    src = tmp_path / "src"
    write_audio("sub/a.wav", root=src)
    out = tmp_path / "out"
    run(src, out)
    listed = arrays_of(out)
    assert listed == [out / "sub" / "a.npy"]
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(out / "sub" / "a.npy", outside / "a.npy")
    os.rename(out / "sub", tmp_path / "moved")
    (out / "sub").symlink_to(outside, target_is_directory=True)
    return out, outside, listed


@pytest.mark.parametrize("named", [True, False])
def test_stats_of_listed_arrays_reads_nothing_through_a_link_out(
    tmp_path: Path, write_audio: WriteAudio, named: bool
) -> None:
    from melcli import MelcliError
    from melcli.stats import compute

    out, _, listed = _swapped_out(tmp_path, write_audio)
    with pytest.raises(MelcliError, match="leads outside the output folder"):
        compute(listed, out=out) if named else compute(listed)


def _crafted_gone(tmp_path: Path, n: int, *, live_roots: bool) -> tuple[Path, Path]:
    """A run's OUT, plus ``n`` entries of inputs gone, each of its own folder.

    With ``live_roots``, ``n`` more entries of inputs that are there, each in a
    folder of its own (a forger finds such files anywhere).
    """
    import json

    from conftest import short_tones

    import melcli

    src = short_tones(tmp_path / "src", 1)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    line = (out / "manifest.jsonl").read_text().splitlines()[0]
    entry = json.loads(line)
    lines = [line]
    for i in range(n):
        kinds = [("gone", tmp_path / "nowhere" / f"r{i}")]
        if live_roots:
            there = tmp_path / "elsewhere" / f"r{i}"
            there.mkdir(parents=True)
            (there / f"l{i}.wav").write_bytes(b"")
            kinds.append(("l", there))
        for kind, folder in kinds:
            name = f"{kind[0]}{i}"
            (out / f"{name}.npy").write_bytes(b"")
            lines.append(
                json.dumps(
                    entry
                    | {
                        "key": f"{name}.npy",
                        "npy": f"{name}.npy",
                        "source": f"{name}.wav",
                        "source_abs": os.fspath(folder / f"{name}.wav"),
                        "source_path": os.fspath(folder / f"{name}.wav"),
                        "stamps": {f"{name}.npy": [0, 1]},
                    }
                )
            )
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return src, out


def _counted_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the paths ``manifest`` looks up (``os.path.lexists``/``isdir``)."""
    seen: list[str] = []
    for name in ("lexists", "isdir"):
        real = getattr(os.path, name)

        def spy(path: str, real: object = real) -> bool:
            seen.append(os.fspath(path))
            return real(path)  # type: ignore[operator, no-any-return]

        monkeypatch.setattr(os.path, name, spy)
    return seen


@pytest.mark.parametrize("live_roots", [False, True])
def test_crafted_entries_each_of_its_folder_cost_a_rerun_few_lookups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_roots: bool
) -> None:
    """Each gone entry was looked for in every folder the others name: n² * 34.

    Round 25: inputs outside the run's SRC are not looked up at all (kept).
    """
    import melcli

    n = 120
    src, out = _crafted_gone(tmp_path, n, live_roots=live_roots)
    seen = _counted_lookups(monkeypatch)
    report = melcli.run([src], out, jobs=1)
    outside = [p for p in seen if not p.startswith((os.fspath(src), os.fspath(out)))]
    assert outside == []  # was n * n * 34, then under 400 * n
    assert report.exit_code == 0
    assert report.summary().startswith("0 written, 1 up to date"), report.summary()
    assert report.stale == []
    assert all((out / f"g{i}.npy").exists() for i in range(n))


def _swap_rows(out: Path) -> None:
    """Put another entry's row in ``0.npy``'s place, the store's stamps given back.

    The change counter in the header and the mtime as melcli's last commit
    left them, the counts of both tables equal: only the keys differ.
    """
    db = out / ".melcli-manifest.db"
    con = sqlite3.connect(db)
    state = dict(con.execute("SELECT name, value FROM state"))
    (text,) = con.execute("SELECT entry FROM entries WHERE key = '1.npy'").fetchone()
    entry = json.loads(text)
    entry |= {
        "key": "z.npy",
        "npy": "z.npy",
        "source": "z.wav",
        "source_abs": entry["source_abs"][: -len("1.wav")] + "z.wav",
        "source_path": entry["source_path"][: -len("1.wav")] + "z.wav",
        "stamps": {"z.npy": entry["stamps"]["1.npy"]},
    }
    os.link(out / "1.npy", out / "z.npy")
    with con:
        con.execute("DELETE FROM entries WHERE key = '0.npy'")
        con.execute("INSERT INTO entries VALUES ('z.npy', ?)", (json.dumps(entry),))
    con.close()
    changes = int(state["changes"]).to_bytes(4, "big")
    with open(db, "r+b") as f:
        for offset in (24, 92):  # the counter, and the number it is valid for
            f.seek(offset)
            f.write(changes)
    mtime = int(state["mtime"])
    os.utime(db, ns=(mtime, mtime))


def test_a_row_swapped_in_the_store_is_told_by_the_next_run(tmp_path: Path) -> None:
    """The run rebuilt nothing, for good, while ``melcli stats`` said to run again."""
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    melcli.run([src], out, jobs=1)  # every status up-to-date: the no-op's store
    _swap_rows(out)

    report = melcli.run([src], out, jobs=1)

    assert report.summary().startswith("1 written, 2 up to date"), report.summary()
    assert any("dropped 2 invalid entries" in w for w in report.warnings)
    stats = melcli.write_stats(out)
    assert len(stats.files) == 3
    assert not stats.warnings
