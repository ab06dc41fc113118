"""A Ctrl-C just after OUT's lock was taken leaves it neither held nor open.

``OutputLock.__enter__`` closed its descriptor on a Ctrl-C while it waited
for the lock, but not on one that came once the lock was taken, while it
wrote its pid into the lock file: the exception left ``__enter__`` with the
lock held by a descriptor no one would close. A Python caller (a notebook's
kernel, a script that goes on after Ctrl-C) saw its next run on OUT refused
as "another melcli run (pid: its own) is writing to OUT", for as long as its
process lived. The lock is now taken with the stop signals held, and let go
if one came meanwhile.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import short_tones

import melcli
from melcli import outdir

pytestmark = pytest.mark.skipif(
    not hasattr(os, "ftruncate") or not os.path.isdir("/proc/self/fd"),
    reason="POSIX locks, Linux /proc",
)


def _ctrl_c_after(call: Callable[..., Any]) -> Callable[..., Any]:
    """``call``, then a SIGINT to this process (the first time only)."""
    sent: list[bool] = []

    def then_ctrl_c(*args: Any) -> Any:
        value = call(*args)
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return value

    return then_ctrl_c


#: The moments after the lock is taken: as its pid is written into the file.
MOMENTS = ["ftruncate", "write"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_ctrl_c_once_the_lock_is_taken_lets_it_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    before = set(os.listdir("/proc/self/fd"))
    with monkeypatch.context() as patch:
        patch.setattr(os, moment, _ctrl_c_after(getattr(os, moment)))
        with pytest.raises(KeyboardInterrupt):
            outdir.OutputLock(tmp_path).__enter__()
    assert set(os.listdir("/proc/self/fd")) == before
    with outdir.OutputLock(tmp_path):  # not "another melcli run"
        pass


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_python_run_stopped_as_it_locks_out_can_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    src = short_tones(tmp_path / "src", n=2)
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(os, moment, _ctrl_c_after(getattr(os, moment)))
        with pytest.raises(KeyboardInterrupt):
            melcli.run([src], out, jobs=1)
    report = melcli.run([src], out, jobs=1)
    assert report.exit_code == 0, report.summary()
    assert sorted(p.name for p in out.glob("*.npy")) == ["0.npy", "1.npy"]
