"""``--scheduler``: the per-file work on a real Dask cluster.

Each test compares against a run of the local pool: same bytes, same summary,
same manifest (but for output timestamps), same exit code. The clusters are
real ``LocalCluster``\\ s with two worker processes on 127.0.0.1.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import math
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import RUN_LIMIT, STOP_LIMIT, clean_env, noise_clips, wait_for

from melcli import cluster as melcli_cluster
from melcli.cli import cli
from melcli.errors import UsageError
from melcli.manifest import versions

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
#: Slow or timing-sensitive: left out of ``make test-fast`` (see conftest.py).
pytestmark = pytest.mark.slow

#: Settings that make each file cost a little CPU, so a run lasts a few seconds.
SLOW = ("--hop-length", "64", "--n-fft", "8192", "--n-mels", "32")
N_SLOW = 12
BOOKKEEPING = ("manifest", ".melcli")  # manifests, journals, locks
TEMP_MARK = ".melcli-tmp"


# ------------------------------------------------------------------ helpers
def start_cluster() -> Any:
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # No dashboard; its HTTP server (health checks) on a free port.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    )


def melcli_command() -> list[str]:
    script = Path(sys.executable).with_name("melcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]


def invoke(*args: object) -> Any:
    result = CliRunner().invoke(
        cli, ["mel", *(str(a) for a in args)], env={}, catch_exceptions=False
    )
    return result


def outputs(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(BOOKKEEPING)
    }


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(TEMP_MARK)]


def manifest(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "manifest.jsonl").read_text(encoding="ascii").splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def comparable(entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Entries without the outputs' mtimes (two runs write at different times)."""
    return {
        key: {
            **{k: v for k, v in e.items() if k != "stamps"},
            "sizes": {name: s[0] for name, s in (e.get("stamps") or {}).items()},
        }
        for key, e in entries.items()
    }


def sorted_lines(text: str) -> list[str]:
    """Message lines in a fixed order (a cluster finishes files in any order)."""
    lines = text.splitlines()
    return sorted(lines[:-1]) + lines[-1:]


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[Any]:
    """One running cluster for the tests that only connect to it."""
    cluster = start_cluster()
    yield cluster
    cluster.close()


@pytest.fixture
def mixed(tmp_path: Path, dataset: Path) -> Path:
    """The conftest dataset plus a file that fails and one that is skipped."""
    (dataset / "dogs" / "broken.wav").write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    (dataset / "notes.txt").write_text("not audio")
    return dataset


