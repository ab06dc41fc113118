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
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys

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


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block is done, then act on them.

    Counting a result and recording it in the manifest must happen together,
    as must closing a shard and recording its samples: a KeyboardInterrupt in
    between would leave the summary counting files the manifest does not know,
    or samples in a shard the manifest does not know. In the main thread, the
    signals' handlers are swapped for ones that only note the signal; on
    leaving, the previous handlers are restored and called for what arrived,
    and a stop signal Python dropped meanwhile (see :func:`_answer_later`)
    is raised.
    Elsewhere (no signal handlers there), and inside another such block (whose
    end acts on them), this does nothing.
    """
    global _holding
    threading = sys.modules.get("threading")  # none: only the main thread
    if _holding or (
        threading is not None
        and threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    arrived: list[signal.Signals] = []
    held = STOP_SIGNALS
    # _signal, not signal: its enum conversions made this block cost 15 us, and
    # a run holds the signals twice per file.
    previous = {
        s: _signal.signal(s, lambda n, f: arrived.append(signal.Signals(n)))
        for s in held
    }
    _holding = True
    try:
        yield
    finally:
        _holding = False
        for s, handler in previous.items():
            _signal.signal(s, handler)
        for signum in dict.fromkeys(arrived):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)
        if _unanswered is not None:  # dropped before or in the block: now
            _raise_unanswered()


#: Whether a :func:`deferred` block is running (in the main thread).
_holding = False


def _stop_signals() -> tuple[signal.Signals, ...]:
    """SIGINT, SIGTERM, and SIGHUP (its terminal closed) unless ignored (nohup)."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or signal.getsignal(hangup) == signal.SIG_IGN:
        return (signal.SIGINT, signal.SIGTERM)
    return (signal.SIGINT, signal.SIGTERM, hangup)


#: The signals a run stops on: a closed terminal's SIGHUP as SIGTERM, and
#: nohup's choice kept (this module is imported first: see melcli.__main__).
STOP_SIGNALS = _stop_signals()


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

    def __str__(self) -> str:
        """Return what was stopped, and by which signal."""
        return self.message or f"interrupted by {_name_of(self.signum)}"


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
    global _answering
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
    _note(signum, frame)
    _only_note()
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
    if not _answering and not (_call is not None and _call.alarm):
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
        Whether SIGALRM was free (its default handler, no timer running): a
        dropped signal is then raised again at once, by a timer (else at the
        end of the next held block).
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


@contextlib.contextmanager
def stopping_a_call() -> Iterator[Call]:
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
    the call ends is in :attr:`Call.dropped`. Everything is put back when the
    call ends.

    Does nothing in the command, which takes the signals for its whole life
    (:func:`stop_on_signals`), inside another such call, or outside the main
    thread, where Python runs no signal handler: a signal then goes to the
    main thread, as it would without melcli.
    """
    global _call
    call = Call()
    threading = sys.modules.get("threading")  # none: only the main thread
    if (
        _answering
        or _call is not None
        or (
            threading is not None
            and threading.current_thread() is not threading.main_thread()
        )
    ):
        yield call
        return
    # _signal, not signal (as in deferred): a script may call info() per file.
    taken = {
        s: handler
        for s in STOP_SIGNALS
        if (handler := _signal.getsignal(s))
        in (signal.SIG_DFL, signal.default_int_handler)
    }
    hook = sys.unraisablehook
    if hasattr(signal, "setitimer"):
        call.alarm = _signal.getsignal(
            signal.SIGALRM
        ) == signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    _call = call
    call.taken = True
    try:
        for signum in taken:
            _signal.signal(signum, _call_stop)
        if hook is not _unraisable:
            _unraisable.previous = hook  # type: ignore[attr-defined]
            sys.unraisablehook = _unraisable
        yield call
    finally:
        try:
            if call.undo:
                with deferred():  # each, whatever lands meanwhile
                    for undo in call.undo:
                        with contextlib.suppress(Exception):
                            undo()
        finally:
            _end_call(call, taken, hook)


def undo_when_the_call_ends(undo: Callable[[], object]) -> None:
    """Have ``undo`` run as the API call under way (:func:`stopping_a_call`) ends.

    For what must not outlive the call whatever moment a signal lands (OUT's
    lock): its own ``__exit__`` can be stopped at its first line, before it
    lets anything go. ``undo`` must do nothing when done already. Outside a
    call (the command, whose process ends), nothing is kept.
    """
    if _call is not None:
        _call.undo.append(undo)


def _end_call(call: Call, taken: dict[signal.Signals, Any], hook: Any) -> None:
    """Put back what :func:`stopping_a_call` changed; note a signal left dropped.

    Whatever moment a signal lands: SIGINT's handler is put back last, and
    until then one only notes it (:attr:`Call.dropped`). A Ctrl-C as SIGINT's
    was put back first raised Python's KeyboardInterrupt from here, the rest
    not put back: every later call in the process took no signal in hand.
    """
    global _call, _unanswered
    call.ending = True
    try:
        for signum, handler in taken.items():
            if signum != signal.SIGINT:  # a signal from now on: the caller's
                _signal.signal(signum, handler)
        if call.alarm and _signal.getsignal(signal.SIGALRM) is _answer:  # set here
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if _unanswered is not None and call.dropped is None:
            call.dropped = _unanswered
        _unanswered = None
        if hook is not _unraisable and sys.unraisablehook is _unraisable:
            sys.unraisablehook = hook
    finally:
        try:
            if signal.SIGINT in taken:
                _signal.signal(signal.SIGINT, taken[signal.SIGINT])
        finally:
            _call = None  # an assignment: no signal lands in between


def _call_stop(signum: int, frame: object) -> None:
    """Raise the first stop signal of a call (see stopping_a_call).

    Later ones are ignored: the run's clean-up runs to its end, and the call
    raises :class:`~melcli.RunInterrupted` for the first.
    """
    call = _call
    if call is None or call.first is not None:
        return  # the call is stopping: its clean-up runs to its end
    if call.ending:  # its handlers being put back: raised as the call returns
        call.dropped = call.dropped or signum
        return
    call.first = signum
    _put_back()
    raise Interrupted(signum)


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
        call = Call()
        try:
            with stopping_a_call() as call:
                result = func(*args, **kwargs)
        except Interrupted as exc:
            if exc.message is None and call.taken:
                exc.message = f"{name} interrupted by {_name_of(exc.signum)}"
            raise
        except BaseException as exc:
            # A KeyboardInterrupt of the caller's own handler, or one raised
            # as the signals were taken in hand; or what the function raised
            # because of the signal (a pool whose workers it stopped).
            stop = call.stopped_by
            if stop is None and not isinstance(exc, KeyboardInterrupt):
                raise
            signum = signal_number(exc) if stop is None else stop
            said = f"{name} interrupted by {_name_of(signum)}"
            raise Interrupted(signum, said) from exc
        if call.dropped is not None:
            said = f"{name} interrupted by {_name_of(call.dropped)}"
            raise Interrupted(call.dropped, said)
        return result

    return stopping


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
    "put_back_before_stop",
    "raise_interrupted",
    "signal_number",
    "signals_blocked",
    "stop_on_signals",
    "stopping_a_call",
    "stops_on_signals",
    "undo_when_the_call_ends",
]
