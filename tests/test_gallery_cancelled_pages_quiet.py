"""Python 3.11's pool printed a traceback when the gallery's workers died early.

On Ctrl-C the gallery stops its page workers. Where they died before the
pool's manager thread had dropped the pages ``map()`` cancelled, Python 3.11
set an exception on a cancelled future in that thread: ``InvalidStateError``,
printed as a traceback (Python 3.12 ignores it). The gallery now keeps that
one quiet while its pool runs, and only that one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import RUN_LIMIT

#: A pool whose only worker is killed while cancelled items are pending: the
#: race, made sure of (a page running, the rest cancelled, then the kill).
RACE = textwrap.dedent(
    """
    import multiprocessing, os, signal, threading, time
    from concurrent.futures import ProcessPoolExecutor
    from melcli.gallery import _CancelledPagesQuiet

    before = threading.excepthook
    hook = _CancelledPagesQuiet.install()
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    futures = [pool.submit(time.sleep, 3) for _ in range(20)]
    while not futures[0].running():
        time.sleep(0.01)
    time.sleep(0.2)
    assert sum(f.cancel() for f in futures) >= 10
    for process in list(pool._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
    pool.shutdown(wait=True)
    def fail():
        raise ValueError("another thread's own error")
    other = threading.Thread(target=fail)
    other.start()
    other.join()
    hook.remove()
    assert threading.excepthook is before
    print("done")
    """
)


def test_only_the_cancelled_pages_error_is_kept_quiet() -> None:
    done = subprocess.run(
        [sys.executable, "-c", RACE],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"
    assert "InvalidStateError" not in done.stderr
    # Any other thread's error is printed as it was.
    assert "ValueError: another thread's own error" in done.stderr
    assert done.stderr.count("Traceback") == 1
