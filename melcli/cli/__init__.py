"""The ``melcli`` command: click only.

This layer parses options, calls the library, prints, and turns library
exceptions into click errors. Human-facing text goes to stderr; stdout carries
only what an option asks for (``melcli info``'s table or JSON).

One module per command (:mod:`.mel`, :mod:`.info`, :mod:`.stats`,
:mod:`.merge`, :mod:`.presets`, :mod:`.gallery`); the option bundles
(:mod:`.options`, :mod:`.features`, their value types in :mod:`.types`), the
``--help`` layout (:mod:`.help`), the config file and ``--print-config``
(:mod:`.config`), what a run shows (:mod:`.console`), and the entry point
(:mod:`.main`).

numpy, soundfile and the DSP modules are imported only where something is
computed (a run imports the pipeline when it has work; ``info`` and ``stats``
import theirs): an up-to-date re-run, ``--help`` and ``--version`` never load
them.
"""

from __future__ import annotations

from . import gallery, info, merge, presets, stats  # noqa: F401  (their commands)
from .group import cli
from .help import HELP_HEADINGS, OTHER_OPTIONS, GroupedHelp, help_heading
from .main import main
from .mel import mel
from .options import selection_options

#: The name this class had when the command was one module.
_GroupedHelp = GroupedHelp

__all__ = [
    "HELP_HEADINGS",
    "OTHER_OPTIONS",
    "GroupedHelp",
    "cli",
    "help_heading",
    "main",
    "mel",
    "selection_options",
]
