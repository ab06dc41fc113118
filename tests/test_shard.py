"""``--shard I/N`` and ``melcli merge``: a dataset split with no coordinator."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import WriteAudio, noise, tone
from hypothesis import given
from hypothesis import strategies as st

from melcli.cli import cli
from melcli.discover import plan
from melcli.errors import UsageError
from melcli.outdir import OutputLock, final_name
from melcli.shard import Shard, lock_name, select, shard_of

N = 3
BOOKKEEPING_PREFIXES = ("manifest", ".melcli")


# ------------------------------------------------------------------ helpers
def mel(*args: object) -> Any:
    return CliRunner().invoke(cli, ["mel", *map(str, args)], env={})


def merge(*args: object) -> Any:
    return CliRunner().invoke(cli, ["merge", *map(str, args)], env={})


def outputs(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(BOOKKEEPING_PREFIXES)
    }


def entries(path: Path) -> dict[str, dict[str, Any]]:
    lines = path.read_text(encoding="ascii").splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def part(out: Path, index: int, count: int = N) -> Path:
    return out / f"manifest.{Shard(index, count).tag}.jsonl"


def last_line(result: Any) -> str:
    return str(result.stderr.splitlines()[-1])


def run_all_shards(src: Path, out: Path, *extra: object, count: int = N) -> None:
    for i in range(count):
        result = mel(src, "-o", out, "--shard", f"{i}/{count}", "-j", "1", *extra)
        assert result.exit_code in (0, 1), result.stderr


@pytest.fixture
def many(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """Twelve short files in three folders: every shard of three gets some."""
    for i in range(12):
        write_audio(f"c{i % 3}/clip{i:02d}.wav", noise(seed=i, seconds=0.3))
    return tmp_path / "audio"


def owner(rel: str) -> int:
    return shard_of(rel, N)


# ------------------------------------------------------- choosing a shard
@given(st.lists(st.text(min_size=1), max_size=40), st.integers(1, 16))
def test_every_name_is_in_exactly_one_shard(names: list[str], count: int) -> None:
    for name in names:
        owners = [i for i in range(count) if Shard(i, count).owns(name)]
        assert owners == [shard_of(name, count)]


def test_shards_are_balanced() -> None:
    names = [f"speaker{i // 50}/utt{i:05d}.flac" for i in range(4000)]
    sizes = [sum(shard_of(n, 4) == i for n in names) for i in range(4)]
    assert all(900 < size < 1100 for size in sizes), sizes


def test_adding_files_moves_no_other_file(many: Path, write_audio: WriteAudio) -> None:
    before = {
        job.rel: i
        for i in range(N)
        for job in select(plan([many], "o"), Shard(i, N)).jobs
    }
    write_audio("c0/aaa_new.wav")
    write_audio("new_folder/zzz.wav")
    after = {
        job.rel: i
        for i in range(N)
        for job in select(plan([many], "o"), Shard(i, N)).jobs
    }
    assert len(after) == len(before) + 2
    assert {rel: after[rel] for rel in before} == before


@pytest.mark.parametrize("text", ["3/3", "-1/2", "a/b", "1", "0/0", "1/2/3"])
def test_bad_shard_is_refused(text: str, dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="must be I/N"):
        Shard.parse(text)
    result = mel(dataset, "-o", tmp_path / "out", "--shard", text)
    assert result.exit_code == 2
    assert "must be I/N with 0 <= I < N" in result.stderr
    assert "'--shard'" in result.stderr


def test_temp_name_maps_back_to_its_output() -> None:
    assert final_name(".bark.v2.npy.ab_c9xyz.melcli-tmp") == "bark.v2.npy"


# -------------------------------------------------------- sharded runs
def test_shards_together_write_what_one_run_writes(many: Path, tmp_path: Path) -> None:
    whole = mel(many, "-o", tmp_path / "whole", "-j", "1")
    assert whole.exit_code == 0
    out = tmp_path / "out"
    written = 0
    for i in range(N):
        result = mel(many, "-o", out, "--shard", f"{i}/{N}", "-j", "1")
        assert result.exit_code == 0, result.stderr
        mine = {k for k, e in entries(part(out, i)).items()}
        expected = {f"{rel[:-4]}.npy" for rel in _rels(many) if owner(rel) == i}
        assert mine == expected  # only its own inputs, all of them
        written += int(last_line(result).split()[0])
    assert written == 12
    assert outputs(out) == outputs(tmp_path / "whole")
    assert not (out / "manifest.jsonl").exists()

    result = merge(out, many)
    assert result.exit_code == 0, result.stderr
    assert last_line(result) == "merged 3 shards: 12 inputs (12 written)."
    merged = entries(out / "manifest.jsonl")
    assert set(merged) == set(entries(tmp_path / "whole" / "manifest.jsonl"))

    # An unsharded run reads the merged manifest: nothing to do.
    again = mel(many, "-o", out, "-j", "1")
    assert again.exit_code == 0
    assert last_line(again) == "0 written, 12 up to date."
    # ... and so does a shard run again.
    shard = mel(many, "-o", out, "--shard", f"1/{N}", "-j", "1")
    assert last_line(shard).startswith("0 written, ")


def _rels(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*.wav")]


def test_shard_after_a_whole_run_starts_from_its_manifest(
    many: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(many, "-o", out, "-j", "1").exit_code == 0
    result = mel(many, "-o", out, "--shard", f"0/{N}", "-j", "1")
    mine = sum(owner(rel) == 0 for rel in _rels(many))
    assert last_line(result) == f"0 written, {mine} up to date."


def test_a_shard_leaves_other_shards_inputs_alone(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_all_shards(many, out)
    victim = next(rel for rel in sorted(_rels(many)) if owner(rel) == 0)
    other = next(i for i in range(N) if i != 0)
    (many / victim).unlink()
    npy = out / f"{victim[:-4]}.npy"

    result = mel(many, "-o", out, "--shard", f"{other}/{N}", "--prune", "-j", "1")
    assert result.exit_code == 0
    assert "stale" not in result.stderr
    assert "removed" not in result.stderr
    assert npy.exists()

    result = mel(many, "-o", out, "--shard", f"0/{N}", "--prune", "-j", "1")
    assert "1 stale output removed" in last_line(result)
    assert not npy.exists()


def test_skipped_and_failed_paths_are_sharded_too(
    dataset: Path, tmp_path: Path
) -> None:
    (dataset / "dogs" / "broken.wav").write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    (dataset / "notes.txt").write_text("not audio")
    out = tmp_path / "out"
    run_all_shards(dataset, out)
    keys = [k for i in range(N) for k in entries(part(out, i))]
    assert len(keys) == len(set(keys)) == 6  # 4 written, 1 failed, 1 skipped

    result = merge(out)
    assert result.exit_code == 1
    assert "error: " in result.stderr
    assert "broken.wav: failed in its shard" in result.stderr
    assert (
        last_line(result)
        == "merged 3 shards: 6 inputs (1 failed, 1 skipped, 4 written)."
    )
    assert (out / "manifest.jsonl").exists()


def test_dry_run_lists_only_the_shards_inputs(many: Path, tmp_path: Path) -> None:
    result = mel(many, "-o", tmp_path / "out", "--shard", f"2/{N}", "--dry-run")
    listed = sorted(line.split()[2].rstrip(":") for line in result.stdout.splitlines())
    expected = sorted(str(many / rel) for rel in _rels(many) if owner(rel) == 2)
    assert listed == expected


# ------------------------------------------------------------- locking
def test_shards_share_out_but_exclude_whole_runs_and_merge(
    many: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".melcli.lock").write_text("999999")  # a whole run that has finished
    # Shard 0 is running (it holds the shared lock and its own).
    with OutputLock(out, shared=True), OutputLock(out, name=lock_name(Shard(0, N))):
        other = mel(many, "-o", out, "--shard", f"1/{N}", "-j", "1")
        same = mel(many, "-o", out, "--shard", f"0/{N}", "-j", "1")
        whole = mel(many, "-o", out, "-j", "1")
        merged = merge(out)
    assert other.exit_code == 0, other.stderr
    for refused in (same, whole, merged):
        assert refused.exit_code == 2
        assert "another melcli run" in refused.stderr
    # The pid in .melcli.lock is the last whole run's: not named when shards run.
    assert f"another melcli run (--shard runs) is writing to {out}" in whole.stderr
    assert f"another melcli run (--shard runs) is writing to {out}" in merged.stderr


def test_a_shard_sweeps_only_its_own_temp_files(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_all_shards(many, out)
    mine = next(rel for rel in sorted(_rels(many)) if owner(rel) == 0)
    theirs = next(rel for rel in sorted(_rels(many)) if owner(rel) == 1)
    temp = {}
    for rel in (mine, theirs):
        npy = out / f"{rel[:-4]}.npy"
        temp[rel] = npy.with_name(f".{npy.name}.abcd1234.melcli-tmp")
        temp[rel].write_bytes(b"partial")
    # Shard 0 was killed: its journal is left, so its next run sweeps.
    (out / f".melcli-journal.{Shard(0, N).tag}.jsonl").write_bytes(b"")

    result = mel(many, "-o", out, "--shard", f"0/{N}", "-j", "1")
    assert result.exit_code == 0
    assert not temp[mine].exists()
    assert temp[theirs].exists()  # shard 1 may be writing it right now


# --------------------------------------------------------------- merge
def test_merge_refuses_parts_that_do_not_fit(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for i in (0, 2):
        mel(many, "-o", out, "--shard", f"{i}/{N}", "-j", "1")
    result = merge(out)
    assert result.exit_code == 2
    assert f"no manifest part for shard 1 of {N}" in result.stderr
    assert not (out / "manifest.jsonl").exists()

    mel(many, "-o", out, "--shard", f"1/{N}", "-j", "1")
    mel(many, "-o", out, "--shard", "0/2", "-j", "1")
    result = merge(out)
    assert result.exit_code == 2
    assert "different shard counts (2, 3)" in result.stderr
    part(out, 0, 2).unlink()

    # An input claimed by two parts.
    stolen = next(iter(entries(part(out, 0)).values()))
    with open(part(out, 1), "a", encoding="ascii") as f:
        f.write(json.dumps(stolen) + "\n")
    result = merge(out)
    assert result.exit_code == 2
    assert f"{stolen['key']} is in the parts of shards 0 and 1" in result.stderr
    assert not (out / "manifest.jsonl").exists()


def test_merge_refuses_an_interrupted_shard(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_all_shards(many, out)
    (out / f".melcli-journal.{Shard(2, N).tag}.jsonl").write_bytes(b"")
    result = merge(out)
    assert result.exit_code == 2
    assert f"shard 2/{N} was interrupted" in result.stderr


def test_merge_lists_inputs_no_shard_covered(
    many: Path, tmp_path: Path, write_audio: WriteAudio
) -> None:
    out = tmp_path / "out"
    run_all_shards(many, out)
    late = write_audio("c1/late.wav", tone(seconds=0.3))
    result = merge(out, many)
    assert result.exit_code == 1
    assert f"error: {late}: in no shard" in result.stderr
    assert last_line(result).endswith("In no shard: 1 of the inputs given.")
    # Without SRC, merge cannot know about it.
    assert merge(out).exit_code == 0


def test_merge_without_parts_exits_2(tmp_path: Path) -> None:
    result = merge(tmp_path)
    assert result.exit_code == 2
    assert "no manifest parts" in result.stderr


def test_unsharded_journal_survives_a_merge(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_all_shards(many, out)
    journal = out / ".melcli-journal.jsonl"
    journal.write_bytes(b"")
    assert merge(out).exit_code == 0
    assert journal.exists()  # the interrupted whole run's records are not lost
    assert os.path.exists(out / "manifest.jsonl")


def test_shard_and_scheduler_come_from_config_and_print_back(
    many: Path, tmp_path: Path
) -> None:
    config = tmp_path / "melcli.toml"
    config.write_text('shard = "1/3"\nscheduler = "tcp://head:8786"\n')
    shown = CliRunner().invoke(
        cli, ["mel", "--config", str(config), "--print-config"], env={}
    )
    assert shown.exit_code == 0, shown.output
    assert 'shard = "1/3"' in shown.stdout
    assert 'scheduler = "tcp://head:8786"' in shown.stdout

    config.write_text('shard = "1/3"\n')
    result = mel(many, "-o", tmp_path / "out", "--config", config, "-j", "1")
    assert result.exit_code == 0
    assert part(tmp_path / "out", 1).is_file()


def test_shard_with_webdataset_is_refused(many: Path, tmp_path: Path) -> None:
    result = mel(
        many, "-o", tmp_path / "out", "--shard", "0/2", "--format", "webdataset"
    )
    assert result.exit_code == 2
    assert "cannot be combined with --format webdataset" in result.stderr
    assert not (tmp_path / "out").exists()


def test_shard_with_stats_is_refused(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_all_shards(many, out)
    assert merge(out).exit_code == 0
    result = mel(many, "-o", out, "--shard", f"0/{N}", "--stats", "-j", "1")
    assert result.exit_code == 2
    assert "cannot be combined with --stats" in result.stderr
    assert "melcli stats OUT" in result.stderr
    assert not (out / "stats.npz").exists()
    # After the merge, the statistics of the whole dataset.
    stats = CliRunner().invoke(cli, ["stats", str(out)], env={})
    assert stats.exit_code == 0, stats.stderr
    assert "from 12 arrays" in stats.stderr


def test_shard_in_an_out_of_webdataset_samples_is_refused(
    many: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    whole = mel(many, "-o", out, "--format", "webdataset", "-j", "1")
    assert whole.exit_code == 0, whole.stderr
    before = {p.name: p.read_bytes() for p in out.glob("shard-*.tar")}
    assert before
    for extra in ((), ("--dry-run",)):
        result = mel(many, "-o", out, "--shard", f"0/{N}", "-j", "1", *extra)
        assert result.exit_code == 2, result.stderr
        assert "holds --format webdataset samples" in result.stderr
        assert "Traceback" not in result.stderr
    # The tars hold every shard's samples: none was deleted or changed.
    assert {p.name: p.read_bytes() for p in out.glob("shard-*.tar")} == before
    assert not list(out.rglob("*.npy"))
    again = mel(many, "-o", out, "--format", "webdataset", "-j", "1")
    assert last_line(again) == "0 written, 12 up to date."


def test_a_shard_sweeps_its_own_segment_temp_files(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    segments = ("--segment", "0.1", "--segment-layout", "files")
    run_all_shards(many, out, *segments)
    mine = next(rel for rel in sorted(_rels(many)) if owner(rel) == 0)
    theirs = next(rel for rel in sorted(_rels(many)) if owner(rel) == 1)
    temp = {}
    for rel in (mine, theirs):
        npy = out / f"{rel[:-4]}.001.npy"
        assert npy.exists()  # a segment file: not a name the plan knows
        temp[rel] = npy.with_name(f".{npy.name}.abcd1234.melcli-tmp")
        temp[rel].write_bytes(b"partial")
    # Shard 0 was killed while writing a segment: its next run sweeps.
    (out / f".melcli-journal.{Shard(0, N).tag}.jsonl").write_bytes(b"")

    result = mel(many, "-o", out, "--shard", f"0/{N}", "-j", "1", *segments)
    assert result.exit_code == 0, result.stderr
    assert not temp[mine].exists()
    assert temp[theirs].exists()  # shard 1 may be writing it right now


def test_stats_with_a_shard_is_refused_and_work_after_the_merge(
    many: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # Each shard would write OUT/stats.npz for its own part only.
    result = mel(many, "-o", out, "--shard", "0/3", "--stats", "-j", "1")
    assert result.exit_code == 2
    assert "Error: --shard 0/3 cannot be combined with --stats" in result.stderr
    assert not out.exists()
    run_all_shards(many, out)
    assert merge(out, many).exit_code == 0
    result = CliRunner().invoke(cli, ["stats", str(out)], env={})
    assert result.exit_code == 0, result.stderr
    frames = np.concatenate(
        [np.load(p) for p in sorted(out.rglob("*.npy"))], axis=1
    ).astype(np.float64)
    assert frames.shape[0] == 128
    with np.load(out / "stats.npz") as saved:
        assert int(saved["count"]) == frames.shape[1]
        np.testing.assert_allclose(saved["mean"], frames.mean(axis=1), rtol=1e-12)
        np.testing.assert_allclose(saved["std"], frames.std(axis=1), rtol=1e-9)
