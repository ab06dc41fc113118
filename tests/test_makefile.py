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
from conftest import noise, tone

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

#: The pattern the brief asks for: the manifest is the target.
MANIFEST_TARGET = """\
MELCLI ?= melcli

features/manifest.jsonl: $(shell find audio -type f)
\t$(MELCLI) mel audio -o features
"""

#: A stamp written only when melcli succeeds, and the folders as prerequisites
#: too (a folder's mtime changes when a file in it is added or deleted).
STAMP_TARGET = """\
MELCLI ?= melcli

features/.done: $(shell find audio)
\t$(MELCLI) mel audio -o features --prune
\ttouch $@
"""

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
        timeout=120,
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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """audio/ with three small WAVs in two class folders."""
    for i, rel in enumerate(INPUTS):
        path = tmp_path / "audio" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, noise(seed=i, seconds=0.5), 22050)
    return tmp_path


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
def test_stamp_target_retries_failures_and_follows_deletions(project: Path) -> None:
    with_makefile(project, STAMP_TARGET)
    broken = project / "audio/dogs/broken.wav"
    broken.write_bytes(b"no audio here" * 100)

    first = make(project)
    assert first.returncode != 0
    assert not (project / "features/.done").exists()
    again = make(project)
    assert again.returncode != 0
    assert melcli_ran(again)
    assert again.stderr.count("error: audio/dogs/broken.wav: ") == 1
    assert f"0 written, {len(INPUTS)} up to date, 1 failed." in again.stderr

    sf.write(broken, tone(seconds=0.5), 22050)
    fixed = make(project)
    assert fixed.returncode == 0, fixed.stderr
    assert f"1 written, {len(INPUTS)} up to date." in fixed.stderr
    assert make(project, "-q").returncode == 0
    before = npy_mtimes(project)

    time.sleep(0.05)
    (project / "audio/dogs/bark1.wav").unlink()
    assert make(project, "-q").returncode == 1
    pruned = make(project)

    assert pruned.returncode == 0, pruned.stderr
    assert "1 stale output removed" in pruned.stderr
    del before["dogs/bark1.npy"]
    assert npy_mtimes(project) == before
    assert make(project, "-q").returncode == 0
