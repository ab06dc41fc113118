"""What a pool worker forked from the early fork server starts with.

The server's work is on the way to a pool's first file (melcli._zygote):

- it imports what a task needs (decode, transform, write: melcli.work), not
  the run around the tasks (melcli.batch, the manifest and its SQLite store),
  which only the run's own process uses;
- it does once what each worker would do first: the hand-over's and the
  FFT's imports, BLAS held at one thread, and the window and mel filterbank
  of the settings it guesses from the command's words, cached by all the
  settings they depend on, so that a wrong guess is never used.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN_LIMIT, clean_env

from melcli.params import MelParams
from melcli.work import TaskWork

needs_server = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.version_info >= (3, 12),
    reason="the early server replaces forked workers: Linux, Python 3.11",
)

#: Modules of the run around the tasks: a worker has no use for them.
RUN_ONLY = ("sqlite3", "melcli.batch", "melcli.manifest", "melcli.manifest_db")


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A folder with a short path for the server's socket (at most 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="melcli-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _in_a_worker(
    tmp: Path, code: str, argv: list[str] | None = None, **env: str
) -> Any:
    """Run ``code`` in a pool worker forked from the early server; its ``out``.

    As ``melcli ARGV`` starts one (:func:`melcli._zygote.launch` with the
    pool's preload list, in a process of its own), and a pool as a run makes
    it (:func:`melcli.runners.make_runner`); ``out`` goes through JSON.
    """
    argv = argv or ["mel", "in", "-o", "out", "-j", "2"]
    item = f"(exec({textwrap.dedent(code)!r}, g := {{}}), g['out'])[1]"
    script = textwrap.dedent(
        f"""
        import json
        from melcli import _zygote, runners
        _zygote.launch(_zygote.preload_for({argv!r}), {argv!r})
        assert _zygote.running()
        runner = runners.make_runner(2, 2)
        [(_, out)] = runner.run(eval, [{item!r}])
        print(json.dumps(out))
        _zygote.stop()
        """
    )
    environ = clean_env(TMPDIR=str(tmp))  # the server's socket folder
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


HELD = f"""
import sys
out = sorted(m for m in sys.modules if m.startswith("melcli") or m in {RUN_ONLY!r})
"""


# ------------------------------------------------------------------ imports
@needs_server
def test_a_worker_from_the_early_server_holds_nothing_of_the_run(
    short_tmp: Path,
) -> None:
    names = _in_a_worker(short_tmp, HELD)
    assert not set(names) & set(RUN_ONLY), names
    assert "melcli.pipeline" in names  # what a task needs: preloaded
    assert "melcli.work" in names


@needs_server
def test_a_worker_given_its_task_work_imports_nothing_of_the_run(
    short_tmp: Path,
) -> None:
    """The callable a run hands its pool travels pickled: unpickled in a worker."""
    work = pickle.dumps(TaskWork(MelParams(), None))
    names = _in_a_worker(short_tmp, f"import pickle; pickle.loads({work!r})\n{HELD}")
    assert not set(names) & set(RUN_ONLY), names


def test_the_task_work_is_not_the_runs_module() -> None:
    """Pickled by reference: a worker imports the module the class is in."""
    work = TaskWork(MelParams(), None)
    assert type(work).__module__ == "melcli.work"
    assert pickle.loads(pickle.dumps(work)).params == MelParams()


# --------------------------------------------------------------- the warm-up
#: In a worker: for settings P at rate SR, whether the filterbank was in the
#: cache already (computed by the server), and whether it is the one computed
#: afresh for P; the window likewise; whether its bands were; BLAS's threads.
FILTERBANK = """
import numpy as np
from threadpoolctl import threadpool_info
from melcli import transform
cached = transform._mel_basis.cache_info().hits
M = transform.mel_basis(SR, params=P)
basis_cached = transform._mel_basis.cache_info().hits > cached
window = transform.stft_window.cache_info().hits
w = transform.stft_window(P.window, P.effective_win_length, P.n_fft)
window_cached = transform.stft_window.cache_info().hits > window
bands = transform._mel_bands.cache_info().hits
transform.mel_bands(SR, params=P)
out = {
    "basis cached": basis_cached,
    "basis right": bool(np.array_equal(
        M, transform._mel_basis.__wrapped__(*transform._basis_key(SR, P))
    )),
    "rows": M.shape[0],
    "window cached": window_cached,
    "window right": bool(np.array_equal(
        w, transform.stft_window.__wrapped__(P.window, P.effective_win_length, P.n_fft)
    )),
    "bands cached": transform._mel_bands.cache_info().hits > bands,
    "blas threads": sorted({i["num_threads"] for i in threadpool_info()
                            if i["user_api"] == "blas"}),
}
"""


#: What :data:`FILTERBANK` says of the filterbank and the window.
SAID = ("basis cached", "basis right", "window cached", "window right")


def _filterbank(settings: str) -> str:
    return f"from melcli.params import MelParams\n{settings}\n{FILTERBANK}"


@needs_server
def test_the_server_computes_the_guessed_filterbank_for_its_workers(
    short_tmp: Path,
) -> None:
    """The defaults' (no --preset): computed once, the one the settings give."""
    got = _in_a_worker(
        short_tmp,
        _filterbank("P = MelParams(); SR = P.sr"),
        OPENBLAS_NUM_THREADS="2",  # the server holds its workers at one all the same
    )
    assert got == {
        "basis cached": True,
        "basis right": True,
        "rows": MelParams().n_mels,
        "window cached": True,
        "window right": True,
        "bands cached": True,
        "blas threads": [1],
    }


@needs_server
def test_the_server_guesses_a_preset_from_the_command_line(short_tmp: Path) -> None:
    got = _in_a_worker(
        short_tmp,
        _filterbank(
            "from melcli.presets import preset_params\n"
            "P = preset_params('whisper'); SR = P.sr"
        ),
        ["mel", "in", "-o", "out", "--preset", "whisper"],
    )
    assert got["rows"] == 80
    assert [got[k] for k in SAID] == [True, True, True, True]


@needs_server
def test_a_wrong_guess_is_not_used(short_tmp: Path) -> None:
    """Settings other than the guessed: the worker's own filterbank, not the guess's."""
    got = _in_a_worker(
        short_tmp,
        _filterbank(
            "from melcli.presets import preset_params\n"
            "P = preset_params('whisper', n_mels=64, n_fft=512); SR = P.sr"
        ),
        ["mel", "in", "-o", "out", "--preset", "whisper"],
    )
    assert got["rows"] == 64
    assert [got[k] for k in SAID] == [False, True, False, True]
    assert got["bands cached"] is False
