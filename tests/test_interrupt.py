"""Stopping a run: SIGINT, SIGTERM, SIGKILL, and two runs on one OUT.

These start ``melcli`` as a real process group (``start_new_session``) on a
dataset big enough that a run lasts a dozen rounds of files, stop it part way,
and check that OUT is left consistent and that the next run finishes the job
with the same bytes as a run that was never stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import (
    RUN_LIMIT,
    STOP_LIMIT,
    clean_env,
    interrupted_by_sigterm,
    noise_clips,
    tone,
    wait_for,
)

from melcli.cli import cli

#: Slow or timing-sensitive: left out of ``make test-fast`` (see conftest.py).
pytestmark = pytest.mark.slow

N_FILES = 24
#: Settings that make each 5-s file cost a little CPU: a run of 24 lasts a
#: second or two on a quiet machine, about 12 rounds of two files, so a test
#: that waits for the first file has many rounds left in which to stop it.
SLOW = ("--hop-length", "64", "--n-fft", "8192", "--n-mels", "32")
BOOKKEEPING = {
    "manifest.jsonl",
    ".melcli.lock",
    ".melcli-journal.jsonl",
    ".melcli-manifest.db",
}
TEMP_MARK = ".melcli-tmp"
HANG = (
    "the run did not stop in time after the signal (a worker that raised inside "
    "multiprocessing's queue code can leave a lock held and the parent waiting)"
)


# ------------------------------------------------------------------ helpers
def melcli_command() -> list[str]:
    script = Path(sys.executable).with_name("melcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]


class Runs:
    """Starts melcli processes, each in its own process group, and reaps them."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.started: list[subprocess.Popen[str]] = []

    def start(
        self, *args: object, preexec_fn: Callable[[], None] | None = None
    ) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*melcli_command(), *(str(a) for a in args)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.cwd,
            env=clean_env(),
            start_new_session=True,
            preexec_fn=preexec_fn,
        )
        self.started.append(proc)
        return proc

    def run(self, *args: object, timeout: float = RUN_LIMIT) -> tuple[int, str, str]:
        proc = self.start(*args)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise
        return proc.returncode, out, err

    def reap(self) -> None:
        for proc in self.started:
            if proc.returncode is None:  # not reaped: its group id is still its own
                kill_group(proc)
            # A test that failed before reading them leaves its pipes open: a
            # ResourceWarning later would fail whichever test is running then.
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the process group ``proc`` leads (workers too), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def stderr_at_exit(proc: subprocess.Popen[str]) -> str:
    """Wait for ``proc`` to exit, at most STOP_LIMIT seconds; return its stderr.

    A hang (the run not stopping in time) fails the test.
    """
    try:
        _, err = proc.communicate(timeout=STOP_LIMIT)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        pytest.fail(HANG)
    return err


def journal_written(out: Path) -> int:
    """Files the running process has recorded as written (complete lines only)."""
    try:
        raw = (out / ".melcli-journal.jsonl").read_bytes()
    except FileNotFoundError:
        return 0
    lines = raw.split(b"\n")[:-1]  # the last piece may be a line being written
    return sum(json.loads(line).get("status") == "written" for line in lines)


def outputs(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in BOOKKEEPING
    }


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(TEMP_MARK)]


def manifest_entries(out: Path) -> list[dict[str, object]]:
    text = (out / "manifest.jsonl").read_text(encoding="ascii")
    assert text == "" or text.endswith("\n")
    entries = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(e, dict) for e in entries)
    return entries