@pytest.fixture(scope="module")
def slow_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files that take a moment each, so a worker can be killed mid-run."""
    root = tmp_path_factory.mktemp("cluster") / "slow"
    return noise_clips(root, n=N_SLOW, frames=220_500, folders=2, seed=7)


@pytest.fixture(scope="module")
def slow_reference(slow_data: Path) -> dict[str, bytes]:
    out = slow_data.parent / "reference"
    proc = subprocess.run(
        [*melcli_command(), "mel", slow_data, "-o", out, "-j", "2", *SLOW],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return outputs(out)


# -------------------------------------------------------------------- tests
def test_local_cluster_matches_local_run(mixed: Path, tmp_path: Path) -> None:
    local = invoke(mixed, "-o", tmp_path / "local", "-j", "1", "--png")
    dask = invoke(
        mixed, "-o", tmp_path / "dask", "--scheduler", "local", "-j", "2", "--png"
    )

    assert local.exit_code == dask.exit_code == 1  # broken.wav fails in both
    assert sorted_lines(dask.stderr) == sorted_lines(local.stderr)
    assert "error: " in local.stderr
    assert local.stderr.splitlines()[-1] == "4 written, 1 skipped, 1 failed."
    ours = outputs(tmp_path / "dask")
    assert ours == outputs(tmp_path / "local")
    assert len(ours) == 8  # 4 arrays, 4 PNGs
    assert comparable(manifest(tmp_path / "dask")) == comparable(
        manifest(tmp_path / "local")
    )
    assert not temp_files(tmp_path / "dask")

    again = invoke(mixed, "-o", tmp_path / "dask", "--scheduler", "local", "-j", "2")
    assert again.exit_code == 1
    # Only the broken file is tried again; the rest is up to date.
    assert again.stderr.splitlines()[-1] == (
        "0 written, 4 up to date, 1 skipped, 1 failed."
    )


def test_running_cluster_by_address_with_relative_paths(
    shared_cluster: Any, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    local = invoke("audio", "-o", "local", "-j", "1", "--json", "-v")
    dask = invoke(
        "audio", "-o", "dask", "--scheduler", shared_cluster.scheduler_address,
        "--json", "-v",
    )  # fmt: skip

    assert local.exit_code == dask.exit_code == 0
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    # -v names each output as planned (relative), not as the workers saw it.
    assert sorted_lines(dask.stderr) == sorted_lines(
        local.stderr.replace("local/", "dask/")
    )
    summary, expected = json.loads(dask.stdout), json.loads(local.stdout)
    del summary["elapsed_seconds"], expected["elapsed_seconds"]
    assert summary == expected
    assert comparable(manifest(tmp_path / "dask")) == comparable(
        manifest(tmp_path / "local")
    )


def test_scheduler_file(shared_cluster: Any, dataset: Path, tmp_path: Path) -> None:
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"address": shared_cluster.scheduler_address}))

    result = invoke(dataset, "-o", tmp_path / "out", "--scheduler", scheduler_file)

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "4 written."


def test_worker_killed_mid_run_is_replaced_and_the_run_completes(
    slow_data: Path, slow_reference: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # What a worker killed in the middle of a file leaves: the run removes it.
    out.mkdir()
    (out / ".clip00.npy.k1ll3d00.melcli-tmp").write_bytes(b"partial")
    cluster = start_cluster()
    client = distributed.Client(cluster, set_as_default=False)
    address = cluster.scheduler_address
    proc = subprocess.Popen(
        [*melcli_command(), "mel", slow_data, "-o", out, *SLOW, "--scheduler", address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        # Kill a worker while it is running one of our files.
        wait_for(lambda: any(client.processing().values()))
        wait_for(lambda: any(out.rglob("*.npy")))
        busy = [w for w, keys in client.processing().items() if keys]
        pids = client.run(os.getpid)
        victim = pids[busy[0]]
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate(timeout=RUN_LIMIT)
        survivors = client.run(os.getpid)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.communicate()
        client.close()
        cluster.close()

    assert victim not in survivors.values()
    assert proc.returncode == 0, err
    assert err.splitlines()[-1] == f"{N_SLOW} written."
    assert outputs(out) == slow_reference
    assert not temp_files(out)
    assert all(e["status"] == "written" for e in manifest(out).values())


def test_ctrl_c_cancels_and_closes_the_local_cluster(
    slow_data: Path, slow_reference: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["mel", slow_data, "-o", out, "--scheduler", "local", "-j", "2", *SLOW]
    proc = subprocess.Popen(
        [*melcli_command(), *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        start_new_session=True,
    )
    try:
        journal = out / ".melcli-journal.jsonl"
        # A file done and recorded (a line of the journal).
        wait_for(lambda: journal.exists() and b"\n" in journal.read_bytes())
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: workers too
        _, err = proc.communicate(timeout=STOP_LIMIT)
        # The workers are gone with the parent: nothing of the group is left.
        wait_for(lambda: not _group_alive(proc.pid), timeout=STOP_LIMIT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()

    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("interrupted: ")
    assert not temp_files(out)
    finished = outputs(out)
    assert 0 < len(finished) < N_SLOW
    assert all(slow_reference[name] == data for name, data in finished.items())
    # What a worker finished as the signal came is recorded, or else deleted.
    recorded = {k for k, e in manifest(out).items() if e["status"] == "written"}
    assert set(finished) == recorded

    rerun = subprocess.run(
        [*melcli_command(), *map(str, args)],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert outputs(out) == slow_reference


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # A zombie still counts for kill(); it is gone once reaped.
    ps = subprocess.run(
        ["ps", "-o", "stat=", "-g", str(pgid)], capture_output=True, text=True
    )
    return any(not s.startswith("Z") for s in ps.stdout.split())


def test_runner_keeps_a_bounded_window_and_yields_errors(shared_cluster: Any) -> None:
    pulled = 0

    def items() -> Iterator[float]:
        nonlocal pulled
        for i in range(2000):
            pulled += 1
            yield float(i % 7 - 1)  # -1.0 makes math.sqrt raise

    runner = melcli_cluster.DaskRunner(shared_cluster.scheduler_address)
    seen = 0
    outcomes = {}
    # Two workers of one thread: at most 4 tasks each in flight, of at most
    # MAX_BATCH items (quick items like these are batched).
    bound = 8 * melcli_cluster.MAX_BATCH
    for item, outcome in runner.run(math.sqrt, items()):
        seen += 1
        assert pulled - seen <= bound
        outcomes.setdefault(item, outcome)

    assert seen == 2000
    assert pulled - seen == 0
    assert isinstance(outcomes[-1.0], ValueError)
    assert outcomes[4.0] == 2.0


def test_no_items_no_cluster() -> None:
    runner = melcli_cluster.DaskRunner("tcp://127.0.0.1:9")  # nothing listens
    assert list(runner.run(math.sqrt, [])) == []


def test_unreachable_scheduler_exits_2(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(melcli_cluster, "CONNECT_TIMEOUT", 1.0)
    result = invoke(dataset, "-o", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr


def test_a_missing_scheduler_file_is_named_as_such(
    dataset: Path, tmp_path: Path
) -> None:
    """Not Dask's 'missing port number in address': the file is not there."""
    where = tmp_path / "scheduler.json"
    result = invoke(dataset, "-o", tmp_path / "out", "--scheduler", where)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: --scheduler {where}: no such scheduler file (give 'local', "
        "tcp://HOST:PORT or a Dask scheduler file)"
    )


