"""A folder of OUT held open, moved out of OUT meanwhile, is not looked in.

A run looks the arrays of OUT up by name in their folder, held open from one
name to the next (opened from OUT down: no link followed out of it). But a
descriptor follows its folder where it is moved: ``OUT/dogs`` renamed to
``/elsewhere/dogs`` while held, the next look-ups went on in it, outside
OUT, and found its arrays there "up to date" -- an input said up to date
whose array is not in OUT. The held folder is now checked to be still where
it was opened (its ``..``, so many levels up, OUT): before each look-up
(``OutDir`` alone, a run's test of one input), or, in the loops that decide
on a whole re-run (sifting the usual inputs; table rows and PNG jobs), once
each is done with the folder, the jobs found in it taken back.
A folder moved is opened anew by its name, from OUT down. So is one renamed
inside OUT (``OUT/dogs`` to ``OUT/cats``): it is checked to be still the
folder its name leads to.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import invoke, mel, short_tones

from melcli.discover import Job
from melcli.manifest import Manifest, file_stamp
from melcli.outdir import OutDir
from melcli.params import MelParams

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """SRC/dogs/{0,1,2}.wav built into OUT (tmp_path / "out"); return OUT."""
    (tmp_path / "src").mkdir()
    short_tones(tmp_path / "src" / "dogs", 3)
    out = tmp_path / "out"
    assert mel(tmp_path / "src", out).exit_code == 0
    return out


#: Where OUT/dogs is moved while held: out of OUT, or renamed inside OUT
#: (at the same depth, or deeper): no longer the folder "dogs" of OUT.
PLACES = ["../elsewhere", "cats", "x/dogs"]


@pytest.fixture(params=PLACES)
def move_dogs(request: pytest.FixtureRequest) -> Callable[[Path], Path]:
    def move(out: Path) -> Path:
        """Move OUT/dogs to the place asked for; return where it went."""
        away = out / request.param
        away.parent.mkdir(exist_ok=True)
        os.rename(out / "dogs", away)
        return away

    return move


def test_outdir_looks_in_no_held_folder_moved_out(
    built: Path, move_dogs: Callable[[Path], Path]
) -> None:
    outdir = OutDir(built)
    try:
        assert outdir.stamp("dogs/0.npy") is not None  # "dogs" held open now
        away = move_dogs(built)
        assert (away / "1.npy").is_file()
        assert outdir.stamp("dogs/1.npy") is None
        assert outdir.file("dogs/2.npy") is None
        assert not outdir.holds_any(["dogs/2.npy"])
    finally:
        outdir.close()


def test_a_run_finds_up_to_date_no_array_moved_out_of_out(
    built: Path, move_dogs: Callable[[Path], Path]
) -> None:
    settings = MelParams().fingerprint()
    src = built.parent / "src" / "dogs"
    manifest = Manifest.load(built)
    try:
        with manifest.unchanged_test(settings=settings) as test:
            stamp = file_stamp(src / "0.wav")
            assert test("dogs/0.npy", stamp) is not None
            move_dogs(built)
            found = [test(f"dogs/{n}.npy", file_stamp(src / f"{n}.wav")) for n in "12"]
        assert found == [None, None]
    finally:
        manifest.close()


def test_sifting_finds_up_to_date_no_array_moved_out_of_out(
    built: Path, move_dogs: Callable[[Path], Path]
) -> None:
    settings = MelParams().fingerprint()
    src = built.parent / "src" / "dogs"
    jobs = [
        Job(
            src / f"{n}.wav",
            f"dogs/{n}.wav",
            built / "dogs" / f"{n}.npy",
            stamp=file_stamp(src / f"{n}.wav"),
        )
        for n in "012"
    ]

    def moved_after_the_first() -> Iterator[Job]:
        yield jobs[0]
        move_dogs(built)
        yield from jobs[1:]

    manifest = Manifest.load(built)
    up: list[Job] = []
    try:
        rest = list(
            manifest.sift_unchanged(
                moved_after_the_first(),
                settings=settings,
                up_to_date=up,
                flips=bytearray(),
            )
        )
    finally:
        manifest.close()
    # All three were looked up in "dogs", which is no longer in OUT.
    assert up == []
    assert sorted(rest) == sorted(jobs)


def _table(tmp_path: Path, n: int) -> tuple[Path, Path]:
    """SRC/dogs/{0..n-1}.wav and a table of them (path,label); return both."""
    (tmp_path / "src").mkdir()
    short_tones(tmp_path / "src" / "dogs", n)
    table = tmp_path / "table.csv"
    rows = "".join(f"dogs/{k}.wav,dog\n" for k in range(n))
    table.write_text("path,label\n" + rows)
    return tmp_path / "src", table


def _by_table(src: Path, table: Path, out: Path, *options: object) -> Result:
    return invoke(
        "mel", "--files-from", table, "--root", src, "-o", out, "-j", "1", *options
    )


@pytest.mark.parametrize("png", [[], ["--png"]], ids=["table", "png"])
def test_a_table_re_run_finds_up_to_date_no_array_of_a_folder_moved_while_held(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    move_dogs: Callable[[Path], Path],
    png: list[str],
) -> None:
    # Table rows and PNG jobs are decided one by one, their arrays looked up
    # in their folder held open, checked once the run is done with it: what
    # was found up to date in it before it moved is decided again.
    src, table = _table(tmp_path, 3)
    out = tmp_path / "out"
    for _ in range(2):
        assert _by_table(src, table, out, *png).exit_code == 0
    real, moved = OutDir.stamp, []

    def stamp(self: OutDir, name: object) -> list[int] | None:
        found = real(self, name)
        if name == "dogs/0.npy" and not moved:
            moved.append(move_dogs(out))  # once dogs/0.npy was looked up in it
        return found

    monkeypatch.setattr(OutDir, "stamp", stamp)
    run = _by_table(src, table, out, *png)
    assert run.exit_code == 0, run.stderr
    assert moved
    assert "3 written." in run.stderr, run.stderr
    assert sorted(p.name for p in (out / "dogs").glob("*.npy")) == [
        "0.npy",
        "1.npy",
        "2.npy",
    ]


@pytest.mark.parametrize("png", [[], ["--png"]], ids=["table", "png"])
def test_a_no_op_table_re_run_stats_in_out_about_once_an_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, png: list[str]
) -> None:
    n = 40
    src, table = _table(tmp_path, n)
    out = tmp_path / "out"
    for _ in range(2):
        assert _by_table(src, table, out, *png).exit_code == 0
    calls = []
    real, inside = os.stat, os.fspath(out)

    def counted(*args: object, **kw: object) -> os.stat_result:
        if "dir_fd" in kw or os.fspath(args[0]).startswith(inside):  # type: ignore[call-overload]
            calls.append(args[0])  # a look-up in OUT
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counted)
    run = _by_table(src, table, out, *png)
    monkeypatch.undo()
    assert f"0 written, {n} up to date" in run.stderr, run.stderr
    # Each row: its array's stamp (and its PNG's); a few for the run and the
    # folder (a stat before each look-up: one more a row).
    assert len(calls) <= n * (1 + len(png)) + 20, len(calls)
