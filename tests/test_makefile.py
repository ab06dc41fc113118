"""melcli under make: the README's Makefile patterns, run with the real ``make``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RUN_LIMIT, noise, tone

#: Slow (whole make runs, mtime steps): left out of ``make test-fast``.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
]

#: The pattern the brief asks for: the manifest is the target.
MANIFEST_TARGET = """\
MELCLI ?= melcli

features/manifest.jsonl: $(shell find audio -type f)
\t$(MELCLI) mel audio -o features
"""

#: The README's pattern: a stamp written only when melcli succeeds, remade when
#: anything under audio/ is newer than it (a file, or a folder whose mtime
#: moved as a file in it was added, renamed or deleted). make never sees a
#: file name, so any name works. The new stamp is made before melcli runs: a
#: file changed during the run is newer than it, and rebuilt next time.
STAMP_TARGET = """\
MELCLI ?= melcli
STAMP := features/.done

# Out of date when the stamp is missing or anything under audio/ is newer.
NEWER := $(shell find audio -newer $(STAMP) -print -quit 2>/dev/null)
ifneq ($(NEWER)$(wildcard $(STAMP)),$(STAMP))
.PHONY: $(STAMP)
endif

$(STAMP):
\t@mkdir -p $(@D) && touch $@.new
\t$(MELCLI) mel audio -o features --prune
\tmv $@.new $@
"""

#: The pattern the README showed before: make splits find's output at
#: spaces, so a file name with a space breaks it.
SPLITTING_TARGET = """\
MELCLI ?= melcli

