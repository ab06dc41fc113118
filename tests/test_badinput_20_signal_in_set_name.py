"""A stop signal while a class is made ends the command as any stop signal does.

Python 3.11 wraps an exception raised in a descriptor's ``__set_name__`` (a
dataclass's fields, as a module defining one is imported) in a RuntimeError,
the KeyboardInterrupt as its cause. A Ctrl-C landing there, during the
command's start-up, ended ``melcli`` with ``RuntimeError: Error calling
__set_name__ ...``, a traceback and status 1, instead of ``interrupted`` and
status 130.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import RUN_LIMIT

from melcli import interrupts

#: Raises, as Ctrl-C inside a dataclass's fields being named would.
CLASS_MADE_ON_A_SIGNAL = """
import signal, sys
from melcli import interrupts

def made(*args, **kwargs):
    class Field:
        def __set_name__(self, owner, name):
            raise interrupts.Interrupted(signal.SIG{sig})

    class DryRun:
        builds = Field()
"""


@pytest.mark.parametrize(
    ("where", "sig", "status"),
    [
        ("melcli._zygote:wanted", "INT", 130),
        ("melcli.cli.main:_run_command", "TERM", 143),
    ],
)
def test_signal_while_a_class_is_made(where: str, sig: str, status: int) -> None:
    module, name = where.split(":")
    entry = (
        "import melcli.__main__ as m; m.main()"
        if module == "melcli._zygote"
        else "importlib.import_module('melcli.cli.main').main()"
    )
    code = textwrap.dedent(CLASS_MADE_ON_A_SIGNAL.format(sig=sig)) + textwrap.dedent(
        f"""
        import importlib
        setattr(importlib.import_module({module!r}), {name!r}, made)
        sys.argv = ["melcli", "info", "."]
        {entry}
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_LIMIT,
    )
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("interrupted")


def test_interrupt_in() -> None:
    stop = KeyboardInterrupt()
    wrapped = RuntimeError("Error calling __set_name__")
    wrapped.__cause__ = stop
    assert interrupts.interrupt_in(stop) is stop
    assert interrupts.interrupt_in(wrapped) is stop
    assert interrupts.interrupt_in(RuntimeError("other")) is None
    assert interrupts.interrupt_in(ValueError()) is None
