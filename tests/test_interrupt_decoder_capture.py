"""A signal at any moment of the decoder's stderr capture leaves fds 1 and 2 whole.

Around each decode, melcli points fds 1 and 2 at a capture file (C decoders
print there) and back. A signal's exception raised between the swap and the
``try`` that undoes it, inside that ``finally``, or inside contextlib's
``__enter__`` (where the generator's ``finally`` never runs) left fd 2 (and
fd 1) pointing at the capture file: the command's ``interrupted: ...``
summary, and everything after it, vanished into it; a copy of each fd leaked
too. The swaps are now listed before they are made, undone by the callers
and by the stop signal's handler itself, and the copies reused.

Each test raises the exception at every bytecode of the capture's code in
turn (a tracer), as a signal's handler would, and checks fds 1 and 2 and the
open descriptors after each.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from conftest import RUN_LIMIT

from melcli import MelParams, audio, interrupts

PARAMS = MelParams(sr=None).validate()
#: Where the exception is raised: the capture, and contextlib's halves.
CODES = {
    audio._native_stderr.__wrapped__.__code__,
    *(f.__code__ for f in [getattr(audio, "_undo_swaps", None)] if f is not None),
    contextlib._GeneratorContextManager.__enter__.__code__,
    contextlib._GeneratorContextManager.__exit__.__code__,
}


def identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run_raising_at(
    moment: int, raise_it: Callable[[], None], call: Callable[[], object]
) -> tuple[bool, int]:
    """Run ``call``, calling ``raise_it`` at the ``moment``-th bytecode run in
    :data:`CODES`; return whether it finished, and how many bytecodes ran."""
    count = [0]

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            count[0] += 1
            if count[0] == moment:
                raise_it()
        return local

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code in CODES:
            frame.f_trace_opcodes = True
            return local
        return None

    caller = sys._getframe()
    # CPython 3.12 (3.12.1 here) turns opcode events on at sys.settrace only
    # if a frame already asks for them: f_trace_opcodes set on a traced frame
    # in its "call" event alone is ignored there, and no moment was reached.
    # This frame asks first (untraced itself, it gets no events).
    caller.f_trace_opcodes = True
    sys.settrace(tracer)
    try:
        call()
    except KeyboardInterrupt:
        return False, count[0]
    finally:
        sys.settrace(None)
        caller.f_trace_opcodes = False
    return True, count[0]


def bare() -> None:
    raise KeyboardInterrupt  # Python's own SIGINT handler


def handler() -> None:
    interrupts.raise_interrupted(signal.SIGTERM, None)  # melcli's


def every_moment(call: Callable[[], object], raise_it: Callable[[], None]) -> None:
    """Interrupt ``call`` at each moment in turn; fds 1 and 2 must come back.

    A capture abandoned by the exception is closed when the garbage collector
    gets to it: collected here after each moment (and before the first, for
    what earlier tests left), so that what its closing does is seen at the
    moment that left it, not at whichever moment the collector next runs
    (test_capture_closed_late.py has a capture closed in another's middle).
    """
    call()  # the capture file and the copies, made once per process
    gc.collect()
    out, err = identity(1), identity(2)
    keep_out, keep_err = os.dup(1), os.dup(2)
    n_fds = open_fds()
    broken = []
    try:
        for moment in range(1, 10_000):
            gc.disable()
            try:
                finished, count = run_raising_at(moment, raise_it, call)
            finally:
                gc.enable()
            gc.collect(0)  # what the call left is young: the collector was off
            state = (identity(1), identity(2), open_fds())
            if state != (out, err, n_fds):
                broken.append((moment, state))
                os.dup2(keep_out, 1)  # for the next moment, and pytest
                os.dup2(keep_err, 2)
                n_fds = open_fds()
            if finished:
                break
    finally:
        os.dup2(keep_out, 1)
        os.dup2(keep_err, 2)
        os.close(keep_out)
        os.close(keep_err)
    assert count > 50, "the tracer saw no capture"
    assert not broken, f"fds 1, 2 or the open count changed: {broken[:5]}"


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "a.wav"
    sf.write(path, np.full(800, 0.1, dtype=np.float32), 8000)
    return path


@pytest.mark.parametrize("raise_it", [bare, handler], ids=["python", "melcli"])
def test_load_interrupted_at_any_moment(clip: Path, raise_it: Any) -> None:
    every_moment(lambda: audio.load(clip, PARAMS), raise_it)


@pytest.mark.parametrize("raise_it", [bare, handler], ids=["python", "melcli"])
def test_probe_interrupted_at_any_moment(clip: Path, raise_it: Any) -> None:
    every_moment(lambda: audio.probe(clip), raise_it)


def test_open_audio_interrupted_at_any_moment_by_the_commands_handler(
    clip: Path,
) -> None:
    def read() -> None:  # as the streaming, clip and segment paths do
        with audio.open_audio(clip, PARAMS) as (f, _, _):
            f.read(100)

    every_moment(read, handler)


#: The command, stopped by a real SIGINT sent at the ``moment``-th bytecode
#: of the capture's code (counted over the run's files).
DRIVER = """
import contextlib, os, signal, sys
from melcli import audio
from melcli.__main__ import main
moment = int(sys.argv[1])
codes = {
    audio._native_stderr.__wrapped__.__code__,
    contextlib._GeneratorContextManager.__enter__.__code__,
    contextlib._GeneratorContextManager.__exit__.__code__,
}
undo = getattr(audio, "_undo_swaps", None)
if undo is not None:
    codes.add(undo.__code__)
seen = [0]
def local(frame, event, arg):
    if event == "opcode":
        seen[0] += 1
        if seen[0] == moment:
            os.kill(os.getpid(), signal.SIGINT)
    return local
capture = audio._native_stderr.__wrapped__.__code__
def tracer(frame, event, arg):
    if frame.f_code in codes:
        gen = getattr(frame.f_locals.get("self"), "gen", None)
        if gen is not None and gen.gi_code is not capture:
            return None  # another context manager than the capture
        frame.f_trace_opcodes = True
        return local
sys._getframe().f_trace_opcodes = True  # for 3.12: see run_raising_at
sys.settrace(tracer)
sys.argv = ["melcli", *sys.argv[2:]]
main()
"""


@pytest.mark.slow
def test_the_command_stopped_at_moments_of_the_capture_says_so(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        sf.write(src / f"{i}.wav", np.full(800, 0.1 * (i + 1), np.float32), 8000)
    lost = []
    # The second file's capture (about 320 bytecodes a file), at moments
    # spread over it.
    for moment in range(330, 640, 29):
        out = tmp_path / f"out{moment}"
        command = [sys.executable, "-c", DRIVER, str(moment)]
        command += ["mel", str(src), "-o", str(out), "-j", "1"]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_LIMIT
        )
        last = (done.stderr.splitlines() or [""])[-1]
        if done.returncode != 130 or not last.startswith("interrupted: "):
            lost.append((moment, done.returncode, done.stderr[-300:]))
        assert "Traceback" not in done.stderr
        assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    assert not lost, lost
