"""``--format webdataset``: the same arrays as ``--format npy``, in tar shards.

Checks the arrays byte for byte against an ``npy`` run of the same data, the
JSON member, the shard bound, the manifest's offsets, reading with tarfile and
the webdataset library, and incremental runs: nothing rewritten when nothing
changed, changed inputs in new shards, --prune compacting, --dry-run, format
changes, and a run killed with SIGKILL.
"""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import (
    RUN_LIMIT,
    STOP_LIMIT,
    WriteAudio,
    clean_env,
    interrupted_by_sigterm,
    mel,
    noise,
    tone,
)

from melcli.cli import cli
from melcli.interrupts import deferred as signals_deferred
from melcli.params import MelParams
from melcli.storage.tarshards import ClosedShard
from melcli.storage.webdataset import SampleStore, key_to_path

FILES = {
    "dogs/bark1.wav": noise(seed=1),
    "dogs/bark.v2.wav": noise(seed=2, seconds=1.5),  # a dot in the name
    "birds/deep/chirp.flac": tone(1000.0),
    "birds/tweet.wav": tone(3000.0, seconds=0.7),
    "v1.0/take 5.wav": noise(seed=5, seconds=0.5),  # a dot in a folder
    "café/naïve.wav": tone(200.0, seconds=1.2),
}
KEYS = {
    "dogs/bark1.wav": "dogs/bark1",
    "dogs/bark.v2.wav": "dogs/bark%2Ev2",
    "birds/deep/chirp.flac": "birds/deep/chirp",
    "birds/tweet.wav": "birds/tweet",
    "v1.0/take 5.wav": "v1%2E0/take 5",
    "café/naïve.wav": "café/naïve",
}
#: Small enough for two or three 1-s arrays (22.6 kB each) per shard.
SHARD = "60kB"
WDS = ("--format", "webdataset", "--shard-size", SHARD)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def audio(write_audio: WriteAudio, tmp_path: Path) -> Path:
    for rel, y in FILES.items():
        write_audio(rel, y)
    return tmp_path / "audio"


def shards(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("shard-*.tar"))


def members(out: Path) -> list[tuple[str, str, bytes]]:
    """``(shard, member name, bytes)`` of every member of every shard, in order."""
    found = []
    for name in shards(out):
        with tarfile.open(out / name) as tar:
            for info in tar:
                f = tar.extractfile(info)
                assert f is not None
                found.append((name, info.name, f.read()))
    return found


def samples(out: Path) -> dict[str, dict[str, bytes]]:
    """Members by key and suffix; a key found in two shards fails the test."""
    by_key: dict[str, dict[str, bytes]] = {}
    where: dict[str, str] = {}
    for shard, name, data in members(out):
        base = name.rsplit("/", 1)[-1]
        key = name[: len(name) - len(base)] + base.split(".")[0]
        suffix = base.split(".", 1)[1]
        assert where.setdefault(key, shard) == shard, f"{key} is in two shards"
        by_key.setdefault(key, {})[suffix] = data
    return by_key


def manifest(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text(encoding="ascii").splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".melcli-tmp")]


def state(out: Path) -> dict[str, tuple[int, int]]:
    """Every shard with its size and mtime."""
    return {
        n: (os.stat(out / n).st_size, os.stat(out / n).st_mtime_ns) for n in shards(out)
    }


def touch_later(path: Path, seconds: float = 2.0) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + int(seconds * 1e9)))


# -------------------------------------------------------------- round trip
def test_arrays_are_byte_equal_to_an_npy_run(audio: Path, tmp_path: Path) -> None:
    npy_out, wds_out = tmp_path / "npy", tmp_path / "wds"
    assert mel(audio, npy_out).exit_code == 0
    result = mel(audio, wds_out, *WDS)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    found = samples(wds_out)
    assert set(found) == set(KEYS.values())
    for rel, key in KEYS.items():
        assert set(found[key]) == {"npy", "json"}
        npy = (npy_out / rel).with_suffix(".npy")
        assert found[key]["npy"] == npy.read_bytes(), rel
        assert key_to_path(key) == str(Path(rel).with_suffix(""))
    # Only shards and bookkeeping: no .npy tree, no staging files left.
    assert sorted(p.name for p in wds_out.iterdir()) == sorted(
        [*shards(wds_out), "manifest.jsonl", ".melcli.lock", ".melcli-manifest.db"]
    )
    assert len(shards(wds_out)) > 1


