"""melcli: turn folders of audio into log-mel spectrograms for machine learning.

The Python API behind the ``melcli`` command::

    import melcli

    S_db = melcli.mel_spectrogram("dog_bark/0001.wav")          # librosa's defaults
    S_db = melcli.mel_spectrogram(y, sr=16000, params=melcli.MelParams(n_mels=64))
    X = melcli.mel_spectrogram(y, sr=16000, params=melcli.preset_params("whisper"))
    report = melcli.run(["audio/"], "features/", png=True)     # a whole batch
    print(report.warnings)       # what the command says last (audio in OUT...)
    print(report.summary())      # a second call: "0 written, 8 up to date."
    melcli.write_stats("features/")                            # features/stats.npz
    melcli.merge("features/")     # after --shard I/N runs, as 'melcli merge'
    melcli.build_gallery("features/")          # features/gallery/index.html
    melcli.info(["audio/"]).summary()          # as 'melcli info audio/ --summary'

Importing melcli imports neither click nor matplotlib, and numpy only when a
name that needs it is first used (the command line's up-to-date re-runs never
need it).
"""

# No ``from __future__ import annotations`` here: it imports a module, which
# a Python not started by an editable install has not loaded, before the
# statement below could hold the signals (a Ctrl-C meanwhile: a traceback).
import _signal  # type: ignore[import-not-found]  # loaded at start-up: no import
import sys


def _is_the_command() -> bool:
    """Whether this process is the ``melcli`` command, importing this package first.

    The console script (``argv[0]`` is .../melcli), or ``python -m melcli``
    (``argv[0]`` is ``-m`` while the package is imported to find its
    ``__main__``, and the module given to ``-m`` is melcli's): not a program
    that imports melcli, nor ``python -m`` of another package that does.
    """
    argv = getattr(sys, "argv", None) or [""]
    if argv[0] != "-m":
        # A program of its own named melcli that imports the package (a
        # wrapper calling melcli.run) is not the command: only the script
        # importing melcli.__main__, whose main() unblocks them, holds them.
        named = argv[0].replace("\\", "/").rpartition("/")[2] == "melcli"
        return named and _importing("melcli.__main__")
    orig = getattr(sys, "orig_argv", [])
    for i, arg in enumerate(orig[1:], 1):
        if arg.startswith("-m"):  # -m melcli, -mmelcli
            module = arg[2:] or "".join(orig[i + 1 : i + 2])
            return module in ("melcli", "melcli.__main__")
    return False


def _importing(module: str) -> bool:
    """Whether this package is imported on the way to ``module`` (its submodule).

    Python imports a package before its submodule: the import system's frame
    loading ``module`` is then below this one.
    """
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_find_and_load" and frame.f_locals.get("name") == module:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


# The command holds its stop signals from here, its first statement, until
# melcli.__main__.main() takes them in hand (interrupts.stop_on_signals): a
# Ctrl-C while the command's first modules load (those melcli.__main__
# imports, before it could hold them itself) printed a traceback.
if hasattr(_signal, "pthread_sigmask") and _is_the_command():  # not Windows
    _signal.pthread_sigmask(
        _signal.SIG_BLOCK,
        [
            s
            for s in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP)
            if _signal.getsignal(s) != _signal.SIG_IGN
        ],
    )

import importlib  # noqa: E402

# Not from typing, whose import is most of this module's time: the command
# takes Ctrl-C in hand only once this package is imported (see __main__).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .audio import AudioInfo, probe
    from .batch import RunInterrupted
    from .errors import AudioError, MelcliError, ParameterError, UsageError
    from .gallery import build_gallery
    from .interrupts import Interrupted
    from .inventory import Inventory, info
    from .params import MelParams
    from .pipeline import mel_spectrogram, process_one
    from .presets import preset_params
    from .report import Report, Result, Status
    from .session import run
    from .shard import merge
    from .stats import write_stats

__version__ = "0.1.0"

#: Public names imported on first use: some modules import numpy, and the
#: ``melcli`` command starts (and takes Ctrl-C in hand, see ``__main__``)
#: before it imports any of them.
_LAZY = {
    "AudioError": "errors",
    "MelcliError": "errors",
    "ParameterError": "errors",
    "UsageError": "errors",
    "MelParams": "params",
    "preset_params": "presets",
    "Report": "report",
    "Result": "report",
    "Status": "report",
    "AudioInfo": "audio",
    "probe": "audio",
    "run": "session",
    "RunInterrupted": "batch",
    "Interrupted": "interrupts",
    "build_gallery": "gallery",
    "info": "inventory",
    "Inventory": "inventory",
    "mel_spectrogram": "pipeline",
    "process_one": "pipeline",
    "write_stats": "stats",
    "merge": "shard",
}


#: Public functions that write into OUT, as the API gives them: stopping on
#: signals as ``run`` does (melcli.interrupts.stops_on_signals). Their
#: modules' own names stay bare, for the pipeline's workers.
_STOPPING = {"process_one"}


def __getattr__(name: str) -> "Any":
    if name not in _LAZY:
        from ._lazy import submodule

        return submodule(__name__, name)
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _STOPPING:
        from .interrupts import stops_on_signals

        value = stops_on_signals(value)
        # Pickled (a pool's task) by this name, which gives this object.
        value.__module__, value.__qualname__ = __name__, name
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    # With the submodules __getattr__ imports on first use: a notebook's
    # completion of "melcli.st" offers melcli.stats.
    from pkgutil import iter_modules

    modules = {m.name for m in iter_modules(__path__) if not m.name.startswith("_")}
    return sorted({*globals(), *_LAZY, *modules})


__all__ = [
    "AudioError",
    "AudioInfo",
    "Interrupted",
    "Inventory",
    "MelParams",
    "MelcliError",
    "ParameterError",
    "Report",
    "Result",
    "RunInterrupted",
    "Status",
    "UsageError",
    "__version__",
    "build_gallery",
    "info",
    "mel_spectrogram",
    "merge",
    "preset_params",
    "probe",
    "process_one",
    "run",
    "write_stats",
]
