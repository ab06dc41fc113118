"""Stop a call at a chosen moment, as a stop signal handled there would.

CPython runs a signal's Python handler in the main thread as a function
starts, after a call returns (a C function's too: ``os.open``'s descriptor
not yet kept), or at a loop's turn: a Ctrl-C can land at any such moment.
:func:`moments` runs a call once and numbers them; :func:`stop_at` runs it
again and, at moment ``at`` (and ``again``, a second signal), calls the
SIGINT handler then in place, as Python would: ``melcli``'s own while a
call takes the signals in hand. A moment where Python's own handler is in
place (the call has not taken the signals yet, or has put them back) is the
caller's: the first signal is then not sent (:func:`stop_at` says
``"outside"``), nor the second (the call has ended).
So every moment of a short call can be tried, one run each, without timing
anything.

The moments are found by watching each bytecode: on CPython 3.11 with a
trace function's opcode events, on 3.12 and later with :mod:`sys.monitoring`'s
INSTRUCTION events (3.12 no longer sends opcode events to a trace function
that a test sets while the code runs). The rule is the same on both: these
versions check for a signal at a function's start (RESUME), after a call
(CALL, CALL_FUNCTION_EX), and at a loop's turn (JUMP_BACKWARD); not after
a call of a Python function that the interpreter ran in its own loop (a
plain function or method: its frame returns straight to the caller's, with
no check). 3.12 says what each call calls (a CALL event): exact. 3.11 does
not: a call whose callee's first frame is ``__init__``, ``__new__`` or
``__call__`` (a class, an instance: called through C) is a moment, another
Python callee is not (one reached through a C wrapper, ``functools.cache``,
is then missed).

Used by a script a test starts (tracing is the process's own business).
"""

from __future__ import annotations

import dis
import signal
import sys
import types
from collections.abc import Callable
from typing import Any

#: The bytecodes after which CPython checks for a signal (its "eval
#: breaker"): a call's return, a loop's turn, a generator's resumption; and
#: a function's start (RESUME, which neither tracing nor monitoring reports:
#: a frame's first bytecode stands for it). A handler runs at no other moment.
_CALL = dis.opmap["CALL"]
_AFTER = {_CALL, dis.opmap["CALL_FUNCTION_EX"], dis.opmap["JUMP_BACKWARD"]}
_YIELD = dis.opmap["YIELD_VALUE"]
_START = -1  # a frame not seen yet

#: sys.monitoring's tool id for the sweeps (3.12 and later).
_TOOL = 4

#: Python functions a call reaches through C (3.11's guess; see above).
_THROUGH_C = {"__init__", "__new__", "__call__", "__init_subclass__"}


