"""What a pool worker, and the early fork server it comes from, import.

The server's imports are on the way to a pool's first file (melcli._zygote):
it imports what a task needs (decode, transform, write: melcli.work), not
the run around the tasks (melcli.batch, the manifest and its SQLite store,
the storage formats), which only the run's own process uses.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RUN_LIMIT

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


def _in_a_worker(tmp: Path, expression: str) -> list[str]:
    """Evaluate ``expression`` in a pool worker forked from the early server.

    As ``melcli mel -j 2`` starts one (:func:`melcli._zygote.launch` with the
    pool's preload list), in a process of its own; returns the modules the
    worker then holds that are ``melcli``'s or in :data:`RUN_ONLY`.
    """
    code = textwrap.dedent(
        f"""
        import sys
        from melcli import _zygote, runners
        _zygote.launch(_zygote.preload_for(["mel"]))
        assert _zygote.running()
        runner = runners.make_runner(2, 2)
        [(_, names)] = runner.run(eval, [{expression!r}])
        print(" ".join(names))
        _zygote.stop()
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MELCLI_")}
    env["TMPDIR"] = str(tmp)  # the server's socket folder
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _held(expression: str) -> str:
    """An expression: evaluate ``expression``, then name the modules of interest."""
    return (
        f"[{expression}, sorted(m for m in __import__('sys').modules "
        f"if m.startswith('melcli') or m in {RUN_ONLY!r})][1]"
    )


@needs_server
def test_a_worker_from_the_early_server_holds_nothing_of_the_run(
    short_tmp: Path,
) -> None:
    names = _in_a_worker(short_tmp, _held("None"))
    assert not set(names) & set(RUN_ONLY), names
    assert "melcli.pipeline" in names  # what a task needs: preloaded
    assert "melcli.work" in names


@needs_server
def test_a_worker_given_its_task_work_imports_nothing_of_the_run(
    short_tmp: Path,
) -> None:
    """The callable a run hands its pool travels pickled: unpickled in a worker."""
    work = pickle.dumps(TaskWork(MelParams(), None))
    names = _in_a_worker(short_tmp, _held(f"__import__('pickle').loads({work!r})"))
    assert not set(names) & set(RUN_ONLY), names


def test_the_task_work_is_not_the_runs_module() -> None:
    """Pickled by reference: a worker imports the module the class is in."""
    work = TaskWork(MelParams(), None)
    assert type(work).__module__ == "melcli.work"
    assert pickle.loads(pickle.dumps(work)).params == MelParams()
