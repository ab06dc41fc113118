"""10 000 tiny files: what a re-run, --dry-run, --prune, --shard, merge, stats,
--format webdataset and the Dask path do at scale (issue 20).

Slow: one first run of 10 000 files, one into tar shards; the other runs have
little or nothing to build. Their time is measured by ``make bench`` (s), not
here: these tests check the outcomes (counts, files, manifests).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from melcli.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("isolated")]

N = 10_000
FOLDERS = 100


def melcli(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={})


def last_line(result: Result) -> str:
    return result.stderr.splitlines()[-1]


def rel(i: int) -> str:
    return f"d{i % FOLDERS:02d}/f{i:05d}.wav"


def jsonl(path: Path) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in map(json.loads, path.read_text().splitlines())}


def touch(path: Path, seconds: int = 1) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 000 tiny WAVs in 100 folders: hard links of one, but the first 20.

    At melcli's default rate (22 050 Hz): resampling them, which these tests
    are not about, would be a third of the runs' work.
    """
    root = tmp_path_factory.mktemp("scale")
    src = root / "src"
    template = root / "template.wav"
    y = (0.1 * np.random.default_rng(20).standard_normal(800)).astype(np.float32)
    sf.write(template, y, 22050, subtype="PCM_16")
    for d in range(FOLDERS):
        (src / f"d{d:02d}").mkdir(parents=True)
    for i in range(N):
        if i < 20:  # copies: touching one does not touch the others
            sf.write(src / rel(i), y, 22050, subtype="PCM_16")
        else:
            os.link(template, src / rel(i))
    return src


@pytest.fixture(scope="module")
def built(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "out"
    result = melcli("mel", tree, "-o", out, "-j", "2", "-q")
    assert result.exit_code == 0, result.stderr
    assert sum(1 for _ in out.rglob("*.npy")) == N
    return out


def test_a_re_run_builds_nothing_and_a_touched_file_alone(
    tree: Path, built: Path
) -> None:
    result = melcli("mel", tree, "-o", built, "-j", "2")
    assert last_line(result) == f"0 written, {N} up to date."
    touch(tree / rel(3))
    result = melcli("mel", tree, "-o", built, "-j", "2")
    assert last_line(result) == f"1 written, {N - 1} up to date."
    with sqlite3.connect(built / ".melcli-manifest.db") as db:
        (count,) = db.execute("SELECT count(*) FROM entries").fetchone()
    assert count == N
    assert len(jsonl(built / "manifest.jsonl")) == N


def test_dry_run_names_what_would_be_built(tree: Path, built: Path) -> None:
    touch(tree / rel(5))
    result = melcli("mel", tree, "-o", built, "--dry-run")
    assert result.exit_code == 0, result.stderr
    would = result.stdout.splitlines()
    assert len(would) == 1
    assert rel(5) in would[0]
    assert would[0].endswith(": input changed")
    assert last_line(result).startswith(f"1 to build, {N - 1} up to date")
    # ... and builds nothing.
    assert last_line(melcli("mel", tree, "-o", built, "-j", "2")).startswith(
        f"1 written, {N - 1} up to date"
    )


def test_stats_counts_every_array(built: Path) -> None:
    result = melcli("stats", built, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["arrays"] == N


def test_shards_then_merge_at_scale(tree: Path, built: Path, tmp_path: Path) -> None:
    """Shard runs on a built OUT start from its manifest: nothing to redo."""
    for i in range(2):
        result = melcli("mel", tree, "-o", built, "--shard", f"{i}/2", "-j", "2")
        assert result.exit_code == 0, result.stderr
        assert last_line(result).startswith("0 written, ")
    result = melcli("merge", built, tree)
    assert result.exit_code == 0, result.stderr
    assert last_line(result).startswith(f"merged 2 shards: {N} inputs")
    # The next whole run reads the merged manifest.jsonl, not the older store.
    result = melcli("mel", tree, "-o", built, "-j", "2")
    assert last_line(result) == f"0 written, {N} up to date."


def test_the_dask_path_builds_the_changed_files_of_a_large_plan(
    tree: Path, built: Path
) -> None:
    pytest.importorskip("distributed")
    for i in range(10):
        touch(tree / rel(i), seconds=7)
    result = melcli("mel", tree, "-o", built, "--scheduler", "local", "-j", "2")
    assert result.exit_code == 0, result.stderr
    assert last_line(result) == f"10 written, {N - 10} up to date."


def test_prune_at_scale_removes_only_the_deleted_inputs_outputs(
    tree: Path, built: Path
) -> None:
    """Last: it deletes inputs of the shared tree."""
    gone = [tree / rel(i) for i in range(20, 120)]
    for path in gone:
        path.unlink()
    result = melcli("mel", tree, "-o", built, "-j", "2", "--prune")
    assert result.exit_code == 0, result.stderr
    assert "100 stale outputs removed" in last_line(result)
    assert sum(1 for _ in built.rglob("*.npy")) == N - 100
    assert len(jsonl(built / "manifest.jsonl")) == N - 100


def test_webdataset_at_scale(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "wds"
    result = melcli("mel", tree, "-o", out, "--format", "webdataset", "-j", "2", "-q")
    assert result.exit_code == 0, result.stderr
    entries = jsonl(out / "manifest.jsonl")
    files = sum(1 for _ in tree.rglob("*.wav"))
    assert len(entries) == files
    assert all(e["format"] == "webdataset" for e in entries.values())
    again = melcli("mel", tree, "-o", out, "--format", "webdataset", "-j", "2")
    assert last_line(again) == f"0 written, {files} up to date."
