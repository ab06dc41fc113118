"""The command's start-up with Python's cyclic garbage collector paused.

Starting ``melcli mel`` makes a few hundred thousand objects (click, numpy,
soundfile, melcli's own modules, the plan) and frees almost none of them, yet
the collector went over them again and again as they piled up: some 60 young
collections, 3-4 % of the instructions before the first worker starts
(bench/README.md, "Figures behind the code"). The command pauses it before
its first import (:func:`pause`, from :mod:`melcli.__main__`); the run starts
it again once it is set to work (:func:`resume`, from
:meth:`melcli.batch._Run.execute`), with what start-up made frozen: never
looked at again, here or in the workers forked from this process (whose
collections would otherwise write to every inherited object's header, copying
its page).

Nothing here changes a collector that was already paused by someone else (a
program using the Python API): :func:`resume` only undoes :func:`pause`.
"""

from __future__ import annotations

import gc

#: Whether :func:`pause` stopped the collector and :func:`resume` has not
#: started it again.
_paused = False


def pause() -> None:
    """Stop the cyclic garbage collector until :func:`resume` (if it runs now)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start the collector :func:`pause` stopped, with what exists now frozen.

    Frozen (:func:`gc.freeze`), start-up's objects are left out of every later
    collection: started on them all at once, the first collection would
    redo what the pause saved. A cycle among them that becomes garbage later
    stays in memory; start-up's objects live as long as the process anyway.
    Does nothing if :func:`pause` did not stop the collector.
    """
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
