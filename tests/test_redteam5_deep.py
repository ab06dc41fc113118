"""Folders nested a thousand deep, in OUT (untrusted) and under SRC.

Python 3.11's ``os.walk`` recurses once per level, and so did the walk of
SRC folders: a tree deeper than Python's recursion limit ended the command
in a RecursionError traceback.

- OUT after a killed run (its journal left): the next run sweeps OUT for the
  temporary files the killed run left; an OUT holding a folder nested a
  thousand deep (a crafted CI cache, a runaway script) failed every later
  run (the tests lower Python's recursion limit instead);
- ``melcli stats`` of an OUT without a manifest walks it for arrays;
- a SRC folder nested a thousand deep is walked and converted (the walk of
  SRC recursed, and then stopped at 200 levels with a problem); a symbolic
  link loop down there is passed over as one near the top is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import short_tones

import melcli
from melcli import discover
from melcli.cli import cli
from melcli.manifest import JOURNAL_NAME

#: Deeper than a walk that recurses goes in :func:`few_frames`; shallow
#: enough that shutil.rmtree, which recurses too, can remove it should a test
#: be stopped half way.
DEPTH = 600
#: SRC folders nested this deep are walked (the walk of SRC recursed once, two
#: frames a level, and stopped at 200 levels).
SRC_DEPTH = 1000


@pytest.fixture
def few_frames() -> Iterator[None]:
    """Allow 400 frames more than the test uses: less than a walk of DEPTH
    folders needs if it recurses (as Python 3.11's os.walk does), and more
    than a run needs otherwise."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 400)
    yield
    sys.setrecursionlimit(limit)


#: The deepest folders the tests made, removed after each test.
_MADE: list[Path] = []


def nest(top: Path, depth: int) -> Path:
    """Make ``top/a/a/.../a`` (``depth`` folders), one at a time (no recursion)."""
    top.mkdir(exist_ok=True)
    folder = top
    for _ in range(depth):
        folder = folder / "a"
        folder.mkdir()
    _MADE.append(folder)
    return folder


@pytest.fixture(autouse=True)
def _unnest() -> Iterator[None]:
    """Remove the deep folders bottom up: pytest's clean-up (shutil.rmtree)
    recurses too, and would fail on them in a later session."""
    yield
    while _MADE:
        folder = _MADE.pop()
        while folder.name == "a":
            for entry in folder.iterdir():
                entry.unlink()
            folder.rmdir()
            folder = folder.parent


@pytest.mark.usefixtures("few_frames")
def test_a_run_after_a_killed_one_sweeps_a_deep_out(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    out = tmp_path / "out"
    assert melcli.run(src, out).exit_code == 0
    (out / JOURNAL_NAME).touch()  # as a run killed with kill -9 leaves it
    leftover = nest(out / "deep", DEPTH) / ".x.npy.abcd1234.melcli-tmp"
    leftover.write_bytes(b"partial")
    (src / "0.wav").touch()  # something to do

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == "1 written, 1 up to date."
    assert not leftover.exists()


@pytest.mark.usefixtures("few_frames")
def test_stats_walks_an_out_without_manifest_however_deep(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "top.npy", np.zeros((4, 3), np.float32))
    np.save(nest(out, DEPTH) / "deep.npy", np.ones((4, 5), np.float32))

    stats = melcli.write_stats(out)

    assert stats.count == 8
    assert np.allclose(stats.mean, 5 / 8)


@pytest.mark.usefixtures("few_frames")
def test_a_source_folder_a_thousand_deep_is_converted(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    deep = nest(src, SRC_DEPTH)
    with open(deep / "x.wav", "wb") as f:  # libsndfile takes paths up to 1 KB
        sf.write(f, np.zeros(800, np.float32), 8000, format="WAV")
    out = tmp_path / "out"

    report = melcli.run(src, out, jobs=1)

    assert report.exit_code == 0, report.summary()
    assert report.count(melcli.Status.WRITTEN) == 2
    deep_out = out.joinpath(*deep.relative_to(src).parts)
    assert np.load(deep_out / "x.npy").ndim == 2
    _MADE.append(deep_out)  # removed bottom up, as the inputs are
    again = melcli.run(src, out, jobs=1)
    assert again.count(melcli.Status.UP_TO_DATE) == 2, again.summary()


@pytest.mark.usefixtures("few_frames")
def test_a_symlink_loop_deep_in_a_source_folder_is_passed_over(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", n=1)
    deep = nest(src, SRC_DEPTH)
    (deep / "up").symlink_to(src, target_is_directory=True)
    (deep / "here").symlink_to(deep, target_is_directory=True)
    (deep / "x.wav").touch()

    found = discover.find_audio([src])

    assert [rel.count("/") for _, rel in found.files] == [0, SRC_DEPTH]
    loops = [s for s in found.skipped if s.reason == "symlink loop"]
    assert sorted(s.path.name for s in loops) == ["here", "up"]
    assert not found.problems
