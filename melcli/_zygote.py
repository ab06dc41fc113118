"""A fork server forked from ``melcli mel`` as it starts, where workers are forked.

Where the pool forks its workers from the run's own process (Linux, Python
3.11), that process first imports numpy, soundfile, soxr and the pipeline:
a fifth of a second on one core, before the first worker starts, while the
other core idles. Forked at the start instead, before click is imported, a
copy of the process imports them on the other core while the run parses its
options and plans; the workers are forked from it, through multiprocessing's
fork server protocol (:mod:`multiprocessing.forkserver`). Not a new program
(as Python 3.12's fork server is): no interpreter starts again, and no
resource tracker (the pool makes nothing it would track).

The server ignores Ctrl-C and SIGHUP from its first instruction (blocked
across the fork), and ends with the run: stopped (:func:`stop`) when the run
ends or knows it runs no pool, or on its own once the run is gone (killed).
Its socket is in a folder of its own that only this user can enter, removed
by whichever of the two ends last; where both were killed at once (SIGKILL to
the whole group), by the next server (:func:`_sweep`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import stat
import sys
from typing import Any

from . import interrupts

#: The server: its pid, the write end of its "alive" pipe, its socket's path.
_server: tuple[int, int, str] | None = None
#: What the server imports (see :func:`melcli.runners.make_runner`).
_preload: list[str] = []

#: A pool's imports (:func:`melcli.runners.make_runner`), and with ``--png``.
POOL_PRELOAD = ["melcli._preload"]
PNG_PRELOAD = ["melcli.render", "matplotlib.backends.backend_agg"]


def preload_for(argv: list[str]) -> list[str]:
    """Return what a pool for ``melcli ARGV`` imports: with ``--png``, the renderer."""
    return POOL_PRELOAD + PNG_PRELOAD * ("--png" in argv)


def wanted(argv: list[str]) -> bool:
    """Whether ``melcli ARGV`` looks like a first run with a pool of forked workers.

    A guess from the words alone (the options are parsed later): a wrong yes
    costs the other core the imports, a wrong no what a run costs without
    the server. No for a re-run (OUT has a manifest): one with nothing to
    build must not pay for a server it does not use.
    """
    if not sys.platform.startswith("linux") or sys.version_info >= (3, 12):
        return False  # forked workers: Linux before 3.12 (runners._start_method)
    if argv[:1] != ["mel"] or not _NO_POOL.isdisjoint(argv):
        return False
    jobs = _value(argv, "-j", "--jobs")
    if jobs is None:  # then MELCLI_JOBS, then a configuration file's
        jobs = os.environ.get("MELCLI_JOBS") or _configured_jobs(argv)
    if jobs is not None:
        if jobs.strip() in ("0", "1"):
            return False
    else:
        try:
            if len(os.sched_getaffinity(0)) < 2:
                return False
        except (AttributeError, OSError):
            return False
    out = _value(argv, "-o", "--out")
    return out is not None and not any(
        os.path.lexists(os.path.join(out, name)) for name in _kept(argv)
    )


def _configured_jobs(argv: list[str]) -> str | None:
    """Return the ``jobs`` a configuration file sets, by a look at its lines; or None.

    ``--config FILE``'s, else ``pyproject.toml``'s under ``[tool.melcli]`` (as
    :func:`melcli.cli.config.load_config` reads them). A guess, as
    :func:`wanted` is: ``jobs = 1`` in another table reads as melcli's, which
    costs a run with a pool the server's head start, no more.
    """
    path = _value(argv, "--config", "--config")
    try:  # (a FIFO there must not hold the run up: not read)
        fd = os.open(path or "pyproject.toml", os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        text = os.read(fd, 1 << 16)
    except OSError:
        return None
    finally:
        os.close(fd)
    if path is None and b"[tool.melcli]" not in text:
        return None
    import re  # (only here: most runs read no such file)

    # A ``jobs`` line, by the words alone (no TOML parser to import).
    found = re.search(rb"""^[ \t]*"?jobs"?[ \t]*=[ \t]*["']?([0-9]+)""", text, re.M)
    return found[1].decode() if found else None


#: What a run keeps in OUT (melcli.manifest.MANIFEST_NAME, manifest_db.STORE_NAME).
_KEPT = ("manifest.jsonl", ".melcli-manifest.db")