class _Watcher:
    """Count the moments a handler can run (every frame); fire SIGINT's at some."""

    def __init__(self, at: tuple[int, ...]) -> None:
        self.at = set(at)
        self.n = 0
        self.files: list[str] = []
        self.fired: list[int] = []
        self.outside: list[int] = []
        self.record = False
        self.inside = False  # in the handler: its own bytecodes are not moments
        self.last: dict[int, int] = {}  # a frame's last bytecode, by id
        #: Frames whose last CALL ran a Python function in the loop (no check).
        self.inline: set[int] = set()
        self.exact = False  # told by CALL events (3.12), not guessed

    def saw(self, frame: Any, op: int) -> None:
        """Bytecode ``op`` of ``frame`` is about to run."""
        if frame.f_code.co_filename == __file__:
            return  # this module's own (_watch, once the call has returned)
        key = id(frame)
        before = self.last.get(key, _START)
        self.last[key] = op
        if before == _START and not self.exact:  # a new frame: who called it?
            caller = frame.f_back
            # (3.11 runs a function called with *args through C.)
            if (
                caller is not None
                and self.last.get(id(caller)) == _CALL
                and frame.f_code.co_name not in _THROUGH_C
            ):
                self.inline.add(id(caller))
        moment = before in (_START, _YIELD) or before in _AFTER
        if before in _AFTER and key in self.inline:
            self.inline.discard(key)
            moment = False  # the Python function called returned: no check
        if self.inside or not moment:
            return
        self.n += 1
        if self.record:
            code = frame.f_code
            self.files.append(f"{code.co_filename}:{code.co_name}")
        if self.n not in self.at or self.outside:  # (the first was the caller's)
            return
        handler = signal.getsignal(signal.SIGINT)
        if handler is signal.default_int_handler:
            self.outside.append(self.n)  # the caller's moment, not the call's
            return
        self.fired.append(self.n)
        if callable(handler):
            self.inside = True
            try:
                handler(signal.SIGINT, frame)
            finally:
                self.inside = False

    def trace(self, frame: Any, event: str, arg: object) -> Callable[..., Any]:
        """A trace function (3.11): its opcode events."""
        frame.f_trace_opcodes = True
        if event == "opcode":
            self.saw(frame, frame.f_code.co_code[frame.f_lasti])
        elif event == "call":  # a new frame (its id may be a dead one's)
            self.last.pop(id(frame), None)
        return self.trace

    def instruction(self, code: Any, offset: int) -> None:
        """sys.monitoring's INSTRUCTION callback (3.12 and later)."""
        self.saw(sys._getframe(1), code.co_code[offset])

    def started(self, code: Any, offset: int) -> None:
        """sys.monitoring's PY_START callback: a new frame (its id a dead one's?)."""
        self.last.pop(id(sys._getframe(1)), None)

    def called(self, code: Any, offset: int, func: object, arg0: object) -> None:
        """sys.monitoring's CALL callback: whether the loop runs ``func`` itself.

        A plain function (with ``*args`` too), or a method by CALL.
        """
        if isinstance(func, types.MethodType) and code.co_code[offset] == _CALL:
            func = func.__func__
        if type(func) is types.FunctionType and not self.inside:
            self.inline.add(id(sys._getframe(1)))


def _watch(watcher: _Watcher, call: Callable[[], object]) -> None:
    """Run ``call`` with ``watcher`` told of each bytecode."""
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        sys.settrace(watcher.trace)
        try:
            call()
        finally:
            sys.settrace(None)
        return
    if monitoring.get_tool(_TOOL) is None:
        monitoring.use_tool_id(_TOOL, "signal_moments")
    events = monitoring.events
    watcher.exact = True
    callbacks = {
        events.INSTRUCTION: watcher.instruction,
        events.CALL: watcher.called,
        events.PY_START: watcher.started,
    }
    for event, callback in callbacks.items():
        monitoring.register_callback(_TOOL, event, callback)
    monitoring.set_events(_TOOL, sum(callbacks))
    try:
        call()
    finally:
        monitoring.set_events(_TOOL, 0)
        for event in callbacks:
            monitoring.register_callback(_TOOL, event, None)


def moments(call: Callable[[], object]) -> list[str]:
    """Run ``call``; return where each of its moments is (``FILE:FUNCTION``)."""
    watcher = _Watcher(())
    watcher.record = True
    _watch(watcher, call)
    return watcher.files


def stop_at(call: Callable[[], object], at: int, again: int | None = None) -> str:
    """Run ``call``, a signal at moment ``at`` (and ``again``); say how it ended.

    ``"returned"``, or the exception's class name, a space and its ``signum``
    (``None`` for Python's bare ``KeyboardInterrupt``); ``"not reached"`` if
    this run of ``call`` had fewer moments (a cache warm, a collection not
    due this time); ``"outside"`` if Python's own SIGINT handler was in place
    at moment ``at`` (the call had not taken the signals in hand).
    """
    watcher = _Watcher((at,) if again is None else (at, again))
    try:
        _watch(watcher, call)
    except KeyboardInterrupt as exc:
        return f"{type(exc).__name__} {getattr(exc, 'signum', None)}"
    if at in watcher.outside:
        return "outside"
    return "returned" if watcher.fired else "not reached"


def chosen(
    files: list[str], *, near: tuple[str, ...], others: int, seed: int
) -> list[int]:
    """Pick the moments to try (1-based): every one in a ``FILE:FUNCTION``
    ending as one of ``near``, and ``others`` of the rest spread evenly,
    shifted by ``seed``."""
    picked = {i + 1 for i, name in enumerate(files) if name.endswith(near)}
    rest = [i + 1 for i in range(len(files)) if i + 1 not in picked]
    if rest and others:
        step = max(1, len(rest) // others)
        picked.update(rest[(seed % step) :: step])
    return sorted(picked)
