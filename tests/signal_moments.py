"""Stop a call at a chosen moment, as a stop signal handled there would.

CPython runs a signal's Python handler in the main thread as a function
starts, after a call returns (a C function's too: ``os.open``'s descriptor
not yet kept), or at a loop's turn: a Ctrl-C can land at any such moment.
:func:`moments` runs a call once and numbers them; :func:`stop_at` runs it
again and, at moment ``at`` (and ``again``, a second signal), calls the
SIGINT handler then in place, as Python would:
``melcli``'s own while a call takes the signals in hand, else Python's
(``KeyboardInterrupt``). So every moment of a short call can be tried, one
run each, without timing anything.

Used by a script a test starts (tracing is the process's own business).
"""

from __future__ import annotations

import dis
import signal
import sys
from collections.abc import Callable
from typing import Any

#: The bytecodes after which CPython 3.11 checks for a signal (its "eval
#: breaker"): a call's return, a loop's turn; and the one at which it does,
#: a function's start. A handler runs at no other moment.
_AFTER = {dis.opmap[name] for name in ("CALL", "CALL_FUNCTION_EX", "JUMP_BACKWARD")}
_AT = dis.opmap["RESUME"]


class _Tracer:
    """Count the moments a handler can run (every frame); fire SIGINT's at some."""

    def __init__(self, at: tuple[int, ...]) -> None:
        self.at = set(at)
        self.n = 0
        self.files: list[str] = []
        self.fired: list[int] = []
        self.record = False
        self.last: dict[int, int] = {}  # a frame's last bytecode, by id

    def __call__(self, frame: Any, event: str, arg: object) -> _Tracer:
        frame.f_trace_opcodes = True
        if event != "opcode":
            return self
        op = frame.f_code.co_code[frame.f_lasti]
        before = self.last.get(id(frame))
        self.last[id(frame)] = op
        if op != _AT and before not in _AFTER:
            return self
        self.n += 1
        if self.record:
            code = frame.f_code
            self.files.append(f"{code.co_filename}:{code.co_name}")
        if self.n in self.at:
            self.fired.append(self.n)
            handler = signal.getsignal(signal.SIGINT)
            if callable(handler):
                handler(signal.SIGINT, frame)
        return self


def moments(call: Callable[[], object]) -> list[str]:
    """Run ``call``; return where each of its moments is (``FILE:FUNCTION``)."""
    tracer = _Tracer(())
    tracer.record = True
    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return tracer.files


def stop_at(call: Callable[[], object], at: int, again: int | None = None) -> str:
    """Run ``call``, a signal at moment ``at`` (and ``again``); say how it ended.

    ``"returned"``, or the exception's class name, a space and its ``signum``
    (``None`` for Python's bare ``KeyboardInterrupt``); ``"not reached"`` if
    this run of ``call`` had fewer moments (a cache warm, a collection not
    due this time).
    """
    tracer = _Tracer((at,) if again is None else (at, again))
    sys.settrace(tracer)
    try:
        call()
    except KeyboardInterrupt as exc:
        return f"{type(exc).__name__} {getattr(exc, 'signum', None)}"
    finally:
        sys.settrace(None)
    return "returned" if tracer.fired else "not reached"


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