def counts(summary: str) -> tuple[int, int]:
    """``(written, up to date)`` from ``"12 written, 28 up to date."``."""
    written = up_to_date = 0
    for part in summary.rstrip(".").split(", "):
        number, _, what = part.partition(" ")
        if what == "written":
            written = int(number)
        elif what == "up to date":
            up_to_date = int(number)
        else:
            raise AssertionError(f"unexpected summary part {part!r} in {summary!r}")
    return written, up_to_date


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 five-second 44.1 kHz stereo WAVs in 4 class folders (deterministic)."""
    root = tmp_path_factory.mktemp("interrupt") / "data"
    return noise_clips(root, n=N_FILES, frames=220_500, folders=4, seed=2024)


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[Runs]:
    runs = Runs(tmp_path)
    yield runs
    runs.reap()


@pytest.fixture(scope="module")
def reference(data: Path) -> dict[str, bytes]:
    """The outputs of one uninterrupted run."""
    out = data.parent / "reference"
    runs = Runs(data.parent)
    try:
        code, _, err = runs.run("mel", data, "-o", out, "-j", "2", *SLOW)
    finally:
        runs.reap()
    assert code == 0, err
    assert err.splitlines()[-1] == f"{N_FILES} written."
    result = outputs(out)
    assert len(result) == N_FILES
    return result


def check_consistent(out: Path, reference: dict[str, bytes]) -> int:
    """OUT after a stop: no temp files, only whole arrays, a valid manifest.

    Returns the number of files the manifest records as written.
    """
    assert temp_files(out) == []
    present = outputs(out)
    for rel, content in present.items():
        assert rel.endswith(".npy"), rel
        assert np.load(out / rel).shape[0] == 32, rel
        assert content == reference[rel], f"{rel} differs from an unstopped run"
    assert not (out / ".melcli-journal.jsonl").exists(), "manifest not committed"
    written = [e for e in manifest_entries(out) if e["status"] == "written"]
    for entry in written:
        npy = out / str(entry["npy"])
        st = npy.stat()
        assert entry["stamps"] == {entry["npy"]: [st.st_size, st.st_mtime_ns]}
    return len(written)


def resume_and_compare(
    runs: Runs, data: Path, out: Path, reference: dict[str, bytes], done: int
) -> None:
    """Run again to completion: ``done`` files are up to date, the rest written."""
    code, _, err = runs.run("mel", data, "-o", out, "-j", "2", *SLOW)
    assert code == 0, err
    assert counts(err.splitlines()[-1]) == (N_FILES - done, done)
    assert temp_files(out) == []
    assert outputs(out) == reference


# ---------------------------------------------------------- SIGINT, SIGTERM
@pytest.mark.parametrize(
    ("signum", "to_group"),
    [
        (signal.SIGINT, True),  # Ctrl-C in a terminal: the whole group
        (signal.SIGTERM, False),  # kill PID
        (signal.SIGTERM, True),  # a service manager stopping the group
    ],
    ids=["sigint-group", "sigterm-pid", "sigterm-group"],
)
def test_signal_stops_cleanly_and_next_run_finishes(
    data: Path,
    reference: dict[str, bytes],
    runs: Runs,
    tmp_path: Path,
    signum: int,
    to_group: bool,
) -> None:
    out = tmp_path / "out"
    proc = runs.start("mel", data, "-o", out, "-j", "2", *SLOW)
    wait_for(lambda: journal_written(out) >= 1 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    assert list(out.rglob("*.npy"))

    if to_group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    err = stderr_at_exit(proc)

    assert proc.returncode == 128 + signum, err
    last = err.splitlines()[-1]
    assert last.startswith("interrupted: "), err
    assert "Traceback" not in err
    done = check_consistent(out, reference)
    assert done >= 1
    assert last.startswith(f"interrupted: {done} written"), (last, done)
    assert done < N_FILES

    resume_and_compare(runs, data, out, reference, done)


@pytest.fixture
def slow_files(tmp_path: Path) -> Path:
    """One short file, then long ones that each keep a worker busy for a while."""
    root = tmp_path / "slow"
    root.mkdir()
    sf.write(root / "a_short.wav", tone(seconds=0.2), 22050, subtype="PCM_16")
    rng = np.random.default_rng(5)
    for i in range(6):
        y = (rng.random(30 * 44100, dtype=np.float32) - 0.5) * 0.5
        sf.write(root / f"b{i}.wav", y, 44100, subtype="PCM_16")
    return root


def test_no_file_is_started_after_the_signal(slow_files: Path, runs: Runs) -> None:
    out = slow_files.parent / "out"
    settings = ("--hop-length", "32", "--n-fft", "4096", "--n-mels", "32")
    proc = runs.start("mel", slow_files, "-o", out, "-j", "2", *settings)
    wait_for(lambda: (out / "a_short.npy").exists() or proc.poll() is not None)
    assert proc.poll() is None
    at_signal = {p.name for p in out.glob("*.npy")}
    proc.send_signal(signal.SIGINT)
    stderr_at_exit(proc)

    assert proc.returncode == 130
    assert {p.name for p in out.glob("*.npy")} == at_signal


#: A pool worker that gets SIGTERM while it is not running a task: in the pool
#: this is multiprocessing's own code (taking the next item, or sending a result
#: under the result queue's lock), which catches BaseException and goes on.
WORKER_BETWEEN_TASKS = """
import os, signal, time
from melcli.runners import init_worker
init_worker()
try:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
except BaseException:
    os._exit(99)  # the library saw an exception: it may hold a lock by now
