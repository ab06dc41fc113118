"""The run engine (melcli.session) and melcli.run, the Python API's one call."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_AUDIO, SAMPLE_FILES

import melcli
from melcli import MelParams, Result, Status, UsageError
from melcli.cli import cli
from melcli.session import Events, Inputs, RunOptions, run_session

N_SAMPLES = len(SAMPLE_FILES)


def test_sample_audio_has_files() -> None:
    assert N_SAMPLES == 8


def test_a_second_call_finds_everything_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = melcli.run([SAMPLE_AUDIO], out, jobs=1)
    assert first.count(Status.WRITTEN) == N_SAMPLES
    assert (out / "manifest.jsonl").is_file()

    second = melcli.run([SAMPLE_AUDIO], out, jobs=1)
    assert second.count(Status.WRITTEN) == 0
    assert second.count(Status.UP_TO_DATE) == N_SAMPLES
    assert second.summary().startswith(f"0 written, {N_SAMPLES} up to date")
    assert second.exit_code == 0

    # The command agrees: the same OUT is up to date for it too.
    result = CliRunner().invoke(cli, ["mel", str(SAMPLE_AUDIO), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == second.summary()


def test_on_result_sees_each_up_to_date_input(tmp_path: Path) -> None:
    """An up-to-date input is held as its path; a caller still gets its result."""
    out = tmp_path / "out"
    melcli.run([SAMPLE_AUDIO], out, jobs=1)
    seen: list[Result] = []

    again = melcli.run([SAMPLE_AUDIO], out, jobs=1, on_result=seen.append)

    fresh = [r for r in seen if r.status is Status.UP_TO_DATE]
    assert sorted(r.src for r in fresh) == SAMPLE_FILES
    assert all(type(r.src) is type(SAMPLE_AUDIO) for r in fresh)  # a Path, as ever
    assert [(r.src, r.status) for r in again.results] == [
        (r.src, r.status) for r in seen
    ]


def test_a_concurrent_call_fails_as_the_command_does(tmp_path: Path) -> None:
    out = tmp_path / "out"
    running, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold(result: object) -> None:
        running.set()
        release.wait(60)

    def first_run() -> None:
        try:
            melcli.run([SAMPLE_AUDIO], out, jobs=1, on_result=hold)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        assert running.wait(60), "the first run never produced a result"
        with pytest.raises(UsageError) as caught:
            melcli.run([SAMPLE_AUDIO], out, jobs=1)
        command = CliRunner().invoke(cli, ["mel", str(SAMPLE_AUDIO), "-o", str(out)])
    finally:
        release.set()
        thread.join(60)
    assert not errors
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message
    assert "another melcli run" in message
    assert command.exit_code == 2
    assert command.stderr == f"Error: {message}\n"


def test_signal_during_a_call_raises_with_the_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written: list[melcli.Result] = []

    def stop_after_first(result: melcli.Result) -> None:
        if result.status is Status.WRITTEN:
            written.append(result)
            if len(written) == 1:
                os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(melcli.RunInterrupted) as caught:
        melcli.run([SAMPLE_AUDIO], out, jobs=1, on_result=stop_after_first)
    report = caught.value.report
    assert isinstance(caught.value, KeyboardInterrupt)
    assert report.interrupted_by == signal.SIGTERM
    assert report.exit_code == 128 + signal.SIGTERM
    assert report.count(Status.WRITTEN) == 1
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back
    assert not (out / ".melcli-journal.jsonl").exists()
    # What was written is recorded: the next call builds only the rest.
    again = melcli.run([SAMPLE_AUDIO], out, jobs=1)
    assert again.count(Status.UP_TO_DATE) == 1
    assert again.count(Status.WRITTEN) == N_SAMPLES - 1


def test_webdataset_shards_and_stats(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = melcli.run(
        [SAMPLE_AUDIO], out, jobs=1, storage_format="webdataset", stats=True
    )
    assert first.count(Status.WRITTEN) == N_SAMPLES
    assert [p.name for p in out.glob("*.tar")] == ["shard-000000.tar"]
    assert not list(out.rglob("*.npy"))
    with np.load(out / "stats.npz") as stats:
        assert stats["mean"].shape == (MelParams().n_mels,)
    again = melcli.run([SAMPLE_AUDIO], out, jobs=1, storage_format="webdataset")
    assert again.count(Status.UP_TO_DATE) == N_SAMPLES


def test_options_that_do_not_go_together_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(melcli.ParameterError) as caught:
        melcli.run([SAMPLE_AUDIO], tmp_path / "o", shard="0/2", stats=True)
    assert caught.value.param == "shard"
    assert not (tmp_path / "o").exists()


class Recorder(Events):
    def __init__(self) -> None:
        self.told: list[str] = []

    def started(self, total: int) -> None:
        self.told.append(f"started {total}")

    def result(self, result: melcli.Result) -> None:
        self.told.append(result.status.value)

    def finished(self, report: melcli.Report) -> None:
        self.told.append(report.summary())


def test_the_engine_tells_its_events_in_order(tmp_path: Path) -> None:
    events = Recorder()
    outcome = run_session(
        Inputs([SAMPLE_AUDIO]),
        tmp_path / "out",
        params=MelParams(),
        options=RunOptions(jobs=1),
        events=events,
    )
    assert outcome.report is not None
    assert outcome.exit_code == 0
    skipped = outcome.total - N_SAMPLES  # sample_audio's README and script
    assert events.told == [
        f"started {outcome.total}",
        *["skipped"] * skipped,
        *["written"] * N_SAMPLES,
        outcome.report.summary(),
    ]


def test_a_dry_run_returns_what_would_be_built(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = run_session(
        Inputs([SAMPLE_AUDIO]),
        out,
        params=MelParams(),
        options=RunOptions(dry_run=True),
    )
    assert outcome.report is None
    assert outcome.dry_run is not None
    assert sorted(src for src, _ in outcome.dry_run.builds) == SAMPLE_FILES
    assert {why for _, why in outcome.dry_run.builds} == {"new"}
    assert not out.exists()
    melcli.run([SAMPLE_AUDIO], out, jobs=1)
    again = run_session(
        Inputs([SAMPLE_AUDIO]),
        out,
        params=MelParams(n_mels=64),
        options=RunOptions(dry_run=True),
    )
    assert again.dry_run is not None
    assert len(again.dry_run.builds) == N_SAMPLES
    assert {why for _, why in again.dry_run.builds} == {"settings changed"}


def test_melcli_run_dry_run_returns_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = melcli.run([SAMPLE_AUDIO], out, dry_run=True)
    assert isinstance(plan, melcli.session.DryRun)
    assert sorted(src for src, _ in plan.builds) == SAMPLE_FILES
    assert not out.exists()
    melcli.run([SAMPLE_AUDIO], out, jobs=1)
    again = melcli.run([SAMPLE_AUDIO], out, dry_run=True)
    assert (again.builds, again.up_to_date) == ([], N_SAMPLES)
    # As the command prints it with --dry-run --json.
    result = CliRunner().invoke(
        cli, ["mel", str(SAMPLE_AUDIO), "-o", str(out), "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == again.to_json()


@pytest.mark.parametrize("timeout", [-1.0, float("nan"), 1e300, "5", True])
def test_a_timeout_that_is_not_seconds_names_the_option(
    tmp_path: Path, timeout: object
) -> None:
    with pytest.raises(melcli.ParameterError) as caught:
        melcli.run([SAMPLE_AUDIO], tmp_path / "o", jobs=2, timeout=timeout)  # type: ignore[arg-type]
    assert caught.value.param == "timeout"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("jobs", [0, -1, 1.5, "2", True])
def test_jobs_that_are_not_a_count_of_workers_name_the_option(
    tmp_path: Path, jobs: object
) -> None:
    # As --jobs refuses them; 0 and -1 ran as if jobs were 1 (found by redteam3).
    with pytest.raises(melcli.ParameterError) as caught:
        melcli.run([SAMPLE_AUDIO], tmp_path / "o", jobs=jobs)  # type: ignore[arg-type]
    assert caught.value.param == "jobs"
    assert not (tmp_path / "o").exists()


def test_jobs_may_be_a_numpy_integer(tmp_path: Path) -> None:
    report = melcli.run([SAMPLE_AUDIO], tmp_path / "o", jobs=np.int64(1))
    assert report.count(melcli.Status.WRITTEN) == 8
