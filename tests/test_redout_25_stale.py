"""Hostile OUT, round 25: a re-run looks up only its own inputs, never a path OUT names.

A manifest's ``source_abs`` may be crafted (OUT is a CI cache, a shared
folder): ``/elsewhere/secret.wav``, ``SRC/../elsewhere/x.wav``. Deciding which
entries are stale used to ``lstat`` each such path (and list or look in its
folder): melcli looked outside its inputs because of what OUT holds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import short_tones

import melcli


def _crafted(tmp_path: Path, n: int) -> tuple[Path, Path, Path]:
    """A run's SRC and OUT, plus ``n`` entries of inputs outside SRC."""
    src = short_tones(tmp_path / "src", 1)
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "deep").mkdir(parents=True)
    (elsewhere / "there.wav").write_bytes(b"")
    melcli.run([src], out, jobs=1)
    line = (out / "manifest.jsonl").read_text().splitlines()[0]
    entry = json.loads(line)
    lines = [line]
    for i in range(n):
        name = f"x{i}"
        source = [
            os.fspath(elsewhere / "deep" / f"{name}.wav"),  # gone, elsewhere
            f"{src}/../elsewhere/{name}.wav",  # .. out of SRC
            os.fspath(elsewhere / "there.wav"),  # there, elsewhere
        ][i % 3]
        (out / f"{name}.npy").write_bytes(b"")
        lines.append(
            json.dumps(
                entry
                | {
                    "key": f"{name}.npy",
                    "npy": f"{name}.npy",
                    "source": f"{name}.wav",
                    "source_abs": source,
                    "source_path": source,
                    "stamps": {f"{name}.npy": [0, 1]},
                }
            )
        )
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return src, out, elsewhere


def _looked_at(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path stat'ed, listed or looked up, made absolute and normal."""
    seen: list[str] = []
    for module, name in (
        (os, "lstat"),
        (os, "stat"),
        (os, "listdir"),
        (os, "scandir"),
        (os.path, "lexists"),
        (os.path, "exists"),
        (os.path, "isdir"),
    ):
        real = getattr(module, name)

        def spy(path: object = ".", *a: object, real: object = real, **k: object):  # type: ignore[no-untyped-def]
            if isinstance(path, (str, bytes, os.PathLike)):
                seen.append(os.path.normpath(os.path.abspath(os.fsdecode(path))))
            return real(path, *a, **k)  # type: ignore[operator]

        monkeypatch.setattr(module, name, spy)
    return seen


@pytest.mark.parametrize("n", [3, 40])  # read one by one, and in one query
def test_a_rerun_looks_up_no_input_path_outside_its_src(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    src, out, elsewhere = _crafted(tmp_path, n)
    seen = _looked_at(monkeypatch)

    report = melcli.run([src], out, jobs=1, prune=True)

    monkeypatch.undo()
    outside = [p for p in seen if p.startswith(os.fspath(elsewhere))]
    assert outside == []
    assert report.exit_code == 0, report.errors
    # Not looked up: kept as an input the run leaves out is, nothing deleted.
    assert report.stale == []
    assert report.pruned == []
    assert all((out / f"x{i}.npy").exists() for i in range(n))


def test_an_input_gone_from_src_is_still_stale(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    gone = sorted(src.iterdir())[0]
    gone.unlink()

    report = melcli.run([src], out, jobs=1, prune=True)

    assert [p.name for p in report.pruned] == [gone.with_suffix(".npy").name]
