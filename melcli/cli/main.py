"""``melcli``'s entry point: exit statuses, and SIGINT/SIGTERM at any moment."""

from __future__ import annotations

import contextlib
import gc
import os
import sys

import click

from .. import interrupts
from ..session import tune_allocator
from .config import name_the_source
from .group import ClosedPipe, StdoutFailed, cli

#: The exit status of a command whose stdout was closed early (``| head``):
#: that of a process killed by SIGPIPE, as a shell reports it (128 + 13).
CLOSED_PIPE = 141


def main() -> None:
    """Run the ``melcli`` command and exit with its status.

    SIGINT, SIGTERM and SIGHUP stop it wherever they arrive (see
    :func:`melcli.interrupts.stop_on_signals`; :func:`melcli.__main__.main`
    sets that up before this module is even imported): what finished is
    recorded, and the exit status is 130, 143 or 129, also when the signal comes
    after the run, while the summary is printed.
    """
    try:
        try:
            interrupts.stop_on_signals()
            code = _run_command()
        finally:
            interrupts.note_signals()  # from here on a signal changes the status
    except (KeyboardInterrupt, RuntimeError) as exc:
        stop = interrupts.interrupt_in(exc)  # 3.11: wrapped in __set_name__
        if stop is None:
            raise
        click.echo("interrupted", err=True)
        code = 128 + interrupts.signal_number(stop)
    # The process ends here: spare it the garbage collector's last pass over
    # every object it made. With Dask loaded (--scheduler local) that pass
    # took 60-80 ms of each run (measured); the system reclaims it all.
    gc.freeze()
    _exit(code)


def _run_command() -> int:
    """Run click without its own Ctrl-C handling (``Aborted!``, exit 1)."""
    tune_allocator()
    try:
        try:
            cli.main(prog_name="melcli", standalone_mode=False)
        except click.Abort as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):
                raise exc.__context__ from None
            click.echo("Aborted!", err=True)
            return 1
        except click.ClickException as exc:
            if isinstance(exc, click.BadParameter):
                name_the_source(exc)
            exc.show()
            return exc.exit_code
        except ClosedPipe:
            _drop_stdout()
            return CLOSED_PIPE
        except StdoutFailed as exc:
            _stdout_failed(str(exc))
            return 1
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        click.echo(exc.code, err=True)
        return 1
    return 0


def _exit(code: int) -> None:
    """Exit with ``code``, or 128 + the signal if one arrived unanswered."""
    signum = interrupts.block_for_exit()
    if signum is not None and code != 128 + signum:
        with contextlib.suppress(OSError):
            click.echo("interrupted", err=True)
        code = 128 + signum
    try:
        if sys.stdout is not None:  # None: started with fd 1 closed (>&-)
            sys.stdout.flush()
    except BrokenPipeError:  # stdout closed early (| head)
        _drop_stdout()
        code = CLOSED_PIPE if code == 0 else code
    except OSError as exc:  # a full disk: what was printed is lost, say so
        _stdout_failed(exc.strerror or str(exc))
        code = code or 1
    sys.exit(code)


def _stdout_failed(reason: str) -> None:
    """Say that stdout could not be written, and drop what is left for it."""
    _drop_stdout()
    with contextlib.suppress(OSError):
        click.echo(f"Error: cannot write to standard output: {reason}", err=True)


def _drop_stdout() -> None:
    """Point stdout at /dev/null: what is left in its buffer goes nowhere.

    So that Python's own flush at exit does not fail again (and print).
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