def _kept(argv: list[str]) -> tuple[str, ...]:
    """Return :data:`_KEPT`, and with ``--shard I/N`` that shard's manifest part.

    A shard's re-run keeps its own part (``manifest.shard-IIII-of-NNNN.jsonl``,
    :attr:`melcli.shard.Shard.tag`): without it, every up-to-date re-run of a
    shard forked a server and killed it (its CPU doubled).
    """
    shard = _value(argv, "--shard", "--shard")
    if shard is None:
        return _KEPT
    index, _, count = shard.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        return _KEPT  # refused by the run
    width = max(4, len(str(n)))
    return (*_KEPT, f"manifest.shard-{i:0{width}d}-of-{n:0{width}d}.jsonl")


#: Options after which no pool runs.
_NO_POOL = frozenset(
    {"--help", "-h", "--dry-run", "--scheduler", "--list-presets", "--print-config"}
)


def _value(argv: list[str], short: str, long: str) -> str | None:
    """Return the last value given to option ``short``/``long`` in ``argv``."""
    value = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word in (short, long):
            value = argv[i + 1] if i + 1 < len(argv) else None
        elif word.startswith(long + "="):
            value = word[len(long) + 1 :]
        elif word.startswith(short) and not word.startswith("--"):
            value = word[len(short) :]
    return value


def launch(preload: list[str], argv: list[str] | None = None) -> None:
    """Fork the server, which imports ``preload`` and waits for work.

    ``argv`` (the command's words) is what it guesses the run's settings
    from, to compute once what each worker would (see :func:`_guess`).
    """
    global _server, _preload
    import socket

    folder = _socket_folder()
    if folder is None:
        return  # no server: the workers are forked from this process
    address = os.path.join(folder, "server")
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(address)
        listener.listen()
        alive_r, alive_w = os.pipe()
    except OSError:
        listener.close()
        _remove(address)
        return
    # Nothing is flushed first: the server leaves with os._exit, never
    # writing what the run's buffers held (stdout may be closed: >&-).
    with interrupts.signals_blocked():
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            try:
                os.close(alive_w)
                _sweep(folder)
                _serve(listener.fileno(), alive_r, preload, argv or [])
            finally:  # the run has ended: the last holder of "alive" is gone
                _remove(address)
                os._exit(0)
        os.close(alive_r)
        listener.close()
        if pid < 0:
            os.close(alive_w)
            _remove(address)
            return
        _server = (pid, alive_w, address)
        _preload = list(preload)
        atexit.register(stop)


#: The most bytes of a socket's path (``sun_path``, less its NUL).
_SOCKET_PATH_MAX = 107


def _socket_folder() -> str | None:
    """Make the server's socket folder, that only this user can enter; None if not.

    In the temporary folder (``TMPDIR``), or in ``/tmp`` where a socket's path
    there would be too long to bind (a CI runner's or a test's TMPDIR): the
    run then went on without its server, silently slower.
    """
    import tempfile

    prefix = f"{_PREFIX}{_this_run()}-"
    for where in (None, "/tmp"):
        try:
            folder = tempfile.mkdtemp(prefix=prefix, dir=where)
        except OSError:
            continue
        if len(os.fsencode(os.path.join(folder, "server"))) <= _SOCKET_PATH_MAX:
            return folder
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    return None


def _serve(listener: int, alive_r: int, preload: list[str], argv: list[str]) -> None:
    """Run the server: set up as multiprocessing's would be, import, serve.

    Between its imports and serving, it does what each worker would do first
    (:func:`melcli.runners.warm_fork_server`): on a quiet machine it is ready
    after the run's process, which then waits for it, and the workers, each on
    a core of its own, wait for their warm-up; done here, it is done once.

    It leaves (:class:`SystemExit`) once the run has closed its end of the
    "alive" pipe, killed or not: not with ``PR_SET_PDEATHSIG``, so that it
    removes its socket first. Its workers end with it (theirs is set).
    """
    for signum in interrupts.STOP_SIGNALS:
        if signum != signal.SIGTERM:  # Ctrl-C, a closed terminal: the run's
            signal.signal(signum, signal.SIG_IGN)
        else:
            signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupts.STOP_SIGNALS)
    atexit._clear()  # the run's: not this process's to run
    from . import runners

    runners.tune_allocator()  # as the run's process does: the workers inherit it
    # Workers run BLAS on one thread: loaded so, OpenBLAS starts no thread
    # server here nor in them (as melcli._quiet_server does).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import importlib

    for module in preload:
        importlib.import_module(module)
    runners.warm_fork_server(_guess(argv))
    from . import _collector

    _collector.resume()  # workers collect as forked ones do: start-up frozen
    from multiprocessing import forkserver

    forkserver.main(listener, alive_r, [])


