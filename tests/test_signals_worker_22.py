"""A worker sent SIGTERM says so: not only "exit status 143".

A worker process that receives SIGTERM (sent by hand, or by a system
stopping processes) deletes its temporary file and exits with 128 + the
signal; its file failed with ``worker process died (exit status 143)``,
which leaves the reader to do the arithmetic. The signal is now named.
"""

from __future__ import annotations

import signal

import pytest

from melcli import runners


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_worker_that_exits_after_a_signal_names_it(signum: signal.Signals) -> None:
    reason = runners._death_reason(128 + signum)
    assert reason == (
        f"worker process died (exit status {128 + signum}: stopped by {signum.name})"
    )


@pytest.mark.parametrize("exitcode", [1, 3, 128, 128 + 200])
def test_other_exit_statuses_are_given_as_they_are(exitcode: int) -> None:
    assert runners._death_reason(exitcode) == (
        f"worker process died (exit status {exitcode})"
    )


def test_a_worker_killed_by_sigkill_is_still_told_as_before() -> None:
    assert runners._death_reason(-signal.SIGKILL) == (
        "worker process died (killed by SIGKILL: out of memory, or killed)"
    )