os._exit(0)
"""


def test_worker_sigterm_between_tasks_ends_it_without_raising() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", WORKER_BETWEEN_TASKS],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
        env=clean_env(),
    )
    assert proc.returncode in (128 + signal.SIGTERM, -signal.SIGTERM), proc.stderr


# ------------------------------------------------------------------ SIGKILL
def test_sigkill_leftovers_are_removed_by_the_next_run(
    data: Path, reference: dict[str, bytes], runs: Runs, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = runs.start("mel", data, "-o", out, "-j", "2", *SLOW)
    wait_for(lambda: journal_written(out) >= 2 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers
    proc.communicate(timeout=STOP_LIMIT)
    assert proc.returncode == -signal.SIGKILL
    journaled = journal_written(out)
    assert journaled >= 2
    leftovers = [out / ".x.npy.abc.melcli-tmp", out / "class1" / ".y.npy.k2.melcli-tmp"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x93NUMPY half an array")

    code, _, err = runs.run("mel", data, "-o", out, "-j", "2", *SLOW)

    assert code == 0, err
    written, up_to_date = counts(err.splitlines()[-1])
    assert written + up_to_date == N_FILES
    assert up_to_date >= journaled  # what the journal recorded was kept
    assert temp_files(out) == []
    assert outputs(out) == reference
    assert not (out / ".melcli-journal.jsonl").exists()
    assert len(manifest_entries(out)) == N_FILES


class _TakenWithACtrlC(tuple):  # type: ignore[type-arg]
    """An outcome whose unpacking by the consumer is where Ctrl-C comes."""

    def __iter__(self) -> Iterator[Any]:
        raise KeyboardInterrupt


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_signal_as_an_outcome_is_taken_loses_no_finished_file(
    tmp_path: Path, jobs: int
) -> None:
    # The runner has handed the first outcome on; Ctrl-C comes before the
    # run records it. Its file is written: it must end recorded, not deleted
    # as never heard of.
    from melcli.batch import RunInterrupted, run_plan
    from melcli.discover import plan
    from melcli.manifest import Manifest
    from melcli.params import MelParams
    from melcli.runners import ProcessRunner, SerialRunner

    audio = tmp_path / "audio"
    audio.mkdir()
    for name in ("a", "b", "c"):
        sf.write(audio / f"{name}.wav", tone(), 22050)
    out = tmp_path / "out"
    inner = SerialRunner() if jobs == 1 else ProcessRunner(jobs, preload=())

    class CtrlCOnTheFirst:
        def __init__(self) -> None:
            self.notes: list[str] = []
            self.lost_workers = False

        @property
        def late(self) -> list[Any]:
            return inner.late

        def run(self, fn: Any, items: Any) -> Any:
            outcomes = inner.run(fn, items)
            try:
                yield _TakenWithACtrlC(next(outcomes))
            finally:
                outcomes.close()

    manifest = Manifest.load(out)
    with pytest.raises(RunInterrupted) as stopped:
        run_plan(
            plan([audio], out),
            params=MelParams(),
            runner=CtrlCOnTheFirst(),
            manifest=manifest,
        )
    written = sorted(p.name for p in out.glob("*.npy"))
    assert written  # the first outcome's file, at least
    from melcli.report import Status

    assert stopped.value.report.count(Status.WRITTEN) == len(written)
    assert sorted(Manifest.load(out).entries) == written


def test_journal_exists_before_the_first_result(tmp_path: Path) -> None:
    # A run killed during its first file must still leave a journal behind,
    # since the journal is what tells the next run to remove leftovers.
    from melcli.batch import run_plan
    from melcli.discover import plan
    from melcli.manifest import Manifest
    from melcli.params import MelParams

    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "x.wav", tone(), 22050)
    out = tmp_path / "out"
    manifest = Manifest.load(out)
    seen: list[bool] = []

    class Spy:
        def __init__(self) -> None:
            self.notes: list[str] = []
            self.late: list[Any] = []
            self.lost_workers = False

        def run(self, fn: Any, items: Any) -> Any:
            for item in items:
                seen.append(manifest.journal_path.exists())
                yield item, fn(item)

    run_plan(plan([audio], out), params=MelParams(), runner=Spy(), manifest=manifest)
    assert seen == [True]
    assert not manifest.journal_path.exists()  # committed at the end


def test_up_to_date_files_are_not_journaled(tmp_path: Path) -> None:
    # Their entries are the manifest's own (only the status changes): a run
    # killed during a re-run needs no line for them.
    from melcli.batch import run_plan
    from melcli.discover import plan
    from melcli.manifest import Manifest
    from melcli.params import MelParams
    from melcli.runners import SerialRunner

    audio = tmp_path / "audio"
    audio.mkdir()
    for name in ("a", "b"):
        sf.write(audio / f"{name}.wav", tone(), 22050)
    (audio / "c.wav").write_bytes(b"not audio")
    out = tmp_path / "out"

    def journal_when_recorded(manifest: Manifest) -> list[bytes]:
        seen: list[bytes] = []
        run_plan(
            plan([audio], out),
            params=MelParams(),
            runner=SerialRunner(),
            manifest=manifest,
            on_result=lambda result: seen.append(manifest.journal_path.read_bytes()),
        )
        return seen

    first = journal_when_recorded(Manifest.load(out))
    assert len(first) == 3
    assert first[-1].count(b"\n") == 3  # two written, one failed
    again = Manifest.load(out)
    seen = journal_when_recorded(again)
    assert len(seen) == 3
    assert seen[-1].count(b"\n") == 1  # only the file that failed, again
    statuses = sorted(entry["status"] for entry in again.entries.values())
    assert statuses == ["failed", "up-to-date", "up-to-date"]


def test_a_re_run_acts_on_a_signal_within_a_chunk_of_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files known before any task runs (up to date here) are recorded a chunk
    # at a time under one signal hold: a signal waits for its chunk, no more.
    from melcli import batch
    from melcli.discover import plan
    from melcli.manifest import Manifest
    from melcli.params import MelParams
    from melcli.report import Status
    from melcli.runners import SerialRunner

    audio = tmp_path / "audio"
    audio.mkdir()
    for i in range(5):
        sf.write(audio / f"{i}.wav", tone(), 22050)
    out = tmp_path / "out"
    seen: list[Path] = []

    def on_result(result: Any) -> None:
        seen.append(result.src)
        if len(seen) == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    def run(on_result: Any = None) -> None:
        try:
            batch.run_plan(
                plan([audio], out),
                params=MelParams(),
                runner=SerialRunner(),
                manifest=Manifest.load(out),
                on_result=on_result,
            )
        except KeyboardInterrupt as exc:
            reports.append(exc.report)  # type: ignore[attr-defined]
            raise

    reports: list[Any] = []
    run()
    monkeypatch.setattr(batch, "HOLD_EVERY", 2)
    interrupted_by_sigterm(lambda: run(on_result))
    assert len(seen) == 2
    # As at any other point of a run: what was counted is in the manifest.
    assert reports[0].count(Status.UP_TO_DATE) == 2
    assert not (out / ".melcli-journal.jsonl").exists()


def test_a_signal_in_a_nested_hold_waits_for_the_outer_one() -> None:
    from melcli.interrupts import deferred

    steps = []

    def nested() -> None:
        with deferred():
            with deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler runs at once if not held
            steps.append("inner block done")  # still held by the outer block

    interrupted_by_sigterm(nested)
    assert steps == ["inner block done"]


def test_leftovers_of_a_run_killed_in_its_first_file_are_removed(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "x.wav", tone(), 22050)
    # What SIGKILL during the first file leaves: the lock, an empty journal and
    # a partial array.
    out = tmp_path / "out"
    out.mkdir()
    (out / ".melcli.lock").write_text("12345")
    (out / ".melcli-journal.jsonl").write_bytes(b"")
    leftover = out / ".x.npy.q8z1.melcli-tmp"
    leftover.write_bytes(b"\x93NUMPY partial")

    result = CliRunner().invoke(cli, ["mel", str(audio), "-o", str(out), "-j", "1"])

    assert result.exit_code == 0, result.stderr
    assert (out / "x.npy").is_file()
    assert temp_files(out) == []


# ------------------------------------------------------------- concurrency
def test_second_run_on_same_out_is_refused_at_once(
    data: Path, reference: dict[str, bytes], runs: Runs, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = runs.start("mel", data, "-o", out, "-j", "2", *SLOW)
    wait_for(lambda: journal_written(out) >= 1 or first.poll() is not None)
    assert first.poll() is None, "the first run ended too soon"
    # Held still (its workers too) with OUT locked, however long the second
    # run takes to start on a busy machine: a second run that waited for the
    # lock would wait forever, and time out.
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        code, stdout, err = runs.run(
            "mel", data, "-o", out, "-j", "2", timeout=STOP_LIMIT
        )
        assert first.poll() is None
    finally:
        os.killpg(first.pid, signal.SIGCONT)

    assert code != 0
    assert stdout == ""
    assert "another melcli run" in err
    assert str(out) in err
    _, err1 = first.communicate(timeout=RUN_LIMIT)
    assert first.returncode == 0, err1
    assert err1.splitlines()[-1] == f"{N_FILES} written."
    assert outputs(out) == reference
    assert temp_files(out) == []


def test_locked_out_exits_2(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "x.wav", tone(), 22050)
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / ".melcli.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = CliRunner().invoke(cli, ["mel", str(audio), "-o", str(out), "-j", "1"])
    finally:
        os.close(fd)

    assert "another melcli run" in result.stderr
    assert not (out / "x.npy").exists()
    assert result.exit_code == 2


TRACKER_START_SCRIPT = """
import os, signal
from multiprocessing import resource_tracker
from melcli import interrupts, runners

seen = []
signal.signal(signal.SIGINT, lambda n, f: seen.append(n))

def start_as_multiprocessing_does():
    # Its stop signals blocked while it spawns the tracker, then unblocked
    # (not put back as they were).
    both = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, both)
    try:
        os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C meanwhile
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, both)

resource_tracker.ensure_running = start_as_multiprocessing_does
print(interrupts._one_thread(), flush=True)  # else nothing is ignored: no test
runners._start_resource_tracker()
print(seen)
"""


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX only")
def test_a_ctrl_c_while_the_resource_tracker_starts_is_not_lost(
    tmp_path: Path,
) -> None:
    # Seen under load: a Ctrl-C sent while a run started its resource tracker
    # was discarded (SIGINT ignored when the start unblocked it), and the run
    # went on to "8 written." with status 0.
    script = tmp_path / "tracker.py"
    script.write_text(TRACKER_START_SCRIPT)
    proc = subprocess.run(
        [sys.executable, script],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == ["True", f"[{int(signal.SIGINT)}]"]