def _guess(argv: list[str]) -> Any:
    """Return the settings ``melcli ARGV`` likely runs with, or None.

    The defaults, or those of the preset named (``--preset``, or
    ``MELCLI_PRESET``); other options, the environment and a configuration
    file may change them: the guess is only used where it is right (see
    :func:`melcli.runners.warm_fork_server`).
    """
    name = _value(argv, "--preset", "--preset") or os.environ.get("MELCLI_PRESET")
    try:
        if name is None:
            from .params import MelParams

            return MelParams()
        from .presets import preset_params

        return preset_params(name)
    except Exception:  # no such preset: the run says so
        return None


#: The start of a server's folder's name; then its run's pid and start time.
_PREFIX = "melcli-server-"


def _this_run() -> str:
    """Return ``PID-START`` for this process (its start time from /proc, or 0)."""
    return f"{os.getpid()}-{_start_time(os.getpid()) or 0}"


def _start_time(pid: int) -> int | None:
    """Return when process ``pid`` started (clock ticks after boot), None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _sweep(folder: str) -> None:
    """Remove the sockets other servers left, where their run is gone.

    A server removes its own as it leaves, but not when it is killed with
    its run (SIGKILL to the whole process group). Only this user's folders
    named so, whose run (pid and start time) no longer runs.
    """
    here = os.path.dirname(folder)
    try:
        entries = list(os.scandir(here))
    except OSError:
        return
    uid = os.getuid()
    for entry in entries:
        if not entry.name.startswith(_PREFIX) or entry.path == folder:
            continue
        pid, _, rest = entry.name[len(_PREFIX) :].partition("-")
        start = rest.partition("-")[0]
        if not (pid.isdigit() and start.isdigit()) or start == "0":
            continue  # not one of ours, or its run cannot be told gone
        if _start_time(int(pid)) == int(start):
            continue  # its run is still there
        try:
            if entry.stat(follow_symlinks=False).st_uid != uid:
                continue
        except OSError:
            continue
        _remove(os.path.join(entry.path, "server"))


def _remove(address: str) -> None:
    """Remove the server's socket and its folder, if still there (nothing else)."""
    with contextlib.suppress(OSError):
        if stat.S_ISSOCK(os.lstat(address).st_mode):
            os.unlink(address)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(address))


def adopt(preload: list[str]) -> bool:
    """Have multiprocessing's fork server context use the server; False if none.

    None either where the server does not import all of ``preload`` (a run
    with PNGs set by a configuration file, not ``--png``): it is stopped.

    Its resource tracker is given ``/dev/null``: the pool makes no named
    semaphore nor shared memory for it to track, and it would start one
    more interpreter.
    """
    if _server is None:
        return False
    if not set(preload) <= set(_preload):
        stop()
        return False
    from multiprocessing import forkserver, resource_tracker

    pid, alive_w, address = _server
    server: Any = forkserver._forkserver
    if server._forkserver_pid not in (None, pid):
        return False  # one of its own is running: leave it to it
    server._forkserver_address = address
    server._forkserver_alive_fd = alive_w
    server._forkserver_pid = pid
    tracker: Any = resource_tracker._resource_tracker
    if tracker._fd is None:
        tracker._fd = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    return True


def running() -> bool:
    """Whether a server was forked and is not stopped."""
    return _server is not None


def stop() -> None:
    """End the server (if any) and reap it; its workers end with it."""
    global _server
    if _server is None:
        return
    pid, alive_w, address = _server
    _server = None
    forkserver = sys.modules.get("multiprocessing.forkserver")
    server: Any = getattr(forkserver, "_forkserver", None)
    if server is not None and server._forkserver_pid == pid:
        server._forkserver_pid = None
        server._forkserver_alive_fd = None
        server._forkserver_address = None
    with contextlib.suppress(OSError):
        os.close(alive_w)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
    _remove(address)