class FakeClient:
    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts

    def run(self, fn: Any, *args: Any) -> dict[str, Any]:
        return self.facts


class EventLog:
    """The scheduler's "all" events: only the last ``maxlen`` are kept."""

    def __init__(self, maxlen: int = 1000) -> None:
        self.events: collections.deque[tuple[float, Any]] = collections.deque(
            ((float(t), {"action": "add-client"}) for t in range(maxlen)),
            maxlen=maxlen,
        )

    def get_events(self, topic: str) -> tuple[tuple[float, Any], ...]:
        assert topic == "all"
        return tuple(self.events)


def test_a_lost_worker_is_seen_on_a_cluster_with_a_full_event_log() -> None:
    log = EventLog()
    mark = melcli_cluster._event_mark(log)  # type: ignore[arg-type]
    assert not melcli_cluster._workers_lost(log, mark)  # type: ignore[arg-type]
    # Idle workers leaving do not count; one running tasks does.
    log.events.append((1000.5, {"action": "remove-worker", "processing-tasks": []}))
    assert not melcli_cluster._workers_lost(log, mark)  # type: ignore[arg-type]
    lost = {"action": "remove-worker", "processing-tasks": ["melcli-1"]}
    log.events.append((1001.0, lost))
    assert melcli_cluster._workers_lost(log, mark)  # type: ignore[arg-type]
    # A worker lost in an earlier run does not count in a later one.
    later = melcli_cluster._event_mark(log)  # type: ignore[arg-type]
    log.events.append((1002.0, {"action": "add-client"}))
    assert not melcli_cluster._workers_lost(log, later)  # type: ignore[arg-type]


def test_worker_without_the_shared_folder_is_refused() -> None:
    client = FakeClient({"tcp://w:1": (versions(), ["/data/out"])})
    with pytest.raises(UsageError, match="does not see /data/out: workers must share"):
        melcli_cluster._check_workers(client, ["/data/out"])  # type: ignore[arg-type]


def test_worker_with_other_versions_is_refused() -> None:
    other = {**versions(), "melcli": "0.0.1"}
    client = FakeClient({"tcp://w:1": (other, [])})
    with pytest.raises(UsageError, match=r"runs melcli 0\.0\.1"):
        melcli_cluster._check_workers(client, [])  # type: ignore[arg-type]


