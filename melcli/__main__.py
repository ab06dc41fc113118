"""The ``melcli`` command's entry point, and ``python -m melcli``.

SIGINT and SIGTERM are taken in hand before the command line's modules are
imported (click and the pipeline take a tenth of a second or more): a Ctrl-C
at any moment ends the command with status 130 (SIGTERM: 143), never with a
traceback.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys

# Held from here (in the command, already from melcli/__init__.py's first
# statement: see there): a stop signal while the modules below load waits,
# pending, for interrupts.stop_on_signals, which unblocks it (Python's own handler
# printed a traceback, or an import's weakref callback dropped it: exit 0).
# Only in the command itself ('melcli', 'python -m melcli'): a program that
# imports this module without running main() would keep them blocked, it and
# every program it starts (the mask is inherited: SIGTERM would not stop them).
if hasattr(signal, "pthread_sigmask") and (  # not on Windows
    __name__ == "__main__"
    or os.path.basename((getattr(sys, "argv", None) or [""])[0]) == "melcli"
):
    _STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    signal.pthread_sigmask(
        signal.SIG_BLOCK, [s for s in _STOPS if signal.getsignal(s) != signal.SIG_IGN]
    )

from . import _collector, _zygote, interrupts


def main() -> None:
    """Run the ``melcli`` command (:func:`melcli.cli.main`)."""
    _open_standard_streams()
    if sys.argv[1:2] == ["mel"]:
        # Its start-up, with the collector paused: the run resumes it as it
        # starts its work (see melcli._collector). Other commands (gallery,
        # stats, info) do their work without a run: left as they are.
        _collector.pause()
    try:
        interrupts.stop_on_signals()
        if _zygote.wanted(sys.argv[1:]):
            # The pool's imports, on the other core while this one parses
            # and plans (see melcli._zygote).
            _zygote.launch(_zygote.preload_for(sys.argv[1:]), sys.argv[1:])
        from .cli import main as run_command
    except (KeyboardInterrupt, RuntimeError) as exc:
        stop = interrupts.interrupt_in(exc)  # 3.11: wrapped in __set_name__
        if stop is None:
            raise
        interrupts.note_signals()
        sys.stderr.write("interrupted\n")
        interrupts.block_for_exit()
        sys.exit(128 + interrupts.signal_number(stop))
    try:
        run_command()
    except SystemExit as exc:
        leave_now(exc.code)
        raise


def _open_standard_streams() -> None:
    """Point a closed stdin, stdout or stderr (``<&-``, ``>&-``, ``2>&-``) at /dev/null.

    A closed standard descriptor is the next one the run opens: an array, the
    store, a decoder's pipe would take its number, and whatever then writes to
    "stderr" (libsndfile, ffmpeg, a warning) would write into it. Python also
    leaves ``sys.stderr`` None, where progress and the summary go: the run
    stopped there with status 1, without a word.
    """
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            null = os.open(os.devnull, mode)
        except OSError:
            continue
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def leave_now(code: object) -> None:
    """End the process at once with status ``code``, if nothing is left to wait for.

    Python's own shutdown frees every module and object one by one, tens of
    milliseconds of a run's CPU (bench/README.md, "Figures behind the code"),
    for memory the system takes back anyway. What it would do that matters
    is done first: the :mod:`atexit` functions (multiprocessing's, temporary
    folders'), then stdout and stderr flushed. Returns (and the shutdown
    runs as usual) where Python would wait for a thread that is not a
    daemon, where ``code`` is not a number (Python prints it), or where a
    flush fails (Python reports it, with its own status).
    """
    if code is None:
        code = 0
    if not isinstance(code, int) or _threads_to_wait_for():
        return
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code & 0xFF)


def _threads_to_wait_for() -> bool:
    """Whether a thread other than a daemon (and this one) is still running."""
    threading = sys.modules.get("threading")  # not imported: none started
    if threading is None:
        return False
    main_thread = threading.main_thread()
    return any(not t.daemon for t in threading.enumerate() if t is not main_thread)


if __name__ == "__main__":
    main()
