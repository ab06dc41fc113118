"""SIGTERM and Ctrl-C in ``melcli.process_one`` and ``melcli.inventory.iter_info``.

Neither took the stop signals in hand as ``melcli.run`` does: a SIGTERM
while ``process_one`` wrote an array killed the caller's process, its
temporary file left in OUT; one while ``iter_info`` walked the sources
killed it too. Each case is a script: the signal is sent from inside the
call (a hooked function of melcli), and the script says how the call ended.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, clean_env, noise_clips

SCRIPT = """
import os, signal, sys
import melcli
from melcli import write
from melcli.discover import Job
from melcli.params import MelParams

SRC, OUT, KIND, SIGNUM = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wav = sorted(os.path.join(d, f) for d, _, fs in os.walk(SRC) for f in fs)[0]
before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]

if KIND == "process_one":
    real = write._write_all  # the array's bytes, into its temporary file

    def hooked(*args, **kwargs):
        os.kill(os.getpid(), SIGNUM)
        return real(*args, **kwargs)

    write._write_all = hooked
    job = Job(src=wav, rel="a.wav", npy=os.path.join(OUT, "a.npy"))
    call = lambda: melcli.process_one(job, params=MelParams().validate())
else:
    from melcli import inventory
    real = inventory.find_inputs

    def hooked(*args, **kwargs):
        os.kill(os.getpid(), SIGNUM)
        return real(*args, **kwargs)

    inventory.find_inputs = hooked
    call = lambda: inventory.iter_info([SRC])
try:
    call()
    print("returned")
except KeyboardInterrupt as exc:
    print(type(exc).__name__, getattr(exc, "signum", None))
after = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
print("put back" if after == before else "changed")
print("files", sorted(os.listdir(OUT)))
"""


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("signals_25_api_calls")
    return noise_clips(root / "src", n=2, frames=8000, folders=1, seed=25)


@pytest.mark.parametrize("kind", ["process_one", "iter_info"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_call_and_leaves_nothing(
    src: Path, tmp_path: Path, kind: str, signum: int
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, src, out, kind, str(int(signum))],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    assert done.stdout.splitlines() == [
        f"Interrupted {int(signum)}",
        "put back",
        "files []",  # no array, no temporary file
    ]
    assert done.stderr == ""