features/.done: $(shell find audio)
\t$(MELCLI) mel audio -o features --prune
\ttouch $@
"""

#: Names make would split, expand or take as a rule: spaces, a colon, $, #.
ODD_INPUTS = ("dogs/bark 1.wav", "dogs/bark:2 $x.wav", "birds & bees/tweet #1.wav")

INPUTS = ("dogs/bark1.wav", "dogs/bark2.wav", "birds/tweet.wav")


def melcli_path() -> str:
    script = Path(sys.executable).with_name("melcli")
    if not script.exists():  # pragma: no cover - the venv always has it
        pytest.skip("no melcli script next to the interpreter")
    return str(script)


def make(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MELCLI_", "MAKE"))}
    return subprocess.run(
        ["make", f"MELCLI={melcli_path()}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
        env=env,
    )


def statuses(project: Path) -> dict[str, str]:
    lines = (project / "features/manifest.jsonl").read_text("ascii").splitlines()
    return {e["key"]: e["status"] for e in map(json.loads, lines)}


def npy_mtimes(project: Path) -> dict[str, int]:
    return {
        p.relative_to(project / "features").as_posix(): p.stat().st_mtime_ns
        for p in (project / "features").rglob("*.npy")
    }


def touch_now(path: Path) -> None:
    time.sleep(0.05)  # past the target's mtime, whatever the clock's granularity
    os.utime(path)


def melcli_ran(result: subprocess.CompletedProcess[str]) -> bool:
    return melcli_path() in result.stdout


def write_inputs(root: Path, rels: tuple[str, ...]) -> Path:
    for i, rel in enumerate(rels):
        path = root / "audio" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, noise(seed=i, seconds=0.5), 22050)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """audio/ with three small WAVs in two class folders."""
    return write_inputs(tmp_path, INPUTS)


@pytest.fixture
def odd_project(tmp_path: Path) -> Path:
    """audio/ with three WAVs whose names make would mangle."""
    return write_inputs(tmp_path, ODD_INPUTS)


def with_makefile(project: Path, text: str) -> Path:
    (project / "Makefile").write_text(text, encoding="utf-8")
    return project


# ------------------------------------------------- the manifest as target
def test_make_builds_then_is_up_to_date(project: Path) -> None:
    with_makefile(project, MANIFEST_TARGET)
    assert make(project, "-q").returncode == 1  # not built yet

    first = make(project)

    assert first.returncode == 0, first.stderr
    assert melcli_ran(first)
    assert first.stderr.splitlines()[-1] == f"{len(INPUTS)} written."
    before = npy_mtimes(project)
    assert set(before) == {str(Path(r).with_suffix(".npy")) for r in INPUTS}

    assert make(project, "-q").returncode == 0
    second = make(project)

    assert second.returncode == 0
    assert not melcli_ran(second)
    assert "is up to date" in second.stdout
    assert npy_mtimes(project) == before


def test_make_rebuilds_only_the_touched_input(project: Path) -> None:
    with_makefile(project, MANIFEST_TARGET)
    assert make(project).returncode == 0
    before = npy_mtimes(project)
    touch_now(project / "audio/dogs/bark2.wav")
    assert make(project, "-q").returncode == 1

    result = make(project)

    assert result.returncode == 0, result.stderr
    assert melcli_ran(result)
    assert result.stderr.splitlines()[-1] == f"1 written, {len(INPUTS) - 1} up to date."
    assert statuses(project) == {
        "birds/tweet.npy": "up-to-date",
        "dogs/bark1.npy": "up-to-date",
        "dogs/bark2.npy": "written",
    }
    after = npy_mtimes(project)
    assert after["dogs/bark2.npy"] != before["dogs/bark2.npy"]
    del after["dogs/bark2.npy"], before["dogs/bark2.npy"]
    assert after == before
    assert make(project, "-q").returncode == 0


def test_make_picks_up_a_new_input(project: Path) -> None:
    with_makefile(project, MANIFEST_TARGET)
    assert make(project).returncode == 0
    time.sleep(0.05)
    sf.write(project / "audio/birds/song.wav", tone(2000.0, seconds=0.5), 22050)

    result = make(project)

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == f"1 written, {len(INPUTS)} up to date."
    assert np.load(project / "features/birds/song.npy").shape[0] == 128


def test_manifest_as_target_hides_a_failure_hence_the_readme_stamp(
    project: Path,
) -> None:
    # Why the README recommends a stamp: melcli rewrites manifest.jsonl even
    # when a file fails, so with the manifest as the target a second `make`
    # calls it up to date and never retries the failed file.
    with_makefile(project, MANIFEST_TARGET)
    (project / "audio/dogs/broken.wav").write_bytes(b"no audio here" * 100)
    first = make(project)
    assert first.returncode != 0
    assert "error: audio/dogs/broken.wav: " in first.stderr

    second = make(project)
    assert second.returncode == 0
    assert not melcli_ran(second)


# --------------------------------------------- a stamp target (recommended)
def test_the_old_pattern_breaks_on_a_name_with_a_space(odd_project: Path) -> None:
    with_makefile(odd_project, SPLITTING_TARGET)
    result = make(odd_project)
    assert result.returncode == 2  # make's own error: melcli never ran
    assert "***" in result.stderr
    assert not melcli_ran(result)


def test_stamp_target_builds_once_then_follows_changes(odd_project: Path) -> None:
    with_makefile(odd_project, STAMP_TARGET)
    assert make(odd_project, "-q").returncode == 1
    first = make(odd_project)
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines()[-1] == f"{len(ODD_INPUTS)} written."
    assert set(npy_mtimes(odd_project)) == {
        str(Path(r).with_suffix(".npy")) for r in ODD_INPUTS
    }
    assert make(odd_project, "-q").returncode == 0
    second = make(odd_project)
    assert not melcli_ran(second)
    assert "is up to date" in second.stdout

    touch_now(odd_project / "audio/dogs/bark:2 $x.wav")
    assert make(odd_project, "-q").returncode == 1
    touched = make(odd_project)
    assert touched.returncode == 0, touched.stderr
    assert touched.stderr.splitlines()[-1] == (
        f"1 written, {len(ODD_INPUTS) - 1} up to date."
    )
    assert statuses(odd_project)["dogs/bark:2 $x.npy"] == "written"

    time.sleep(0.05)
    sf.write(odd_project / "audio/birds & bees/new one.wav", tone(seconds=0.5), 22050)
    added = make(odd_project)
    assert added.returncode == 0, added.stderr
    assert added.stderr.splitlines()[-1] == f"1 written, {len(ODD_INPUTS)} up to date."
    assert make(odd_project, "-q").returncode == 0


def test_stamp_target_retries_failures_and_follows_deletions(
    odd_project: Path,
) -> None:
    project = with_makefile(odd_project, STAMP_TARGET)
    broken = project / "audio/dogs/broken file.wav"
    broken.write_bytes(b"no audio here" * 100)

    first = make(project)
    assert first.returncode != 0
    assert not (project / "features/.done").exists()
    again = make(project)
    assert again.returncode != 0
    assert melcli_ran(again)
    assert again.stderr.count("error: audio/dogs/broken file.wav: ") == 1
    assert f"0 written, {len(ODD_INPUTS)} up to date, 1 failed." in again.stderr

    sf.write(broken, tone(seconds=0.5), 22050)
    fixed = make(project)
    assert fixed.returncode == 0, fixed.stderr
    assert f"1 written, {len(ODD_INPUTS)} up to date." in fixed.stderr
    assert make(project, "-q").returncode == 0
    before = npy_mtimes(project)

    time.sleep(0.05)
    (project / "audio/dogs/bark 1.wav").unlink()
    assert make(project, "-q").returncode == 1
    pruned = make(project)

    assert pruned.returncode == 0, pruned.stderr
    assert "1 stale output removed" in pruned.stderr
    del before["dogs/bark 1.npy"]
    assert npy_mtimes(project) == before
    assert make(project, "-q").returncode == 0