def test_json_member_says_where_the_array_came_from(
    audio: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS, "--n-mels", "64").exit_code == 0
    meta = json.loads(samples(out)["dogs/bark%2Ev2"]["json"])
    params = MelParams(n_mels=64)
    assert meta["source"] == "dogs/bark.v2.wav"
    assert meta["key"] == "dogs/bark%2Ev2"
    assert meta["sr"] == 22050
    assert meta["samplerate"] == 22050
    assert meta["duration"] == pytest.approx(1.5)
    assert meta["dtype"] == "float32"
    assert meta["shape"] == [64, 1 + int(1.5 * 22050) // 512]
    assert meta["settings"] == params.fingerprint()
    assert meta["params"]["n_mels"] == 64
    assert meta["params"]["hop_length"] == 512  # effective values, not None
    assert meta["params"]["fmax"] == 11025.0


def test_manifest_records_the_shard_and_member_offsets(
    audio: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    entries = manifest(out)
    assert len(entries) == len(FILES)
    for rel, key in KEYS.items():
        entry = entries[str(Path(rel).with_suffix(".npy"))]
        assert entry["format"] == "webdataset"
        assert entry["sample"] == key
        assert entry["status"] == "written"
        shard = out / str(entry["shard"])
        data = shard.read_bytes()
        members = entry["members"]
        assert isinstance(members, dict)
        npy_offset, npy_size = members["npy"]
        array = np.load(io.BytesIO(data[npy_offset : npy_offset + npy_size]))
        assert list(array.shape) == entry["shape"]
        json_offset, json_size = members["json"]
        assert json.loads(data[json_offset : json_offset + json_size])["key"] == key
        assert entry["stamps"] == {
            entry["shard"]: [shard.stat().st_size, shard.stat().st_mtime_ns]
        }


@pytest.mark.parametrize("size", ["30kB", "60kB", "200kB"])
def test_shards_stay_under_the_size_bound(
    audio: Path, tmp_path: Path, size: str
) -> None:
    out = tmp_path / "wds"
    assert (
        mel(audio, out, "--format", "webdataset", "--shard-size", size).exit_code == 0
    )
    bound = {"30kB": 30_000, "60kB": 60_000, "200kB": 200_000}[size]
    per_shard = Counter(s for s, name, _ in members(out) if name.endswith(".npy"))
    for name, count in per_shard.items():
        size_now = (out / name).stat().st_size
        assert size_now <= bound or count == 1, (name, size_now, count)
    assert sum(per_shard.values()) == len(FILES)
    if size == "30kB":  # each 1-s array alone is close to the bound
        assert max(per_shard.values()) == 1


# webdataset 1.0 leaves the last shard's file for the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.slow
def test_the_webdataset_library_reads_every_sample(audio: Path, tmp_path: Path) -> None:
    wds = pytest.importorskip("webdataset")
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS, "--png").exit_code == 0
    urls = [str(out / n) for n in shards(out)]
    dataset = wds.WebDataset(urls, shardshuffle=False).decode()
    seen = {}
    for sample in dataset:
        assert isinstance(sample["npy"], np.ndarray)
        assert sample["json"]["key"] == sample["__key__"]
        seen[sample["__key__"]] = sample
    del dataset
    gc.collect()  # here, where the warning filter above applies
    assert set(seen) == set(KEYS.values())
    for rel, key in KEYS.items():
        assert seen[key]["json"]["source"] == rel
        assert seen[key]["npy"].shape == tuple(seen[key]["json"]["shape"])


def test_png_goes_into_the_sample(audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "wds"
    result = mel(audio, out, *WDS, "--png")
    assert result.exit_code == 0, result.stderr
    for key, sample in samples(out).items():
        assert set(sample) == {"npy", "json", "png"}, key
        assert sample["png"].startswith(PNG_SIGNATURE)


def test_bad_shard_size_is_a_usage_error(audio: Path, tmp_path: Path) -> None:
    result = mel(
        audio, tmp_path / "wds", "--format", "webdataset", "--shard-size", "1X"
    )
    assert result.exit_code == 2
    assert "'--shard-size'" in result.stderr
    assert "--shard-size 1X must be a size such as 1GB" in result.stderr
    assert not (tmp_path / "wds").exists()


# -------------------------------------------------------------- incremental
def test_a_rerun_with_nothing_changed_writes_nothing(
    audio: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    before = state(out)
    result = mel(audio, out, *WDS)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == f"0 written, {len(FILES)} up to date."
    assert state(out) == before


def test_a_changed_input_goes_into_a_new_shard(
    audio: Path, tmp_path: Path, write_audio: WriteAudio
) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    before = state(out)
    old_shard = manifest(out)["dogs/bark1.npy"]["shard"]
    write_audio("dogs/bark1.wav", noise(seed=99))
    dry = mel(audio, out, *WDS, "--dry-run")
    assert dry.stdout == f"would build {audio / 'dogs/bark1.wav'}: input changed\n"
    assert state(out) == before
    result = mel(audio, out, *WDS)
    assert result.stderr.splitlines()[-1] == f"1 written, {len(FILES) - 1} up to date."
    after = state(out)
    # Closed shards are never rewritten; the new copy is in a new shard.
    assert {n: after[n] for n in before} == before
    (new,) = set(after) - set(before)
    entry = manifest(out)["dogs/bark1.npy"]
    assert entry["shard"] == new != old_shard
    # The old copy is still in its shard (superseded) until --prune.
    keys = Counter(n for _, n, _ in members(out))
    assert keys["dogs/bark1.npy"] == 2
    # And the manifest's copy is the new array.
    ref = tmp_path / "ref"
    assert mel(audio, ref).exit_code == 0
    offset, size = entry["members"]["npy"]  # type: ignore[index]
    data = (out / new).read_bytes()[offset : offset + size]
    assert data == (ref / "dogs/bark1.npy").read_bytes()
    # Another run changes nothing.
    assert mel(audio, out, *WDS).stderr.splitlines()[-1].startswith("0 written")
    assert state(out) == after


def test_prune_compacts_superseded_and_stale_samples(
    audio: Path, tmp_path: Path, write_audio: WriteAudio
) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    write_audio("dogs/bark1.wav", noise(seed=99))
    (audio / "birds/tweet.wav").unlink()
    result = mel(audio, out, *WDS)
    assert result.exit_code == 0
    assert "1 stale output (--prune removes it)" in result.stderr
    assert Counter(n for _, n, _ in members(out))["birds/tweet.npy"] == 1
    dry = mel(audio, out, *WDS, "--prune", "--dry-run")
    tweet = out / manifest(out)["birds/tweet.npy"]["shard"] / "birds/tweet.npy"
    assert f"would delete {tweet}: its input is gone\n" in dry.stdout
    rewrites = [line for line in dry.stdout.splitlines() if "would rewrite" in line]
    bark_shard = manifest(out)["dogs/bark1.npy"]["shard"]
    assert len(rewrites) == 2, dry.stdout  # the old bark1's shard, and tweet's
    result = mel(audio, out, *WDS, "--prune", "-v")
    assert result.exit_code == 0, result.stderr
    assert bark_shard in shards(out)  # the new copy's shard is whole: kept
    assert "1 stale output removed" in result.stderr
    assert "removed stale" in result.stderr
    assert "birds/tweet.npy" in result.stderr
    # Every current input exactly once, nothing else, arrays as an npy run.
    found = samples(out)
    expected = {k for r, k in KEYS.items() if r != "birds/tweet.wav"}
    assert set(found) == expected
    ref = tmp_path / "ref"
    assert mel(audio, ref).exit_code == 0
    for rel, key in KEYS.items():
        if key in expected:
            assert found[key]["npy"] == (ref / rel).with_suffix(".npy").read_bytes()
    entries = manifest(out)
    assert set(entries) == {str(Path(r).with_suffix(".npy")) for r in FILES} - {
        "birds/tweet.npy"
    }
    for entry in entries.values():  # the manifest points at the copies
        shard = out / str(entry["shard"])
        offset, size = entry["members"]["npy"]  # type: ignore[index]
        assert (
            shard.read_bytes()[offset : offset + size]
            == found[str(entry["sample"])]["npy"]
        )
    # Nothing dead is left: a --prune re-run rewrites nothing.
    before = state(out)
    result = mel(audio, out, *WDS, "--prune")
    assert result.stderr.splitlines()[-1] == f"0 written, {len(expected)} up to date."
    assert state(out) == before


def test_a_shard_with_only_superseded_samples_is_deleted(
    audio: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    before = set(shards(out))
    dry = mel(audio, out, *WDS, "--force", "--dry-run")
    assert sorted(dry.stdout.splitlines()[len(FILES) :]) == [
        f"would delete {name}: it holds no current sample" for name in sorted(before)
    ]
    result = mel(audio, out, *WDS, "--force")
    assert result.exit_code == 0
    assert set(shards(out)).isdisjoint(before)
    assert set(samples(out)) == set(KEYS.values())


def test_adding_png_rewrites_the_samples(audio: Path, tmp_path: Path) -> None:
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    dry = mel(audio, out, *WDS, "--png", "--dry-run")
    assert dry.stdout.count(": PNG missing\n") == len(FILES)
    result = mel(audio, out, *WDS, "--png")
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    assert all(set(s) == {"npy", "json", "png"} for s in samples(out).values())
    result = mel(audio, out, *WDS, "--png")
    assert result.stderr.splitlines()[-1] == f"0 written, {len(FILES)} up to date."


def test_switching_formats_rebuilds_and_removes_the_old_outputs(
    audio: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(audio, out, "--png").exit_code == 0
    npy_files = sorted(out.rglob("*.npy"))
    assert len(npy_files) == len(FILES)
    reference = {p.relative_to(out).as_posix(): p.read_bytes() for p in npy_files}
    dry = mel(audio, out, *WDS, "--dry-run")
    assert dry.stdout.count(": format changed\n") == len(FILES)
    result = mel(audio, out, *WDS)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    assert list(out.rglob("*.npy")) == []
    assert list(out.rglob("*.png")) == []
    found = samples(out)
    for rel, key in KEYS.items():
        assert found[key]["npy"] == reference[str(Path(rel).with_suffix(".npy"))]
    # And back: the shards go, the tree comes back.
    result = mel(audio, out)
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    assert shards(out) == []
    assert {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.npy")
    } == reference


def test_a_failed_file_is_reported_and_the_rest_stored(
    audio: Path, tmp_path: Path
) -> None:
    (audio / "dogs/broken.wav").write_bytes(b"RIFF not really")
    out = tmp_path / "wds"
    result = mel(audio, out, *WDS)
    assert result.exit_code == 1
    assert f"error: {audio / 'dogs/broken.wav'}: " in result.stderr
    assert set(samples(out)) == set(KEYS.values())
    assert manifest(out)["dogs/broken.npy"]["status"] == "failed"
    assert temp_files(out) == []


def test_a_pool_run_stores_the_same_arrays(audio: Path, tmp_path: Path) -> None:
    serial, pool = tmp_path / "serial", tmp_path / "pool"
    assert mel(audio, serial, *WDS).exit_code == 0
    args = ["mel", audio, "-o", pool, "-j", "2", *WDS]
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    a, b = samples(serial), samples(pool)
    assert {k: v["npy"] for k, v in a.items()} == {k: v["npy"] for k, v in b.items()}
    assert temp_files(pool) == []


# -------------------------------------------------------------- interrupted
def _melcli() -> list[str]:
    script = Path(sys.executable).with_name("melcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
@pytest.mark.slow
def test_a_stopped_run_leaves_no_torn_shard_and_the_next_run_completes(
    tmp_path: Path, write_audio: WriteAudio, signum: int
) -> None:
    n_files = 16
    for i in range(n_files):
        write_audio(f"c{i % 2}/clip{i:02d}.wav", noise(seed=i, seconds=4.0))
    audio, out = tmp_path / "audio", tmp_path / "wds"
    slow = ("--hop-length", "64", "--n-fft", "4096", "--n-mels", "32")
    # Each array is ~55 kB: about one sample per 60-kB shard, so shards close
    # (and are recorded) while the run goes on.
    cmd = [*_melcli(), "mel", str(audio), "-o", str(out), "-j", "2", *WDS, *slow]
    env = clean_env()
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + RUN_LIMIT
        while len(shards(out)) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "no shard was closed in time"
            time.sleep(0.01)
        if signum == signal.SIGKILL:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signum)  # as a scheduler does: the parent only
        _, err = proc.communicate(timeout=STOP_LIMIT)
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL, "the run finished before the kill"
    else:
        # A clean stop closes the open shard and records what it holds.
        assert proc.returncode == 128 + signum, err
        stopped = err.splitlines()[-1]
        assert stopped.startswith("interrupted: "), err
        done = int(stopped.split()[1])
        entries = (out / "manifest.jsonl").read_text().splitlines()
        assert len(entries) == done
        assert len(samples(out)) == done
        assert temp_files(out) == []
    # Every shard under a final name is a whole tar archive.
    for name in shards(out):
        with tarfile.open(out / name) as tar:
            for info in tar:
                f = tar.extractfile(info)
                assert f is not None
                assert len(f.read()) == info.size
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    written, _, rest = result.stderr.splitlines()[-1].partition(" written")
    assert 0 < int(written) < n_files, result.stderr
    assert f"{n_files - int(written)} up to date" in rest
    assert temp_files(out) == []
    # Each input exactly once in the shards (samples() fails on duplicates),
    # the same arrays as an uninterrupted npy run.
    found = samples(out)
    assert len(found) == n_files
    ref = tmp_path / "ref"
    assert mel(audio, ref, *slow).exit_code == 0
    for key, sample in found.items():
        assert sample["npy"] == (ref / f"{key}.npy").read_bytes()


def test_a_closed_shards_samples_are_journaled_before_the_run_goes_on(
    audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill -9 just after a shard is in place keeps what the shard holds.

    Outcomes are recorded in batches, their journal lines written at the
    batch's end; a shard's samples must not wait for it (the stopped-run test
    above saw a whole shard that nothing recorded, so the next run built it
    again).
    """
    journaled: list[bool] = []
    recorded = SampleStore._recorded

    def check(store: SampleStore, closed: Iterable[ClosedShard]) -> None:
        closed = list(closed)
        recorded(store, closed)
        journal = store.manifest.journal_path.read_bytes()
        for shard in closed:
            for key, _ in shard.samples:
                journaled.append(json.dumps(key).encode() in journal)

    monkeypatch.setattr(SampleStore, "_recorded", check)
    out = tmp_path / "wds"
    assert mel(audio, out, *WDS).exit_code == 0
    assert len(journaled) == len(FILES)
    # Every shard but the last closes during the run; the last, at its end
    # (outside any batch).
    assert all(journaled), journaled


def test_signals_wait_until_a_shard_and_its_samples_are_recorded() -> None:
    steps = []

    def critical() -> None:
        with signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler runs at once if not held
            steps.append("finished")

    interrupted_by_sigterm(critical)
    assert steps == ["finished"]
