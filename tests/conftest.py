"""Shared fixtures: deterministic test audio made at test time."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hypothesis
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result

from melcli import MelParams, ParameterError
from melcli.cli import cli

REPO = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ time limits
# The limits of the tests that guard against a hang, in one place. Such a limit
# only ends a test that would otherwise wait forever (a run that never ends, a
# condition that never comes); it never measures speed (``make bench`` does).
# A busy machine must not trip one: each is sized for a 2-core machine at load
# 8 (several engineers' test runs at once), where what takes 1 s on a quiet
# machine takes 5-10 s, starting Python and melcli's imports several seconds,
# and a process may wait seconds for a CPU. A hang still fails, only later.

#: A whole melcli run (a subprocess), or a condition a run brings about (a file
#: written, a journal line): a few seconds on a quiet machine.
RUN_LIMIT = 300.0
#: A process told to stop (a signal, SIGKILL, an orphaned worker) to be gone.
STOP_LIMIT = 60.0
#: A ``bench/bench.py --quick`` run (dozens of whole melcli runs): one or two
#: minutes on a quiet machine, and it ran past 120 s at load 15.
BENCH_LIMIT = 1200.0

# Hypothesis fails an example slower than 200 ms by default: a timed assertion,
# which a busy machine trips (test_tarshards failed so at load 13, 297 ms then
# 32 ms). Property tests check invariants; speed is make bench's.
hypothesis.settings.register_profile("melcli", deadline=None)
hypothesis.settings.load_profile("melcli")
#: Slow or timing-sensitive tests (whole runs stopped by signals, Dask
#: clusters, Chromium, make, the bench smoke tests, anything that takes
#: seconds) are marked ``@pytest.mark.slow``: ``make test-fast`` leaves them
#: out, ``make test`` runs them.

# A shell starts a background job (``make test &``, a CI step run with ``&``)
# with SIGINT ignored, and Python then leaves it ignored: the tests would see
# Ctrl-C do nothing, in this process and in every melcli process they start
# (an ignored signal stays ignored across exec), where a user's terminal
# delivers it. They test a terminal's Ctrl-C, whatever started pytest.
signal.signal(signal.SIGINT, signal.default_int_handler)

#: No progress lines in the tests' own runs: on a loaded machine a run can last
#: past the interval, and add lines where a test expects exact output. Tests
#: of the progress lines pass --progress-interval.
QUIET_LOGS = ("MELCLI_PROGRESS_INTERVAL", "0")
os.environ[QUIET_LOGS[0]] = QUIET_LOGS[1]
# The caller's own MELCLI_* settings (a developer's shell, a CI job's
# variables) changed what the tests' in-process runs and the commands they
# start do (MELCLI_N_MELS=40: five tests of test_cli.py failed): the tests run
# with melcli's defaults, whatever the environment. A test of a variable sets
# it itself (monkeypatch, clean_env).
for _name in [n for n in os.environ if n.startswith("MELCLI_")]:
    if _name != QUIET_LOGS[0]:
        del os.environ[_name]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a command a test runs: no ``MELCLI_*``, then ``extra``.

    But :data:`QUIET_LOGS`: without it a run lasting past the default
    interval (a loaded machine) printed progress lines and a recap where a
    test expected its summary last.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MELCLI_") or k == QUIET_LOGS[0]
    }
    env.update(extra)
    return env


#: The modules that take longest, longest first. ``make test`` runs the tests
#: in two processes, a module at a time each (pytest-xdist's ``--dist loadfile``
#: with ``--no-loadscope-reorder``: modules are handed out in collection order):
#: these go first, so the many short modules fill in after them and the two
#: processes finish together, not one idle while the other runs a long module
#: it took last. Measured with ``pytest --durations``; a stale list only costs
#: time.
LONGEST_FIRST = (
    "test_bench.py",
    "test_scale.py",
    "test_interrupt.py",
    "test_cluster.py",
    "test_lifecycle.py",
    "test_hostile.py",
    "test_containers.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, collect :data:`LONGEST_FIRST` first (the same order
    in every worker); a run in one process keeps the usual order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


SAMPLE_AUDIO = REPO / "sample_audio"
SAMPLE_FILES = sorted(
    p for p in SAMPLE_AUDIO.rglob("*") if p.suffix in {".wav", ".flac", ".ogg", ".mp3"}
)


def invoke(*args: object) -> Result:
    """Run ``melcli ARGS`` in this process; it must print no traceback."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def mel(src: Path, out: Path, *options: object) -> Result:
    """Run ``melcli mel SRC -o OUT -j 1 OPTIONS`` in this process, as :func:`invoke`."""
    return invoke("mel", src, "-o", out, "-j", "1", *options)


