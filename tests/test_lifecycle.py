"""Worker processes and signals at any moment: kill -9, two Ctrl-C, no descriptors.

Each test repeats its scenario several times: these are races, and one lucky
trial proves little. Every time limit is sized for a loaded 2-core machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import os
import random
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, STOP_LIMIT, noise_clips
from test_interrupt import Runs, clean_env, journal_written, kill_group, melcli_command

#: Slow or timing-sensitive: left out of ``make test-fast`` (see conftest.py).
pytestmark = pytest.mark.slow

#: Settings that make each 4-s clip cost a little CPU: a run of 8 takes seconds.
SLOW = ("--hop-length", "64", "--n-fft", "8192", "--n-mels", "32")


# ------------------------------------------------------------------ helpers
def lock_is_free(out: Path) -> bool:
    """Whether OUT's lock can be taken now (and release it at once)."""
    try:
        fd = os.open(out / ".melcli.lock", os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def poll(condition: object, timeout: float) -> bool:
    """Poll ``condition()`` every 50 ms for up to ``timeout`` s; return the last."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie that no one reaps has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def written_in_manifest(out: Path) -> set[str]:
    """The outputs the manifest records (every name in every entry's stamps)."""
    path = out / "manifest.jsonl"
    if not path.exists():
        return set()
    names: set[str] = set()
    for line in path.read_text(encoding="ascii").splitlines():
        entry = json.loads(line)
        if entry.get("status") in ("written", "up-to-date"):
            names.update(entry["stamps"])
    return names


def arrays(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*.npy")}


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and by them, and so on."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rpartition(")")[2].split()[1])
    found = [pid]
    for child, parent in sorted(parents.items()):  # parents start first
        if parent in found:
            found.append(child)
    return found[1:]


def _signals_blocked() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])


def start_blocked(runs: Runs, out: Path, *args: object) -> subprocess.Popen[str]:
    """Start ``melcli mel`` with SIGINT and SIGTERM blocked until it takes them.

    The first milliseconds are CPython's own start-up (site, .pth files),
    before any melcli code runs, where a signal gets Python's default
    handling: started this way, a signal sent then waits until melcli's
    handlers are in place (it unblocks them), as if it arrived at that moment.
    """
    return runs.start("mel", *args, "-o", out, preexec_fn=_signals_blocked)


