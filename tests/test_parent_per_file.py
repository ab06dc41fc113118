"""What the run's own process does per file at -j 2: each piece of work once.

With two CPUs and two workers, every instruction this process spends on a file
is taken from a worker: an entry is encoded as JSON once (for the journal, and
that line is what the commit stores), and the pool waits for its workers
without building a selector per wait.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import manifest, runners
from melcli.manifest import Manifest
from melcli.params import MelParams
from melcli.runners import ProcessRunner
from melcli.session import Inputs, RunOptions, run_session


def entry(key: str, **more: object) -> dict[str, object]:
    return {"key": key, "status": "written", "error": "", **more}


def view(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Note the key of every entry encoded as a JSON line."""
    keys: list[str] = []
    real = manifest._dumps

    def dumps(e: dict[str, object]) -> bytes:
        keys.append(str(e.get("key")))
        return real(e)

    monkeypatch.setattr(manifest, "_dumps", dumps)
    return keys


def test_an_entry_recorded_is_encoded_once_journal_and_commit(
    tmp_path: Path, encoded: list[str]
) -> None:
    keys = [f"a/{i:03d}.npy" for i in range(10)]  # fewer than a stage batch
    m = Manifest(out=tmp_path)
    m.begin()
    for key in keys:
        m.record(entry(key, n=1))
    m.commit()

    assert sorted(encoded) == keys  # not encoded again by the commit
    assert view(tmp_path) == {k: entry(k, n=1) for k in keys}


def test_an_entry_set_again_is_committed_as_set_last(
    tmp_path: Path, encoded: list[str]
) -> None:
    m = Manifest(out=tmp_path)
    m.begin()
    m.record(entry("a.npy", n=1))
    m.record(entry("b.npy", n=1))
    m.record(entry("a.npy", n=2))  # its first line is no longer the entry
    m.entries["b.npy"] = entry("b.npy", n=3)  # set without a line
    m.commit()

    assert view(tmp_path) == {
        "a.npy": entry("a.npy", n=2),
        "b.npy": entry("b.npy", n=3),
    }


def test_a_run_encodes_each_new_entry_once(tmp_path: Path, encoded: list[str]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        sf.write(src / f"{i}.wav", rng.uniform(-0.5, 0.5, 4000), 16000)
    out = tmp_path / "out"

    outcome = run_session(
        Inputs(sources=[src]),
        out,
        params=MelParams(sr=16000, n_fft=256, hop_length=128, n_mels=16),
        options=RunOptions(jobs=1),
    )

    assert outcome.report is not None
    assert outcome.report.exit_code == 0
    assert sorted(encoded) == [f"{i}.npy" for i in range(4)]
    assert sorted(view(out)) == [f"{i}.npy" for i in range(4)]


def _exit_when_told(conn: Connection) -> None:
    conn.recv()


def test_wait_finds_a_message_a_death_or_nothing() -> None:
    ours, theirs = multiprocessing.Pipe()
    told, tell = multiprocessing.Pipe(duplex=False)
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    process = context.Process(target=_exit_when_told, args=(told,))
    process.start()
    try:
        assert runners._wait([ours, process.sentinel], 0.0) == set()
        theirs.send("hello")
        assert runners._wait([ours, process.sentinel], 30.0) == {ours}
        assert ours.recv() == "hello"
        tell.send("go")
        process.join(30.0)
        assert runners._wait([ours, process.sentinel], 30.0) == {process.sentinel}
        theirs.close()  # the other end closed: readable (EOF), as a dead worker's
        assert runners._wait([ours], 30.0) == {ours}
    finally:
        tell.close()
        process.join(30.0)
        ours.close()


def _square(x: int) -> int:
    return x * x


def test_a_pool_collects_every_outcome_with_its_own_wait() -> None:
    runner = ProcessRunner(2, preload=())
    got = dict(runner.run(_square, range(40)))

    assert got == {i: i * i for i in range(40)}
