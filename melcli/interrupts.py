"""Ctrl-C and SIGTERM: hold them while a few statements that belong together run.

A run records each result twice, in the report and in the manifest, and a
shard is closed and recorded as one step; an interrupt in between would make
them disagree (a file counted as written that the manifest does not know).
:func:`deferred` holds the signals over such a block.

The command line goes further (:func:`stop_on_signals`): the first SIGINT or
SIGTERM raises :class:`Interrupted` (a KeyboardInterrupt that knows its
signal), and every later one is only noted, so that a second Ctrl-C a few
milliseconds after the first cannot cut the clean-up short. A run started
from Python (``melcli.run``) does the same for the call's length only
(:func:`stopping_a_call`), leaving a caller's own handlers alone.

The first signal wins: the exit status (the :class:`Interrupted` raised) is
that of the first stop signal Python handled. Signals that arrive while
Python cannot handle them yet (held blocked while the command's modules
load, or while a worker is forked; or both pending as the main thread
returns from C code) are handled in the order of their numbers (SIGHUP 1,
SIGINT 2, SIGTERM 15), as :func:`block_for_exit` decides for those still
pending: which of them was sent first is not known to the process.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from _thread import get_ident as _get_ident

try:  # signal's C half, without the enum conversions (see deferred)
    import _signal  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - not CPython
    _signal = signal

# Only what the interpreter has imported at start-up (not typing, nor
# threading): the command imports this module first, to take Ctrl-C in hand
# (see melcli.__main__).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, ParamSpec, TypeVar

    P = ParamSpec("P")
    R = TypeVar("R")


def deferred() -> contextlib.AbstractContextManager[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block is done, then act on them.

    Counting a result and recording it in the manifest must happen together,
    as must closing a shard and recording its samples: a KeyboardInterrupt in
    between would leave the summary counting files the manifest does not know,
    or samples in a shard the manifest does not know. In the main thread:

    - where every stop signal's handler is this module's (the command's, or
      an API call's that took them all), the block only sets a flag its
      handlers read: one that arrives meanwhile is noted, and raised as the
      block ends (a quarter of a microsecond, not the 4 us of six handler
      swaps; and no moment where some handlers are put back and others not);
    - elsewhere, the signals' handlers are swapped for ones that only note
      the signal; on leaving, the previous handlers are restored (each, even
      if one restored already raises meanwhile) and called for what arrived.

    Either way, a stop signal Python dropped meanwhile (see
    :func:`_answer_later`) is then raised. Outside the main thread (no
    signal handlers there), and inside another such block (whose end acts on
    them), this does nothing.
    """
    if _holding:
        return _NOTHING
    if _ours:
        if _get_ident() == _main_ident:
            return _HOLD
        return _NOTHING
    threading = sys.modules.get("threading")  # none: only the main thread
    if threading is not None and threading.current_thread() is not (
        threading.main_thread()
    ):
        return _NOTHING
    return _swapped()


class _Hold:
    """:func:`deferred` where the handlers are this module's: a flag they read."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _holding
        _holding = True

    def __exit__(self, *exc: object) -> None:
        global _holding, _held
        _holding = False
        signum = _held
        if signum is not None:  # the handler's exception, raised now
            _held = None
            _put_back()
            raise Interrupted(signum)
        if _unanswered is not None:  # dropped before or in the block: now
            _raise_unanswered()


_HOLD = _Hold()
_NOTHING = contextlib.nullcontext()


@contextlib.contextmanager
def _swapped() -> Iterator[None]:
    """:func:`deferred` with the handlers swapped for ones that only note."""
    global _holding
    arrived: list[signal.Signals] = []
    # _signal, not signal: its enum conversions made this block cost 15 us.
    previous = {
        s: _signal.signal(s, lambda n, f: arrived.append(signal.Signals(n)))
        for s in STOP_SIGNALS
    }
    _holding = True
    try:
        yield
    finally:
        _holding = False
        _handlers_back(previous)
        for signum in dict.fromkeys(arrived):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
        if _unanswered is not None:  # dropped before or in the block: now
            _raise_unanswered()


def _handlers_back(previous: dict[signal.Signals, Any]) -> None:
    """Set each handler of ``previous`` back, even if one set back raises meanwhile.

    Setting a handler first runs those of the signals pending: one put back
    already (a caller's own that raises) raised there, and, set one by one in
    a loop of Python, the handlers after it were left noting signals for
    good (a later SIGTERM ignored). Set by C code (``list(map(...))``: no
    bytecode between two), and set again if one raised.
    """
    try:
        list(map(_signal.signal, previous, previous.values()))
    except BaseException:
        list(map(_signal.signal, previous, previous.values()))
        raise


#: Whether a :func:`deferred` block is running (in the main thread).
_holding = False
#: Whether every stop signal's handler is this module's (:func:`stop_on_signals`,
#: or a :func:`stopping_a_call` that took them all): they read ``_holding``.
_ours = False
#: The thread that set ``_ours`` (the main thread, where handlers run).
_main_ident: int | None = None
#: A stop signal that arrived in a :func:`deferred` block, raised at its end.
_held: int | None = None


def _not_ours_in_a_child() -> None:
    """Forget the parent's handlers in a forked worker, which sets its own."""
    global _ours, _holding, _held
    _ours = False
    _holding = False
    _held = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_not_ours_in_a_child)