def run_script(
    tmp_path: Path, text: str, *args: object
) -> subprocess.CompletedProcess[str]:
    """Run the Python program ``text`` with ``args``; return what it did."""
    script = tmp_path / "script.py"
    script.write_text(text)
    return subprocess.run(
        [sys.executable, script, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 four-second stereo WAVs in 2 folders."""
    root = tmp_path_factory.mktemp("lifecycle") / "clips"
    return noise_clips(root, n=8, frames=4 * 44100, folders=2, seed=14)


@pytest.fixture
def runs(tmp_path: Path) -> Runs:
    runs = Runs(tmp_path)
    yield runs  # type: ignore[misc]
    runs.reap()


# ------------------------------------------------------------------ kill -9
#: A run of two pool workers under OUT's lock, as ``melcli mel`` holds it:
#: each writes ``started-N`` (its pid), then, after ``seconds`` (busy) or never
#: (hung), an output. Its parent is killed with SIGKILL meanwhile.
ORPHAN_SCRIPT = """
import sys, time, os
from pathlib import Path
from melcli import runners
from melcli.outdir import OutputLock
from melcli.write import atomic_write

OUT = Path(sys.argv[1])
SECONDS = float(sys.argv[2])  # 0: hung
runners._start_method = lambda: sys.argv[3]

def work(i):
    with runners.task_scope():
        (OUT / f"started-{{i}}").write_text(str(os.getpid()))
        if SECONDS:
            time.sleep(SECONDS)
        else:
            while True:
                time.sleep(1)
        atomic_write(OUT / f"late-{{i}}.npy", lambda f: f.write(b"late"))
    return i

if __name__ == "__main__":
    with OutputLock(OUT):
        for _ in runners.ProcessRunner(2, preload=[]).run(work, range(2)):
            pass
"""


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_kill_9_leaves_no_worker_holding_the_lock_or_writing(
    tmp_path: Path, method: str
) -> None:
    script = tmp_path / "orphans.py"
    script.write_text(textwrap.dedent(ORPHAN_SCRIPT).format())
    for trial, seconds in enumerate([20.0, 0.0, 20.0, 0.0]):  # busy, hung, ...
        orphan_trial(script, tmp_path / f"out{trial}", seconds, method)


def orphan_trial(script: Path, out: Path, seconds: float, method: str) -> None:
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out), str(seconds), method],
        env=clean_env(),
        start_new_session=True,
    )
    try:
        started = [out / "started-0", out / "started-1"]
        assert poll(lambda: all(p.exists() for p in started), RUN_LIMIT)
        assert poll(lambda: all(p.read_text() for p in started), STOP_LIMIT)
        workers = [int(p.read_text()) for p in started]
        assert not lock_is_free(out)  # the run holds it
        proc.kill()  # the parent only, as the OOM killer or kill -9 PID would
        proc.wait(timeout=STOP_LIMIT)

        assert poll(lambda: lock_is_free(out), STOP_LIMIT), (
            f"an orphaned worker holds the lock ({'busy' if seconds else 'hung'})"
        )
        assert poll(lambda: not any(map(alive, workers)), STOP_LIMIT), (
            "a worker outlived its parent"
        )
        assert not list(out.glob("late-*")), "a worker wrote after the run died"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_LIMIT)


def test_kill_9_of_melcli_frees_out_at_once(clips: Path, runs: Runs) -> None:
    for trial in range(2):
        kill_trial(runs, clips, runs.cwd / f"out{trial}")


def test_kill_9_of_melcli_with_a_local_dask_cluster(clips: Path, runs: Runs) -> None:
    # Its workers are forked from a fork server, not from melcli, and Dask
    # ends them when the process that started them is gone.
    pytest.importorskip("distributed")
    kill_trial(runs, clips, runs.cwd / "out", "--scheduler", "local")


def kill_trial(runs: Runs, clips: Path, out: Path, *options: str) -> None:
    long_settings = ("--hop-length", "16", "--n-fft", "8192", "--n-mels", "32")
    proc = runs.start("mel", clips, "-o", out, "-j", "2", *long_settings, *options)
    assert poll(lambda: journal_written(out) or proc.poll() is not None, RUN_LIMIT)
    workers = descendants(proc.pid)
    assert proc.poll() is None, "the run ended before it could be killed"
    assert workers
    proc.kill()  # the main process only
    proc.wait(timeout=STOP_LIMIT)  # not its pipes, which its workers hold too
    at_kill = arrays(out)

    assert poll(lambda: lock_is_free(out), STOP_LIMIT)
    assert poll(lambda: not any(map(alive, workers)), STOP_LIMIT)
    assert arrays(out) == at_kill, "an output appeared after the run was killed"
    proc.communicate(timeout=STOP_LIMIT)  # its pipes: closed by now
    # The next run cleans up and finishes (at the default settings: quicker).
    code, _, err = runs.run("mel", clips, "-o", out, "-j", "2", "-q")
    assert code == 0, err
    assert arrays(out) == written_in_manifest(out)


# --------------------------------------------------------- signals any time
def check_stopped(out: Path, code: int, err: str, signum: int) -> None:
    """What any stop must leave: the signal's status, one clean story, no orphans."""
    assert code == 128 + signum, (code, err)
    assert "Traceback" not in err, err
    assert "Aborted!" not in err, err
    assert "interrupted" in err.splitlines()[-1], err
    assert not list(out.rglob("*.melcli-tmp")), err
    assert arrays(out) <= written_in_manifest(out), (
        "a complete array is in neither the manifest nor the summary",
        err,
    )
    assert not (out / ".melcli-journal.jsonl").exists(), "manifest not committed"
    if (out / "manifest.jsonl").exists():
        last = err.splitlines()[-1]
        written = sum(
            json.loads(line)["status"] == "written"
            for line in (out / "manifest.jsonl").read_text().splitlines()
        )
        if last.startswith("interrupted: "):
            assert last.startswith(f"interrupted: {written} written"), (last, written)


def test_signals_at_random_moments_end_with_their_status(
    clips: Path, runs: Runs
) -> None:
    rng = random.Random(1414)
    for trial in range(10):
        out = runs.cwd / f"out{trial}"
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        twice = trial % 2 == 1
        stats = ("--stats",) * (trial % 3 == 0)  # the signal may come as it runs
        moment = rng.uniform(0.0, 4.0)
        gap = rng.uniform(0.001, 0.03) if twice else 0.0
        proc = start_blocked(runs, out, clips, "-j", "2", *SLOW, *stats)
        # Until the moment comes, or the run ends first (nothing to wait for).
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=moment)
        send = os.killpg if signum == signal.SIGINT else os.kill
        with contextlib.suppress(ProcessLookupError):
            if proc.returncode is None:  # not reaped: its pid is still its own
                send(proc.pid, signum)
                if twice:
                    time.sleep(gap)
                    send(proc.pid, signum)
        try:
            _, err = proc.communicate(timeout=STOP_LIMIT)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            pytest.fail(f"trial {trial}: no exit after the signal")
        if proc.returncode == 0:  # it had finished before the signal
            assert "8 written." in err.splitlines(), err
            continue
        check_stopped(out, proc.returncode, err, signum)


def test_a_signal_while_the_manifest_is_committed(
    clips: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run is done; the signal comes as the manifest is written.
    from melcli import batch
    from melcli.discover import plan
    from melcli.manifest import Manifest
    from melcli.params import MelParams
    from melcli.runners import SerialRunner

    real_commit = Manifest.commit
    for signum in (signal.SIGINT, signal.SIGTERM):
        out = tmp_path / f"out{signum}"

        def commit(self: Manifest, signum: int = signum) -> None:
            os.kill(os.getpid(), signum)
            time.sleep(0.05)  # the handler runs now, unless held
            real_commit(self)

        monkeypatch.setattr(Manifest, "commit", commit)
        previous = signal.signal(signal.SIGTERM, _raise_with_signum)
        try:
            with pytest.raises(KeyboardInterrupt) as caught:
                batch.run_plan(
                    plan([clips], out),
                    params=MelParams(n_mels=32),
                    runner=SerialRunner(),
                    manifest=Manifest.load(out),
                )
        finally:
            signal.signal(signal.SIGTERM, previous)
        report = caught.value.report  # type: ignore[attr-defined]
        assert report.interrupted_by == signum
        assert report.summary().startswith("interrupted: 8 written")
        assert not (out / ".melcli-journal.jsonl").exists()
        assert arrays(out) == written_in_manifest(out)
        assert len(arrays(out)) == 8


def _raise_with_signum(signum: int, frame: object) -> None:
    from melcli.interrupts import Interrupted

    raise Interrupted(signum)


def test_a_signal_during_start_up(clips: Path, runs: Runs) -> None:
    # Right after the start (see start_blocked), while melcli imports click
    # and the pipeline, or plans the run.
    rng = random.Random(7)
    for trial in range(12):
        out = runs.cwd / f"out{trial}"
        signum = signal.SIGINT if trial % 2 else signal.SIGTERM
        proc = start_blocked(runs, out, clips, "-j", "2", *SLOW)
        time.sleep(rng.uniform(0.0, 0.4))
        os.killpg(proc.pid, signum)
        try:
            _, err = proc.communicate(timeout=STOP_LIMIT)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            pytest.fail(f"trial {trial}: no exit after the signal")
        check_stopped(out, proc.returncode, err, signum)


#: Sends ``SIGNUM`` to this process from inside a weakref callback on
#: ``send_and_wait``, where Python prints an exception ("Exception ignored in
#: ...") and drops it.
SEND_IN_A_CALLBACK = """
class Token:
    pass

def send_and_wait(ref):
    os.kill(os.getpid(), SIGNUM)
    for _ in range(2_000_000):  # the handler runs here, inside the callback
        pass
"""


#: A run of ``melcli mel ARGS...`` whose second file sends the signal ``SIGNUM``
#: to the run from inside a weakref callback, where Python prints an exception
#: ("Exception ignored in ...") and drops it.
DROPPED_SIGNAL_SCRIPT = (
    """
import os, signal, sys, weakref
from melcli import pipeline
from melcli.__main__ import main

SIGNUM = int(sys.argv[1])
real_task = pipeline.process_task
calls = []
"""
    + SEND_IN_A_CALLBACK
    + """

def process_task(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        token = Token()
        ref = weakref.ref(token, send_and_wait)
        del token  # the callback runs now
    return real_task(*args, **kwargs)

pipeline.process_task = process_task
sys.argv = ["melcli", "mel", *sys.argv[2:]]
main()
"""
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_python_drops_still_stops_the_run(
    clips: Path, tmp_path: Path, signum: int
) -> None:
    out = tmp_path / "out"
    args = (int(signum), clips, "-o", out, "-j", "1")
    proc = run_script(tmp_path, DROPPED_SIGNAL_SCRIPT, *args)
    check_stopped(out, proc.returncode, proc.stderr, signum)
    assert "Exception ignored" not in proc.stderr, proc.stderr
    # Stopped at once, not after the whole run (-j 1: one file at a time).
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("interrupted: 1 written"), proc.stderr


#: A signal whose exception Python dropped, just before a block that holds
#: signals (see melcli.interrupts.deferred): raised after the block, not in it.
DROPPED_BEFORE_A_HOLD_SCRIPT = (
    """
import os, signal, time, weakref
from melcli import interrupts

interrupts.stop_on_signals()

SIGNUM = signal.SIGINT
"""
    + SEND_IN_A_CALLBACK
    + """

where = "before the hold"
try:
    token = Token()
    ref = weakref.ref(token, send_and_wait)
    del token
    with interrupts.deferred():
        where = "in the hold"
        time.sleep(0.2)
        where = "after the hold"
    time.sleep(30)
    print("not raised")
except KeyboardInterrupt as exc:
    print("raised", where, interrupts.signal_number(exc))
"""
)


def test_a_dropped_signal_is_raised_again_outside_held_blocks(tmp_path: Path) -> None:
    proc = run_script(tmp_path, DROPPED_BEFORE_A_HOLD_SCRIPT)
    assert proc.stderr == ""
    # Raised before the hold began (a loaded machine: the timer came first),
    # or once it ended; never inside it.
    assert proc.stdout in (
        f"raised before the hold {int(signal.SIGINT)}\n",
        f"raised after the hold {int(signal.SIGINT)}\n",
    ), proc.stdout


#: A dropped signal whose timer comes while the hook that took it is still
#: running (a loaded machine): the hook is made slow right after it arms the
#: timer. Raised in the hook, Python would print it and drop it for good.
TIMER_IN_THE_HOOK_SCRIPT = (
    """
import os, signal, time, weakref
from melcli import interrupts

interrupts.stop_on_signals()
arm = signal.setitimer
armed = []

def slow_once(which, seconds, interval=0.0):
    previous = arm(which, seconds, interval)
    if seconds and not armed:
        armed.append(seconds)
        time.sleep(0.05)  # still in the hook when the timer comes
    return previous

signal.setitimer = slow_once

SIGNUM = signal.SIGINT
"""
    + SEND_IN_A_CALLBACK
    + """

try:
    token = Token()
    ref = weakref.ref(token, send_and_wait)
    del token
    time.sleep(30)
    print("not raised")
except KeyboardInterrupt as exc:
    print("raised", interrupts.signal_number(exc), armed)
"""
)


def test_a_dropped_signal_whose_timer_comes_inside_the_hook_is_raised(
    tmp_path: Path,
) -> None:
    proc = run_script(tmp_path, TIMER_IN_THE_HOOK_SCRIPT)
    assert proc.stderr == ""
    assert proc.stdout == f"raised {int(signal.SIGINT)} [0.002]\n", proc.stdout


#: A command at its exit (melcli.interrupts.block_for_exit), while another
#: thread (a stand-in for numpy's BLAS threads) does not block the signals.
AT_EXIT_SCRIPT = """
import os, signal, threading, time
from melcli import interrupts

interrupts.stop_on_signals()
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
try:
    os.kill(os.getpid(), signal.SIGTERM)  # the command stops...
    time.sleep(5)
except KeyboardInterrupt:
    pass  # ...and exits
os.kill(os.getpid(), signal.SIGINT)  # noted: the status stays SIGTERM's
print(interrupts.block_for_exit())
# Python puts the default handler back at shut-down for a handler it set
# itself (a function), not for an ignored signal: ignored, a signal the
# other thread takes then cannot kill the process.
print(all(signal.getsignal(s) is signal.SIG_IGN for s in interrupts.STOP_SIGNALS))
"""


def test_signals_at_exit_cannot_kill_the_command(tmp_path: Path) -> None:
    # Seen: a second Ctrl-C after the summary, status -2 instead of 130.
    proc = run_script(tmp_path, AT_EXIT_SCRIPT)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"{int(signal.SIGTERM)}\nTrue\n"


# ------------------------------------------------------- out of descriptors
def _few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))


def test_few_file_descriptors_lower_the_parallelism(
    clips: Path, tmp_path: Path
) -> None:
    for trial in range(3):
        out = tmp_path / f"out{trial}"
        proc = subprocess.run(
            [*melcli_command(), "mel", str(clips), "-o", str(out), "-j", "8"],
            capture_output=True,
            text=True,
            env=clean_env(),
            preexec_fn=_few_descriptors,
            timeout=RUN_LIMIT,
            check=False,
        )
        err = proc.stderr
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert "-j 8: running in" in err, err
        assert "ulimit -n" in err, err
        assert err.splitlines()[-1] == "8 written.", err
        assert arrays(out) == written_in_manifest(out)
        assert len(arrays(out)) == 8


def test_a_ctrl_c_while_the_fork_server_imports_prints_no_traceback(
    tmp_path: Path,
) -> None:
    # A Ctrl-C at a terminal goes to the whole process group, the fork server
    # too, which may still be importing the pipeline's modules (Python 3.12's
    # start method). It must not print a traceback there: the run decides.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method here")
    (tmp_path / "slow_import.py").write_text("import time\ntime.sleep(3)\n")
    script = tmp_path / "ctrl_c.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, signal, sys, threading, time
            from multiprocessing import forkserver
            from melcli import runners

            runners._start_method = lambda: "forkserver"

            def work(i):
                return i * i

            def ctrl_c_at_the_server():
                while getattr(forkserver._forkserver, "_forkserver_pid", None) is None:
                    time.sleep(0.01)
                time.sleep(0.5)  # importing slow_import now
                os.kill(forkserver._forkserver._forkserver_pid, signal.SIGINT)

            if __name__ == "__main__":
                threading.Thread(target=ctrl_c_at_the_server, daemon=True).start()
                runner = runners.ProcessRunner(2, preload=["slow_import"])
                done = sorted(outcome for _, outcome in runner.run(work, range(8)))
                assert done == [i * i for i in range(8)], done
                print("done")
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**clean_env(), "PYTHONPATH": str(tmp_path)},
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "done\n"
    assert "Traceback" not in proc.stderr, proc.stderr


