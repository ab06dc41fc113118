"""``melcli``'s entry point: exit statuses, and SIGINT/SIGTERM at any moment."""

from __future__ import annotations

import contextlib
import gc
import sys

import click

from .. import interrupts
from ..session import tune_allocator
from .group import cli


def main() -> None:
    """Run the ``melcli`` command and exit with its status.

    SIGINT and SIGTERM stop it wherever they arrive (see
    :func:`melcli.interrupts.stop_on_signals`; :func:`melcli.__main__.main`
    sets that up before this module is even imported): what finished is
    recorded, and the exit status is 130 or 143, also when the signal comes
    after the run, while the summary is printed.
    """
    try:
        try:
            interrupts.stop_on_signals()
            code = _run_command()
        finally:
            interrupts.note_signals()  # from here on a signal changes the status
    except KeyboardInterrupt as exc:
        click.echo("interrupted", err=True)
        code = 128 + interrupts.signal_number(exc)
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
            exc.show()
            return exc.exit_code
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
    with contextlib.suppress(OSError):  # stdout closed early (| head)
        sys.stdout.flush()
    sys.exit(code)