def tone(
    freq: float = 440.0,
    *,
    sr: int = 22050,
    seconds: float = 1.0,
    channels: int = 1,
    amplitude: float = 0.5,
) -> np.ndarray:
    """A sine tone, shape (n,) or (n, channels); channel c is scaled by 1/(c+1)."""
    t = np.arange(int(sr * seconds)) / sr
    y = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels == 1:
        return y
    return np.stack([y / (c + 1) for c in range(channels)], axis=1)


def noise(*, sr: int = 22050, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Deterministic white noise in [-0.5, 0.5)."""
    rng = np.random.default_rng(seed)
    return (rng.random(int(sr * seconds)) - 0.5).astype(np.float32)


def speechlike(sr: int, seconds: float = 2.5, seed: int = 7) -> np.ndarray:
    """Harmonics on a gliding pitch, syllable bursts, a pause, a little noise."""
    t = np.arange(int(sr * seconds)) / sr
    f0 = 110 + 40 * np.sin(2 * np.pi * 0.9 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) * np.exp(-k / 8) for k in range(1, 30))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 1.5
    envelope[int(0.5 * len(t)) : int(0.6 * len(t))] = 0.0
    n = noise(sr=sr, seconds=seconds, seed=seed)[: len(t)]
    return np.asarray(0.15 * y * envelope + 0.005 * n, dtype=np.float32)


WriteAudio = Callable[..., Path]


def short_tones(root: Path, n: int = 3) -> Path:
    """Write ``0.wav`` ... (``n`` 0.2-s tones at 8 kHz) into a new folder ``root``."""
    root.mkdir()
    for k in range(n):
        sf.write(root / f"{k}.wav", tone(300.0 + 50 * k, sr=8000, seconds=0.2), 8000)
    return root


def two_classes(root: Path) -> Path:
    """Write ``dogs/a.wav`` and ``cats/c.wav`` (0.3-s tones, 8 kHz) under ``root``."""
    for k, rel in enumerate(("dogs/a.wav", "cats/c.wav")):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(300.0 + 100 * k, sr=8000, seconds=0.3), 8000)
    return root


@pytest.fixture
def write_audio(tmp_path: Path) -> WriteAudio:
    """Write samples to ``tmp_path / rel`` with soundfile; return the path."""

    def write(
        rel: str,
        data: np.ndarray | None = None,
        *,
        sr: int = 22050,
        subtype: str | None = None,
        root: Path | None = None,
    ) -> Path:
        path = (root or tmp_path / "audio") / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(sr=sr) if data is None else data, sr, subtype=subtype)
        return path

    return write


@pytest.fixture
def dataset(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """A small class-folder dataset: 2 classes, WAV and FLAC, mono and stereo."""
    write_audio("dogs/bark1.wav", noise(seed=1))
    write_audio("dogs/bark2.flac", noise(seed=2), sr=16000)
    write_audio("birds/tweet.wav", tone(3000.0, sr=44100, channels=2), sr=44100)
    write_audio("birds/deep/chirp.flac", tone(1000.0))
    return tmp_path / "audio"


@pytest.fixture
def built(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """OUT (``tmp_path / "out"``) of one run over dogs/a.wav and cats/b.wav."""
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out).exit_code == 0
    return out


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``MELCLI_*`` variables from the caller's environment, and a current
    folder of its own (``tmp_path / "cwd"``, with no pyproject.toml)."""
    for name in list(os.environ):
        if name.startswith("MELCLI_") and name != QUIET_LOGS[0]:
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def whisper_features(y: np.ndarray, *, n_mels: int) -> np.ndarray:
    """transformers' WhisperFeatureExtractor on 16-kHz ``y``: [shape=(n_mels, 3000)].

    Built with explicit arguments (nothing is downloaded); it pads or trims
    ``y`` to 30 s, as Whisper does.
    """
    from transformers import WhisperFeatureExtractor

    extractor = WhisperFeatureExtractor(
        feature_size=n_mels,
        sampling_rate=16000,
        hop_length=160,
        chunk_length=30,
        n_fft=400,
    )
    features = extractor(y, sampling_rate=16000, return_tensors="np")
    out: np.ndarray = features["input_features"][0]
    return out


def librosa_melspectrogram(y: np.ndarray, p: MelParams, sr: int = 22050) -> np.ndarray:
    """The reference mel power: ``librosa.feature.melspectrogram`` with ``p``."""
    import librosa

    return np.asarray(
        librosa.feature.melspectrogram(
            y=y,
            sr=sr,
            n_fft=p.n_fft,
            hop_length=p.hop_length,
            win_length=p.win_length,
            window=p.window,
            center=p.center,
            pad_mode=p.pad_mode,
            power=p.power,
            n_mels=p.n_mels,
            fmin=p.fmin,
            fmax=p.fmax,
            htk=p.htk,
            norm=p.norm,
        )
    )


@pytest.fixture
def looked_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Record every path under ``tmp_path / "private"`` that is stat'ed or opened."""
    private = os.fspath(tmp_path / "private")
    seen: list[str] = []
    for name in ("stat", "lstat", "open"):
        real = getattr(os, name)

        def watch(path: object, *args: object, _real: object = real, **kw: object):  # type: ignore[no-untyped-def]
            if isinstance(path, str | Path) and os.fspath(path).startswith(private):
                seen.append(os.fspath(path))
            return _real(path, *args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(os, name, watch)
    return seen


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stream everything over 1 s, in odd-sized blocks, to cross many boundaries."""
    from melcli import stream
    from melcli import transform as tf

    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    monkeypatch.setattr(stream, "DECODE_BLOCK", 7919)
    monkeypatch.setattr(stream, "DB_CHUNK", 97)
    monkeypatch.setattr(tf, "BLOCK_FRAMES", 61)
    monkeypatch.setattr(tf, "MEL_CHUNK_FRAMES", 150)


def children(pid: int) -> list[int]:
    """The pids of process ``pid``'s children (none if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def wait_for(condition: Callable[[], object], *, timeout: float = RUN_LIMIT) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {condition}")
        time.sleep(0.01)


def noise_clips(root: Path, *, n: int, frames: int, folders: int, seed: int) -> Path:
    """Write ``n`` stereo 44.1 kHz 16-bit noise WAVs in ``folders`` class folders."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        path = root / f"class{i % folders}" / f"clip{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        y = (rng.random((frames, 2), dtype=np.float32) - 0.5) * 0.5
        sf.write(path, y, 44100, subtype="PCM_16")
    return root


def assert_names_the_parameter(
    changes: dict[str, object], param: str, text: str
) -> None:
    """``MelParams(**changes).validate()`` fails on ``param``, saying ``text``."""
    with pytest.raises(ParameterError) as info:
        MelParams(**changes).validate()  # type: ignore[arg-type]
    assert info.value.param == param
    assert text in str(info.value)


def interrupted_by_sigterm(block: Callable[[], None]) -> None:
    """Run ``block``, which sends this process SIGTERM, with SIGTERM raising
    KeyboardInterrupt: check that it is raised and that the handler is back."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signum)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            block()
        assert signal.getsignal(signal.SIGTERM) is interrupt
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def memory_grown_here(test_file: str) -> Iterator[list[int]]:
    """Measure the bytes still held when the block ends, allocated from ``test_file``.

    Yields a list that then holds the number. Only allocations with a frame
    of ``test_file`` on their stack count: another thread's (a Dask loop an
    earlier test of this process left running) would otherwise be counted too.
    """
    tracemalloc.start(16)  # deep enough to reach the test's own frame
    try:
        only_here = [tracemalloc.Filter(True, test_file, all_frames=True)]
        before = tracemalloc.take_snapshot().filter_traces(only_here)
        grown: list[int] = []
        yield grown
        after = tracemalloc.take_snapshot().filter_traces(only_here)
        grown.append(sum(s.size_diff for s in after.compare_to(before, "filename")))
    finally:
        tracemalloc.stop()


def ffmpeg_tone(path: Path, *options: str) -> bytes:
    """Three seconds of a 440 Hz tone at 22050 Hz, encoded by ffmpeg (``options``)."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=3", "-ar", "22050", *options, str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def edit_store_as_if_untouched(store: Path, *sql: str) -> None:
    """Run ``sql`` on a run's ``store``, then give it the stamps melcli recorded.

    In one transaction; then the change counter and mtime are set as melcli
    records them after its own write, so the store reads as untouched (a
    crafted OUT: the checks that catch an edit by its stamps are bypassed).
    """
    import sqlite3

    db = sqlite3.connect(store, isolation_level=None)
    db.execute("BEGIN")
    for statement in sql:
        db.execute(statement)
    db.execute("COMMIT")
    with store.open("rb") as f:  # SQLite's change counter, after that write
        f.seek(24)
        counter = int.from_bytes(f.read(4), "big")
    # The next write (this one) leaves counter + 1: recorded as melcli does.
    db.execute(
        "INSERT OR REPLACE INTO state VALUES ('changes', ?)", (str(counter + 1),)
    )
    (mtime,) = db.execute("SELECT value FROM state WHERE name = 'mtime'").fetchone()
    db.close()
    with store.open("rb") as f:
        f.seek(24)
        assert int.from_bytes(f.read(4), "big") == counter + 1
    os.utime(store, ns=(int(mtime), int(mtime)))


def bench_module(monkeypatch: pytest.MonkeyPatch, module: str) -> Any:
    """The bench's ``module`` (``"workloads.floor"``, ``"harness"``), imported afresh.

    bench/ is put first on ``sys.path`` for the test, and the bench's own
    modules are dropped from ``sys.modules`` first: each test sees the
    modules as a fresh ``bench/bench.py`` run would, whatever an earlier test
    patched in them.
    """
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    for name in BENCH_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(module)


#: The modules of bench/ a test may import, dropped before each import.
BENCH_MODULES = (
    "bench",
    "data",
    "floor_baseline",
    "harness",
    "report",
    "workloads",
    "workloads.floor",
    "workloads.scale",
    "workloads.throughput",
)


def fake_floor_machine(
    floor: Any,
    monkeypatch: pytest.MonkeyPatch,
    work: Any,
    *,
    cpus: int,
    samplerate: int,
) -> None:
    """Make bench (f) run ``work`` alone, with ``cpus`` CPUs, on no real audio.

    Its inputs are not held in the page cache, their rate is ``samplerate``,
    and the floor program's settings and stages are stand-ins: what a test
    of (f)'s arithmetic fakes around its runs (``run_process`` stays its own).
    """
    monkeypatch.setattr(floor, "workloads", lambda cfg, dataset: [work])
    monkeypatch.setattr(floor, "available_cpus", lambda: cpus)
    monkeypatch.setattr(
        floor, "held_in_cache", lambda path: contextlib.nullcontext("inputs (test)")
    )
    rate = SimpleNamespace(samplerate=samplerate)
    monkeypatch.setattr(floor, "sf", SimpleNamespace(info=lambda p: rate))
    monkeypatch.setattr(floor, "settings_of", lambda options: None)
    monkeypatch.setattr(
        floor,
        "Stages",
        lambda settings, sr: SimpleNamespace(window=np.ones(4), M=np.ones((2, 3))),
    )
