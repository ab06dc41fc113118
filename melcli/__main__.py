"""The ``melcli`` command's entry point, and ``python -m melcli``.

SIGINT and SIGTERM are taken in hand before the command line's modules are
imported (click and the pipeline take a tenth of a second or more): a Ctrl-C
at any moment ends the command with status 130 (SIGTERM: 143), never with a
traceback.
"""

from __future__ import annotations

import sys

from . import interrupts


def main() -> None:
    """Run the ``melcli`` command (:func:`melcli.cli.main`)."""
    try:
        interrupts.stop_on_signals()
        from .cli import main as run_command
    except KeyboardInterrupt as exc:
        interrupts.note_signals()
        sys.stderr.write("interrupted\n")
        interrupts.block_for_exit()
        sys.exit(128 + interrupts.signal_number(exc))
    run_command()


if __name__ == "__main__":
    main()