#: A Ctrl-C that comes as the fork server has just started (after the
#: resource tracker that multiprocessing starts first).
CTRL_C_AS_THE_SERVER_STARTS = """
import os, signal
from multiprocessing import forkserver
from melcli import interrupts, runners

interrupts.stop_on_signals()
real = forkserver.ensure_running

def ensure_running():
    real()
    os.kill(os.getpid(), signal.SIGINT)

forkserver.ensure_running = ensure_running
try:
    runners.launch_fork_server([])
    print("lost")
except KeyboardInterrupt as exc:
    print("raised", interrupts.signal_number(exc))
"""


def test_a_ctrl_c_as_the_fork_server_starts_is_not_lost(tmp_path: Path) -> None:
    # multiprocessing's resource tracker unblocks SIGINT as it starts: inside
    # the moment the run ignores Ctrl-C for the server, that lost a Ctrl-C
    # (seen: a run at 0.2 s went on to "8 written.", status 0).
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method here")
    proc = run_script(tmp_path, CTRL_C_AS_THE_SERVER_STARTS)
    assert proc.stdout == f"raised {int(signal.SIGINT)}\n", proc.stderr


#: The same, with the fork server started by the pool's first worker.
CTRL_C_AS_THE_FIRST_WORKER_STARTS = """
import os, signal
from multiprocessing import forkserver
from melcli import interrupts, runners

runners._start_method = lambda: "forkserver"
real = forkserver.ForkServer.ensure_running
sent = []

def ensure_running(self):
    real(self)
    if not sent:
        sent.append(True)
        os.kill(os.getpid(), signal.SIGINT)

def work(i):
    return i

if __name__ == "__main__":
    interrupts.stop_on_signals()
    forkserver.ForkServer.ensure_running = ensure_running
    try:
        print(*(outcome for _, outcome in runners.ProcessRunner(1).run(work, [7])))
    except KeyboardInterrupt as exc:
        print("raised", interrupts.signal_number(exc))
"""