def test_tasks_travel_with_absolute_paths_and_come_back_as_planned(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from melcli.discover import Task, plan
    from melcli.report import Result, Status

    monkeypatch.chdir(dataset.parent)
    job = plan(["audio"], "out", png=True).jobs[0]
    task = Task(job)
    sent = melcli_cluster.absolute_task(task)
    assert all(p.is_absolute() for p in (sent.job.src, *sent.job.outputs))
    back = melcli_cluster.local_result(
        task,
        Result(src=sent.job.src, status=Status.WRITTEN, outputs=sent.job.outputs),
    )
    assert back.src == job.src
    assert back.outputs == job.outputs


def test_segment_files_come_back_in_their_planned_folder(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from melcli.discover import Task, plan
    from melcli.report import Result, Status
    from melcli.segment import segment_path

    monkeypatch.chdir(dataset.parent)
    job = plan(["audio"], "out").jobs[0]
    first = segment_path(job.npy, 0)
    task = Task(job.replace(npy=first))
    sent = melcli_cluster.absolute_task(task)
    # The worker writes NAME.000.npy, NAME.001.npy, ...: only the first is planned.
    written = tuple(
        segment_path(sent.job.npy.with_name(job.npy.name), k) for k in (0, 1)
    )
    back = melcli_cluster.local_result(
        task, Result(src=sent.job.src, status=Status.WRITTEN, outputs=written)
    )
    assert back.outputs == (first, segment_path(job.npy, 1))


def test_segment_files_on_a_cluster_survive_a_rebuild(
    shared_cluster: Any, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A relative OUT: the workers see it absolute, the run compares the
    # outputs with the (relative) names of the last run's.
    monkeypatch.chdir(tmp_path)
    segments = ("--segment", "0.3", "--segment-layout", "files", "-v")
    address = shared_cluster.scheduler_address
    local = invoke("audio", "-o", "local", "-j", "1", *segments)
    first = invoke("audio", "-o", "dask", "--scheduler", address, *segments)
    assert local.exit_code == first.exit_code == 0, first.stderr
    expected = outputs(tmp_path / "local")
    assert sum(name.endswith(".001.npy") for name in expected) >= 2
    assert outputs(tmp_path / "dask") == expected

    again = invoke("audio", "-o", "dask", "--scheduler", address, "--force", *segments)
    assert again.exit_code == 0, again.stderr
    assert outputs(tmp_path / "dask") == expected
    assert sorted_lines(again.stderr) == sorted_lines(
        local.stderr.replace("local/", "dask/")
    )
    rerun = invoke("audio", "-o", "dask", "--scheduler", address, *segments)
    assert rerun.stderr.splitlines()[-1] == "0 written, 4 up to date."


def test_a_shard_on_a_cluster(
    shared_cluster: Any, dataset: Path, tmp_path: Path
) -> None:
    local = invoke(dataset, "-o", tmp_path / "local", "--shard", "0/2", "-j", "1")
    dask = invoke(
        dataset, "-o", tmp_path / "dask", "--shard", "0/2",
        "--scheduler", shared_cluster.scheduler_address,
    )  # fmt: skip
    assert local.exit_code == dask.exit_code == 0
    assert dask.stderr == local.stderr
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    part = "manifest.shard-0000-of-0002.jsonl"
    assert (tmp_path / "dask" / part).is_file()


def test_quick_items_are_batched_slow_ones_are_not() -> None:
    pace = melcli_cluster._BatchSize()
    assert pace.batch == 1
    pace.update([1.5])  # the first item pays the worker's imports
    assert pace.batch == 1
    for _ in range(3):
        pace.update([0.005] * pace.batch)
    assert pace.batch == int(melcli_cluster.BATCH_SECONDS / 0.005)
    for _ in range(60):
        pace.update([2.0] * pace.batch)
    assert pace.batch == 1


def tar_members(out: Path) -> dict[str, bytes]:
    import tarfile

    members = {}
    for path in sorted(out.glob("shard-*.tar")):
        with tarfile.open(path) as tar:
            for info in tar.getmembers():
                extracted = tar.extractfile(info)
                assert extracted is not None
                members[info.name] = extracted.read()
    return members


def test_webdataset_on_a_cluster_stores_the_same_samples(
    shared_cluster: Any, dataset: Path, tmp_path: Path
) -> None:
    fmt = ("--format", "webdataset")
    local = invoke(dataset, "-o", tmp_path / "local", *fmt, "-j", "1")
    address = shared_cluster.scheduler_address
    dask = invoke(dataset, "-o", tmp_path / "dask", *fmt, "--scheduler", address)
    assert local.exit_code == dask.exit_code == 0, dask.stderr
    assert dask.stderr.splitlines()[-1] == local.stderr.splitlines()[-1]
    samples = tar_members(tmp_path / "dask")
    assert len(samples) == 8  # KEY.npy and KEY.json for 4 inputs
    assert samples == tar_members(tmp_path / "local")
    assert not temp_files(tmp_path / "dask")


def test_timeout_is_refused_with_a_scheduler(dataset: Path, tmp_path: Path) -> None:
    result = invoke(
        dataset, "-o", tmp_path / "out", "--scheduler", "local", "--timeout", "5"
    )
    assert result.exit_code == 2
    assert "cannot be combined with --scheduler" in result.stderr


def test_settings_warning_is_printed_once_as_on_a_local_run(
    shared_cluster: Any, write_audio: Any, tmp_path: Path
) -> None:
    # 128 mels over 65 FFT bins leave filters empty: a warning about the
    # settings, which no worker may pin on the first file it happens to run.
    for name in ("a.wav", "b.wav", "c.wav", "d.wav"):
        write_audio(name, None, sr=8000)
    settings = ["--sr", "8000", "--n-mels", "128", "--n-fft", "128"]
    address = shared_cluster.scheduler_address

    def run(out: str, *options: str) -> subprocess.CompletedProcess[str]:
        # Fresh processes: the filterbank is not cached from an earlier test.
        return subprocess.run(
            [
                *melcli_command(),
                "mel",
                str(tmp_path / "audio"),
                "-o",
                out,
                *settings,
                *options,
            ],
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
            cwd=tmp_path,
        )

    local = run("local", "-j", "1")
    dask = run("dask", "--scheduler", address)
    assert local.returncode == dask.returncode == 0
    assert "warning: settings: Empty filters" in local.stderr
    assert dask.stderr == local.stderr


def _worker_listens(dask_worker: Any) -> list[str]:
    return [dask_worker.address, f"tcp://{dask_worker.http_server.address}:0"]


def test_scheduler_local_listens_on_loopback_only() -> None:
    cluster = melcli_cluster._local_cluster(2)
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            addresses = [cluster.scheduler_address]
            addresses.append(f"tcp://{cluster.scheduler.http_server.address}:0")
            for listens in client.run(_worker_listens).values():
                addresses.extend(listens)
            nannies = [w.address for w in cluster.workers.values()]
    finally:
        cluster.close()
    assert len(addresses) == 6
    assert len(nannies) == 2
    for address in [*addresses, *nannies]:
        assert address.startswith("tcp://127.0.0.1:"), address


def _start_facts() -> tuple[int, bool, list[int], bool]:
    """On a worker: its parent's pid, whether it has ``melcli._preload``
    imported (nothing but a preload imports it: not this module, which a worker
    imports to run this function), the levels of Dask's log handlers, and
    whether its statistical profiler is on."""
    handlers = logging.getLogger("distributed").handlers
    return (
        os.getppid(),
        "melcli._preload" in sys.modules,
        [h.level for h in handlers],
        dask.config.get("distributed.worker.profile.enabled"),
    )


def test_scheduler_local_forks_workers_from_a_preloaded_server() -> None:
    """Workers come from the fork server (not spawned by this process), quiet,
    without the profiler that feeds a dashboard."""
    cluster = melcli_cluster._local_cluster(2)
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            facts = client.run(_start_facts)
    finally:
        cluster.close()
    assert len(facts) == 2
    for parent, preloaded, levels, profiled in facts.values():
        assert parent != os.getpid()  # spawned by a nanny in this process otherwise
        assert preloaded
        assert levels
        assert all(level >= logging.CRITICAL for level in levels)
        assert profiled is False


def test_a_local_workers_outputs_take_no_final_name_once_the_run_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker of --scheduler local outlives a run killed with SIGKILL for a
    # moment: a file it finished then appeared in OUT with no manifest entry
    # (test_lifecycle's kill -9 trial, once under load on 3.12).
    from melcli import write

    if not hasattr(os, "pidfd_open"):
        pytest.skip("needs os.pidfd_open (Linux) to watch the run")
    monkeypatch.setattr(melcli_cluster, "_watched", None)
    monkeypatch.setattr(write, "_commit_check", None)
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()

    def save(path: Path) -> str:
        write.atomic_write(path, lambda f: f.write(b"array"))
        return "written"

    alive = melcli_cluster._run_batch(save, [tmp_path / "a.npy"], None, os.getpid())
    assert alive[0][0] == "written"
    monkeypatch.setattr(melcli_cluster, "_watched", None)
    outcomes = melcli_cluster._run_batch(save, [tmp_path / "b.npy"], None, gone.pid)
    assert isinstance(outcomes[0][0], melcli_cluster.RunGone), outcomes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy"]  # no temp file