def _stop_signals() -> tuple[signal.Signals, ...]:
    """SIGINT, SIGTERM, and SIGHUP (its terminal closed) unless ignored (nohup)."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or signal.getsignal(hangup) == signal.SIG_IGN:
        return (signal.SIGINT, signal.SIGTERM)
    return (signal.SIGINT, signal.SIGTERM, hangup)


#: The signals a run stops on: a closed terminal's SIGHUP as SIGTERM, and
#: nohup's choice kept (this module is imported first: see melcli.__main__).
STOP_SIGNALS = _stop_signals()
#: The same as numbers: an enum's hash is a Python function (dicts of them
#: cost a call of the API a microsecond).
_STOP_NUMBERS = tuple(int(s) for s in STOP_SIGNALS)
_SIGINT = int(signal.SIGINT)


class Interrupted(KeyboardInterrupt):
    """A stop signal, raised in the main thread like Ctrl-C's KeyboardInterrupt.

    ``melcli.write_stats``, ``merge``, ``build_gallery`` and ``info`` raise
    it once what they leave in OUT is whole (see :func:`stops_on_signals`);
    ``melcli.run`` raises :class:`~melcli.RunInterrupted`, one of these.

    Attributes
    ----------
    signum : int
        The signal: the exit status is ``128 + signum`` (130, 143; SIGHUP 129).
    message : str or None
        What was stopped (``melcli.write_stats interrupted by SIGINT``).
    """

    def __init__(self, signum: int, message: str | None = None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.message = message
        #: The call stopped (``melcli.info``), when ``message`` is None.
        self.what: str | None = None

    def __str__(self) -> str:
        """Return what was stopped, and by which signal."""
        if self.message:
            return self.message
        said = f"interrupted by {_name_of(self.signum)}"
        return f"{self.what} {said}" if self.what else said


def _name_of(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def interrupt_in(exc: BaseException) -> KeyboardInterrupt | None:
    """Return the KeyboardInterrupt ``exc`` is, or that it wraps; else None.

    Python 3.11 wraps an exception raised while a class is made, in a
    descriptor's ``__set_name__`` (a dataclass's fields), in a RuntimeError
    ("Error calling __set_name__ ..."), the KeyboardInterrupt as its cause:
    a stop signal that arrived while a module defining a dataclass was
    imported ended the command with a traceback and status 1.
    """
    for _ in range(8):  # a chain of causes, not a loop
        if isinstance(exc, KeyboardInterrupt):
            return exc
        if not isinstance(exc, RuntimeError) or exc.__cause__ is None:
            return None
        exc = exc.__cause__
    return None


def signal_number(exc: BaseException) -> int:
    """Return the signal behind a KeyboardInterrupt: its own, else SIGINT."""
    return int(getattr(exc, "signum", signal.SIGINT))


def raise_interrupted(signum: int, frame: object) -> None:
    """Raise :class:`Interrupted` for ``signum`` (a signal handler)."""
    _put_back()
    raise Interrupted(signum)


#: What puts back process-wide state a block changes for a moment (the
#: standard descriptors melcli.audio points at a capture file around a C
#: decoder): run by the handlers here before they raise, since the block's
#: own clean-up may never run (a signal inside contextlib's ``__enter__``).
_PUT_BACK: list[Callable[[], object]] = []


def put_back_before_stop(undo: Callable[[], object]) -> None:
    """Have ``undo`` run by a stop signal's handler before it raises.

    ``undo`` must be quick, safe to call at any moment of the main thread,
    and safe to call when there is nothing to put back.
    """
    _PUT_BACK.append(undo)


def _put_back() -> None:
    for undo in _PUT_BACK:
        with contextlib.suppress(Exception):
            undo()


def stop_on_signals() -> None:
    """Make the first stop signal raise :class:`Interrupted`; note the rest.

    For the command line, as the first thing it does: from then on, whenever
    a signal arrives (while modules are imported, OUT is planned, files are
    built, the manifest is written), the command stops through the same path
    and exits with ``128 + signum``. Once one has arrived the process is
    stopping, and later ones are only noted (see :func:`first_signal`): the
    clean-up (stopping workers, recording what finished, committing the
    manifest) is short and bounded, and a second Ctrl-C must not leave it half
    done. The signals are also unblocked, in case this process inherited them
    blocked. Calling it again changes nothing.
    """
    if _arrived or signal.getsignal(signal.SIGINT) is _stop:
        return
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    global _answering, _ours, _main_ident
    _main_ident = _get_ident()
    _ours = True  # its handlers, from now to the exit: deferred reads a flag
    _answering = True
    if sys.unraisablehook is not _unraisable:
        _unraisable.previous = sys.unraisablehook  # type: ignore[attr-defined]
        sys.unraisablehook = _unraisable
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def note_signals() -> None:
    """Only note the stop signals from now on (a command that is about to exit)."""
    global _answering, _unanswered
    _only_note()
    _answering = False
    _unanswered = None  # its status is decided by first_signal()
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def _only_note() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _note)


def first_signal() -> int | None:
    """Return the first signal :func:`stop_on_signals` saw, if any."""
    return _arrived[0] if _arrived else None


def block_for_exit() -> int | None:
    """Block the stop signals for good; return the first that arrived, if any.

    For a command about to exit, everything recorded and printed: a signal
    arriving while the interpreter shuts down (which puts the default
    handlers back) would kill it, or leave a traceback. Those that arrived
    and were only noted, or are pending, decide the exit status.

    Blocking covers this thread only: a signal sent to the process can be
    taken by any other (numpy's BLAS threads), where the default handler put
    back at shut-down would kill the process (seen: status -2 after the
    summary). So the signals are then ignored, which Python leaves as it is
    at shut-down (it puts back only the handlers it set itself).
    """
    pending: set[int] = set()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pending = {int(s) for s in signal.sigpending()} & set(STOP_SIGNALS)
    first = first_signal()
    if first is None and pending:
        first = min(pending)  # SIGINT before SIGTERM: which came first is unknown
    note_signals()  # no more raising (nor raising again: see _answer_later)
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    return first


def _stop(signum: int, frame: object) -> None:
    global _held
    _note(signum, frame)
    _only_note()
    if _holding:  # raised as the deferred block ends
        _held = signum
        return
    _put_back()
    raise Interrupted(signum)


def _note(signum: int, frame: object) -> None:
    _arrived.append(signum)


#: The signals that arrived since :func:`stop_on_signals`, in order.
_arrived: list[int] = []

#: Whether a dropped :class:`Interrupted` is raised again: from
#: :func:`stop_on_signals` to :func:`note_signals`.
_answering = False
#: The signal whose :class:`Interrupted` was dropped, until it is raised again.
_unanswered: int | None = None

#: How long :func:`_answer_later` waits before raising (seconds): long enough
#: for the code that dropped the exception to return, short for a person.
ANSWER_AFTER = 0.002


def _unraisable(unraisable: Any) -> None:
    """``sys.unraisablehook``: take the :class:`Interrupted` Python drops.

    In a call of the API (:func:`stopping_a_call`), any KeyboardInterrupt (a
    caller's own SIGINT handler may raise one). Anything else goes to the
    hook this one replaced.
    """
    exc = unraisable.exc_value
    if (_answering and isinstance(exc, Interrupted)) or (
        _call is not None and isinstance(exc, KeyboardInterrupt)
    ):
        _answer_later(signal_number(exc))
    else:
        _unraisable.previous(unraisable)  # type: ignore[attr-defined]


_unraisable.previous = sys.__unraisablehook__  # type: ignore[attr-defined]


def _answer_later(signum: int) -> None:
    """Raise :class:`Interrupted` for ``signum`` again, a moment from now.

    Where Python drops an exception (a weakref callback, a ``__del__``, the
    garbage collector), the handler's exception is printed and forgotten,
    and the run would go on to its end. A timer's signal raises it again from
    wherever the program is then; if that is such a place too, once more.
    """
    global _unanswered
    _unanswered = signum  # else at the end of the next held block (deferred)
    if not hasattr(signal, "setitimer"):  # pragma: no cover - not POSIX
        return
    if not _answering and not (_call is not None and _alarm_free(_call)):
        return  # SIGALRM is the caller's (a handler, or a timer running)
    threading = sys.modules.get("threading")
    if threading is not None and threading.current_thread() is not (
        threading.main_thread()
    ):
        return  # a finaliser run by another thread: no handler can be set there
    signal.signal(signal.SIGALRM, _answer)
    signal.setitimer(signal.ITIMER_REAL, ANSWER_AFTER)


def _raise_unanswered() -> None:
    """Raise the :class:`Interrupted` Python dropped, if it is not raised yet."""
    global _unanswered
    signum = _unanswered
    if signum is None:
        return
    _unanswered = None
    _put_back()
    raise Interrupted(signum)


def _inside_the_hook(frame: Any) -> bool:
    """Whether ``frame`` runs in :func:`_unraisable`, or in what it called."""
    while frame is not None:
        if frame.f_code is _unraisable.__code__:
            return True
        frame = frame.f_back
    return False


def _answer(alarm: int, frame: object) -> None:
    global _unanswered
    signum = _unanswered
    if signum is None:
        return
    held = _holding or signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, ())
    # Raised inside the hook (a loaded machine: the timer came before the
    # hook returned), it would be printed and dropped for good.
    if held or _inside_the_hook(frame):  # at their end, then
        signal.setitimer(signal.ITIMER_REAL, ANSWER_AFTER)
        return
    _raise_unanswered()


class Call:
    """A call of the Python API that stops on signals (:func:`stopping_a_call`).

    Attributes
    ----------
    first : int or None
        The stop signal that stopped it (raised as :class:`Interrupted`), if any.
    dropped : int or None
        A stop signal whose exception Python dropped (raised in a finaliser)
        and that was not raised again before the call ended.
    taken : bool
        Whether the call took the signals in hand (in the main thread, not
        in the command).
    alarm : bool
        Whether SIGALRM was free (its default handler, no timer running) when
        a dropped signal was to be raised again: then at once, by a timer
        (else at the end of the next held block).
    """

    def __init__(self) -> None:
        self.first: int | None = None
        self.dropped: int | None = None
        self.taken = False
        self.alarm = False
        #: Whether the call is putting back the handlers it changed.
        self.ending = False
        #: What its end lets go (:func:`undo_when_the_call_ends`).
        self.undo: list[Callable[[], object]] = []

    @property
    def stopped_by(self) -> int | None:
        """The stop signal the call saw, raised or dropped; None if none came."""
        return self.first if self.first is not None else self.dropped


#: The API call stopping on signals now (:func:`stopping_a_call`), if any.
_call: Call | None = None


def stopping_a_call(name: str | None = None) -> _Taking:
    """Stop a call of the Python API (``melcli.run``) on signals, as the command does.

    For the call's length, in the main thread, the stop signals still at
    Python's default handling (SIGINT's KeyboardInterrupt, SIGTERM and SIGHUP
    ending the process) are taken: the first raises :class:`Interrupted`, and
    later ones are ignored, so that a second Ctrl-C cannot cut the run's
    clean-up short. A handler of the caller's own is left in place (and is
    called, as the caller meant); so is an ignored signal (``nohup``).

    A KeyboardInterrupt that Python drops (raised by the handler while the
    garbage collector runs a finaliser: "Exception ignored in ...") is raised
    again: at once by a timer if SIGALRM is free, else at the end of the next
    block that holds the signals (:func:`deferred`); one still not raised when
    the call ends is in :attr:`Call.dropped`, and with ``name`` (the call's,
    ``melcli.info``) raised as the block ends, as :class:`Interrupted` (before
    SIGINT's handler is put back: a second Ctrl-C then cannot replace it with
    Python's bare KeyboardInterrupt). Everything is put back when the call
    ends.

    Does nothing in the command, which takes the signals for its whole life
    (:func:`stop_on_signals`), inside another such call, or outside the main
    thread, where Python runs no signal handler: a signal then goes to the
    main thread, as it would without melcli.
    """
    return _Taking(name)


class _Taking:
    """:func:`stopping_a_call`'s block (a class: a generator's costs 2 us more)."""

    __slots__ = ("call", "hook", "name", "taken")

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.call = Call()
        self.taken: dict[int, Any] | None = None

    def __enter__(self) -> Call:
        global _call, _ours, _main_ident
        call = self.call
        if _answering or _call is not None or not _in_main_thread():
            return call
        # _signal, not signal (as in deferred): a script may call info() per file.
        taken = {
            s: handler
            for s in _STOP_NUMBERS
            if (handler := _signal.getsignal(s)) in _DEFAULTS
        }
        self.hook = sys.unraisablehook
        self.taken = taken
        _call = call
        call.taken = True
        try:
            for signum in taken:
                _signal.signal(signum, _call_stop)
            if len(taken) == len(STOP_SIGNALS):  # all: deferred reads a flag
                _main_ident = _get_ident()
                _ours = True
            if self.hook is not _unraisable:
                _unraisable.previous = self.hook  # type: ignore[attr-defined]
                sys.unraisablehook = _unraisable
        except BaseException as exc:  # a signal as they were taken: no call
            self.end(exc)
            raise
        return call

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.end(exc)

    def end(self, exc: BaseException | None = None) -> None:
        """End the call: run its undo list, put back what it changed.

        Done once (later calls do nothing): a caller calls it again where the
        block's ``__exit__`` may have been stopped at its first line (the
        first signal, raised before anything was put back).
        """
        taken = self.taken
        call = self.call
        if taken is None or call.ending:
            return
        call.ending = True  # from here a signal is only noted (Call.dropped)
        try:
            if call.undo:
                with deferred():  # each, whatever lands meanwhile
                    for undo in call.undo:
                        with contextlib.suppress(Exception):
                            undo()
        finally:
            dropped = None
            name = self.name
            if name is not None:
                if exc is None:
                    dropped = Interrupted(0)  # made now: no call after
                    dropped.what = name
                elif isinstance(exc, Interrupted) and exc.message is None:
                    exc.what = name
            _end_call(call, taken, self.hook, dropped)


_SIGALRM = int(getattr(signal, "SIGALRM", 14))
#: The handlers a call takes the place of: Python's own.
_DEFAULTS = (_signal.SIG_DFL, _signal.default_int_handler)


def _alarm_free(call: Call) -> bool:
    """Whether ``call`` may use SIGALRM (:attr:`Call.alarm`), asked when first needed.

    Free if at its default with no timer running (asked only then: a call
    that drops no signal, nearly all, pays no system call for it).
    """
    if not call.alarm and hasattr(signal, "setitimer"):
        call.alarm = _signal.getsignal(signal.SIGALRM) == _signal.SIG_DFL and (
            signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        )
    return call.alarm


def _in_main_thread() -> bool:
    threading = sys.modules.get("threading")  # none: only the main thread
    return threading is None or _get_ident() == threading.main_thread().ident


def undo_when_the_call_ends(undo: Callable[[], object]) -> None:
    """Have ``undo`` run as the API call under way (:func:`stopping_a_call`) ends.

    For what must not outlive the call whatever moment a signal lands (OUT's
    lock): its own ``__exit__`` can be stopped at its first line, before it
    lets anything go. ``undo`` must do nothing when done already. Outside a
    call (the command, whose process ends), nothing is kept.
    """
    if _call is not None:
        _call.undo.append(undo)


def _end_call(
    call: Call,
    taken: dict[int, Any],
    hook: Any,
    dropped: Interrupted | None = None,
) -> None:
    """Put back what :func:`stopping_a_call` changed; note a signal left dropped.

    Whatever moment a signal lands: SIGINT's handler is put back last, and
    until then one only notes it (:attr:`Call.dropped`). A Ctrl-C as SIGINT's
    was put back first raised Python's KeyboardInterrupt from here, the rest
    not put back: every later call in the process took no signal in hand.
    With ``dropped`` (made beforehand), a signal left dropped is raised as it,
    before SIGINT's handler is put back: nothing is called after that.
    """
    global _call, _unanswered, _ours
    call.ending = True  # (set already by _Taking.end)
    _ours = False  # from here, deferred swaps the handlers it finds
    try:
        for signum, handler in taken.items():
            if signum != _SIGINT:  # a signal from now on: the caller's
                _signal.signal(signum, handler)
        if call.alarm and _signal.getsignal(_SIGALRM) is _answer:  # set here
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if _unanswered is not None and call.dropped is None:
            call.dropped = _unanswered
        _unanswered = None
        if hook is not _unraisable and sys.unraisablehook is _unraisable:
            sys.unraisablehook = hook
        if dropped is not None and call.dropped is not None:
            dropped.signum = call.dropped
            dropped.args = (call.dropped,)
            raise dropped
    finally:
        try:
            if _SIGINT in taken:
                _signal.signal(_SIGINT, taken[_SIGINT])
        finally:
            _call = None  # an assignment: no signal lands in between


def _call_stop(signum: int, frame: object) -> None:
    """Raise the first stop signal of a call (see stopping_a_call).

    Later ones are ignored: the run's clean-up runs to its end, and the call
    raises :class:`~melcli.RunInterrupted` for the first.
    """
    global _held
    call = _call
    if call is None or call.first is not None:
        return  # the call is stopping: its clean-up runs to its end
    if call.ending:  # its handlers being put back: raised as the call returns
        call.dropped = call.dropped or signum
        return
    call.first = signum
    if _holding:  # raised as the deferred block ends
        _held = signum
        return
    _put_back()
    raise Interrupted(signum)


def _as_interrupted(exc: BaseException, call: Call, name: str) -> BaseException:
    """Return what a call stopped by a signal raises for ``exc`` (itself if not so)."""
    stop = call.first
    if stop is None:
        stop = call.dropped if call.dropped is not None else _unanswered
    if stop is None and not isinstance(exc, KeyboardInterrupt):
        return exc
    signum = signal_number(exc) if stop is None else stop
    return Interrupted(signum, f"{name} interrupted by {_name_of(signum)}")


def stops_on_signals(func: Callable[P, R]) -> Callable[P, R]:
    """Make a function of the Python API stop on signals as ``melcli.run`` does.

    The call runs inside :func:`stopping_a_call`: the first SIGINT, SIGTERM or
    SIGHUP (those at Python's defaults) raises :class:`Interrupted` wherever
    it lands, and later ones are ignored, so that the function's own clean-up
    (a temporary file deleted, OUT's lock let go) runs to its end; SIGTERM
    and SIGHUP no longer end the process half way through a write. One that
    Python dropped (raised in a finaliser) and the call went on past is
    raised as the call returns, what it wrote kept: the caller asked to stop.
    An exception the function raised because of the signal (a pool whose
    workers it stopped) comes out as :class:`Interrupted` too, its cause kept.

    In the command, which takes the signals for its whole life, and outside
    the main thread, this changes nothing (see :func:`stopping_a_call`).
    """
    name = f"melcli.{func.__name__}"

    @functools.wraps(func)
    def stopping(*args: P.args, **kwargs: P.kwargs) -> R:
        # Everything inside the block, its end raising (a dropped signal) or
        # naming the Interrupted: after it, with SIGINT's handler put back,
        # a second Ctrl-C would replace it with a bare KeyboardInterrupt.
        taking = _Taking(name if _call is None else None)
        try:
            with taking as call:
                try:
                    return func(*args, **kwargs)
                except Interrupted:
                    raise
                except BaseException as exc:
                    # A KeyboardInterrupt of the caller's own handler, or one
                    # raised as the signals were taken in hand; or what the
                    # function raised because of the signal (a pool whose
                    # workers it stopped).
                    stopped = _as_interrupted(exc, call, name)
                    if stopped is exc:
                        raise
                    raise stopped from exc
        except BaseException as exc:
            if taking.taken is not None and not taking.call.ending:
                taking.end(exc)  # its __exit__ stopped at its first line
            raise

    return stopping


def os_open(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    flags: int,
    mode: int = 0o777,
    *,
    dir_fd: int | None = None,
    keep: bool = False,
) -> int:
    """``os.open``, whose descriptor a stop signal cannot lose.

    Python runs a signal's handler as a C function returns, before its
    result is kept: the descriptor ``os.open`` returned was lost, open for
    the process's life (an API caller's). Here it is opened by C code that
    keeps it in a list (``list.extend`` of a ``map``: no bytecode between
    the two), and closed if the handler raises. That costs a microsecond
    over ``os.open``: paid only in a call of the API (:func:`stopping_a_call`),
    whose caller lives on; the command, and its workers, end when stopped.
    With ``keep``, outside a call too: a reader the API hands out that runs
    later in the caller's own loop (the training loader), where Ctrl-C's
    KeyboardInterrupt lands as well.
    """
    if _call is None and not keep:
        return os.open(path, flags, mode, dir_fd=dir_fd)
    kept: list[int] = []
    try:
        opening = (
            os.open if dir_fd is None else functools.partial(os.open, dir_fd=dir_fd)
        )
        kept.extend(map(opening, (path,), (flags,), (mode,)))
    except BaseException:
        for fd in kept:
            os.close(fd)
        raise
    return kept[0]  # a Python function's return: no signal lands here


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Block the stop signals in this thread while the block runs.

    Around starting a worker process: a child forked meanwhile starts with
    them blocked, and takes them (as pending) only once it has its own
    handlers; this process takes those that arrived when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def ctrl_c_ignored_by_new_programs(*, keep_ctrl_c: bool = False) -> Iterator[None]:
    """Ignore SIGINT while the block starts programs, inside :func:`signals_blocked`.

    A program started meanwhile (a fork server) inherits the ignored SIGINT,
    and Python keeps it ignored: a Ctrl-C while it imports its modules cannot
    print a traceback from it. This process loses nothing: a signal that
    comes while it is blocked stays pending (on Linux even while ignored),
    and one pending already, which ignoring it would discard, is raised
    again; both are taken when the block of :func:`signals_blocked` ends.

    Only in a process of one thread: another thread (numpy's BLAS pool) does
    not block the signal, takes it, and an ignored signal is discarded there.
    Elsewhere this does nothing (see melcli._quiet_server for what is left).

    ``keep_ctrl_c``: only SIGHUP is ignored, for a start that unblocks SIGINT
    on its way out (multiprocessing's resource tracker's: it ignores SIGINT
    itself). Ignored then, a Ctrl-C that came during the start was discarded
    when unblocked, and the run went on to its end.
    """
    # SIGHUP too: a closed terminal's reaches the whole group, and a program
    # exec'd with a handler of this process would start with it at its default.
    signums = [
        s
        for s in STOP_SIGNALS
        if s != signal.SIGTERM and not (keep_ctrl_c and s == signal.SIGINT)
    ]
    if (
        not signums
        or not _one_thread()
        or any(signal.getsignal(s) is None for s in signums)
    ):
        yield  # (None: a handler set outside Python, which could not be put back)
        return
    pending = set(signal.sigpending())
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in signums:
            if signum in pending and signum not in signal.sigpending():
                signal.raise_signal(signum)


def _one_thread() -> bool:
    """Whether this process runs a single thread (as the kernel counts them)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # not Linux: cannot tell
        return False


__all__ = [
    "STOP_SIGNALS",
    "Call",
    "Interrupted",
    "block_for_exit",
    "ctrl_c_ignored_by_new_programs",
    "deferred",
    "first_signal",
    "note_signals",
    "os_open",
    "put_back_before_stop",
    "raise_interrupted",
    "signal_number",
    "signals_blocked",
    "stop_on_signals",
    "stopping_a_call",
    "stops_on_signals",
    "undo_when_the_call_ends",
]