def test_a_ctrl_c_as_the_first_worker_starts_the_server_is_not_lost(
    tmp_path: Path,
) -> None:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method here")
    proc = run_script(tmp_path, CTRL_C_AS_THE_FIRST_WORKER_STARTS)
    assert proc.stdout == f"raised {int(signal.SIGINT)}\n", proc.stderr


def test_a_fork_server_worker_writes_nothing_once_its_run_is_killed(
    tmp_path: Path,
) -> None:
    # The fork server outlives a run killed with SIGKILL by as long as it takes
    # to shut down (here 5 s: the imports of a real run take a while to
    # unwind); its worker must not put an output in place meanwhile.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method here")
    (tmp_path / "slow_exit.py").write_text(
        "import atexit, time\natexit.register(time.sleep, 5)\n"
    )
    go, out = tmp_path / "go", tmp_path / "out.bin"
    script = tmp_path / "killed.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys, time
            from pathlib import Path
            from melcli import runners, write

            runners._start_method = lambda: "forkserver"

            def work(i):
                print("started", flush=True)
                while not os.path.exists({str(go)!r}):
                    time.sleep(0.01)
                write.atomic_write(Path({str(out)!r}), lambda f: f.write(b"x"))
                return i

            if __name__ == "__main__":
                runner = runners.ProcessRunner(1, preload=["slow_exit"])
                for _ in runner.run(work, [1]):
                    pass
            """
        )
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env={**clean_env(), "PYTHONPATH": str(tmp_path)},
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "started\n"  # the task waits for "go"
        proc.kill()
        proc.wait(timeout=STOP_LIMIT)
        go.touch()
        time.sleep(2)  # the worker's file would be in place by now
        assert not out.exists(), "an output appeared after the run was killed"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_running_out_of_descriptors_mid_run_keeps_what_finished(
    tmp_path: Path, method: str
) -> None:
    # The limit drops after the pool was sized (another part of the program
    # opened files): the pool goes on with the workers it has, wherever in a
    # worker's start the descriptors run out. (A fork server dies when a start
    # fails half-way through its hand-over, and takes its workers with it.)
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    script = tmp_path / "emfile.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, resource, sys
            from melcli import runners

            runners._start_method = lambda: sys.argv[1]
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

            def work(i):
                return i * i

            def items(room):
                for i in range(40):
                    if i == 2:  # two workers started: room for a few files
                        n = len(os.listdir("/proc/self/fd")) - 1
                        resource.setrlimit(resource.RLIMIT_NOFILE, (n + room, hard))
                    yield i

            if __name__ == "__main__":
                for room in range(16):
                    runner = runners.ProcessRunner(8, preload=[])
                    done = []
                    for item, outcome in runner.run(work, items(room)):
                        done.append(outcome)
                    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
                    assert sorted(done) == [i * i for i in range(40)], (room, done)
                    assert 2 <= runner.jobs <= 8, (room, runner.jobs)
                    if runner.jobs < 8:
                        assert "out of file descriptors" in runner.notes[0], room
                    print(room, runner.jobs)
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script), method],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    jobs = [int(line.split()[1]) for line in proc.stdout.splitlines()]
    assert len(jobs) == 16
    assert jobs[0] == 2  # no room at all: the two workers there were
