"""Hold Ctrl-C and SIGTERM while a few statements that belong together run.

A run records each result twice, in the report and in the manifest, and a
shard is closed and recorded as one step; an interrupt in between would make
them disagree (a file counted as written that the manifest does not know).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then act on them.

    Counting a result and recording it in the manifest must happen together,
    as must closing a shard and recording its samples: a KeyboardInterrupt in
    between would leave the summary counting files the manifest does not know,
    or samples in a shard the manifest does not know. In the main thread, the
    signals' handlers are swapped for ones that only note the signal; on
    leaving, the previous handlers are restored and called for what arrived.
    Elsewhere (no signal handlers there), and inside another such block (whose
    end acts on them), this does nothing.
    """
    global _holding
    if _holding or threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[signal.Signals] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {
        s: signal.signal(s, lambda n, f: arrived.append(signal.Signals(n)))
        for s in held
    }
    _holding = True
    try:
        yield
    finally:
        _holding = False
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(arrived):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


#: Whether a :func:`deferred` block is running (in the main thread).
_holding = False

__all__ = ["deferred"]
