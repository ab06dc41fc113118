"""The fork server ``melcli mel`` forks as it starts (melcli._zygote).

(And the settings warnings told without numpy, which it relies on.)

Where workers were forked from the run's own process (Linux, Python 3.11),
that process imported numpy and the pipeline itself before the first worker
started, on one core while the other idled. The server does it on the other
core while the run plans; the run itself then never imports numpy. It must
leave nothing behind: no process, no socket, whether the run ends, is
stopped by Ctrl-C or is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RUN_LIMIT, STOP_LIMIT, children, clean_env, short_tones, wait_for

from melcli import _zygote, transform
from melcli.melscale import no_empty_filter
from melcli.params import MelParams
from melcli.presets import PRESETS

needs_server = pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.version_info >= (3, 12),
    reason="the early server replaces forked workers: Linux, Python 3.11",
)


def _env(tmp: Path) -> dict[str, str]:
    return clean_env(TMPDIR=str(tmp))  # where the server's socket folder goes


def _sockets(tmp: Path) -> list[Path]:
    return list(tmp.glob("melcli-server-*"))


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # ended, not yet reaped (by init)


# ------------------------------------------------------------- the guess
@needs_server
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["mel", "a", "-o", "{out}", "-j", "2"], True),
        (["mel", "a", "--out={out}", "--jobs=4"], True),
        (["mel", "a", "-o{out}", "-j2"], True),
        (["mel", "a", "-o", "{out}", "-j", "1"], False),
        (["mel", "a", "-o", "{out}", "-j1"], False),
        (["mel", "a", "-o", "{out}", "-j", "2", "--dry-run"], False),
        (["mel", "a", "-o", "{out}", "-j", "2", "--help"], False),
        (["mel", "a", "-o", "{out}", "-j", "2", "--scheduler", "local"], False),
        (["mel", "a", "-j", "2"], False),  # no OUT given: an error, or a config's
        (["gallery", "{out}", "-j", "2"], False),
        (["stats", "{out}"], False),
    ],
)
def test_the_server_is_forked_only_for_a_pool_on_a_new_out(
    tmp_path: Path, argv: list[str], expected: bool
) -> None:
    words = [w.replace("{out}", str(tmp_path / "out")) for w in argv]
    assert _zygote.wanted(words) is expected


@needs_server
@pytest.mark.parametrize("kept", ["manifest.jsonl", ".melcli-manifest.db"])
def test_no_server_for_a_re_run(tmp_path: Path, kept: str) -> None:
    """A re-run with nothing to build must not pay for a server it never uses."""
    out = tmp_path / "out"
    out.mkdir()
    assert _zygote.wanted(["mel", "a", "-o", str(out), "-j", "2"])
    (out / kept).write_text("")
    assert not _zygote.wanted(["mel", "a", "-o", str(out), "-j", "2"])


# --------------------------------------------- settings warnings, no numpy
def _warns(params: MelParams, sr: float) -> bool:
    transform._mel_basis.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transform.mel_basis(sr, params=params)
    return any("Empty filters" in str(w.message) for w in caught)


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 44100])
@pytest.mark.parametrize("n_fft", [256, 400, 512, 2048])
@pytest.mark.parametrize("n_mels", [40, 64, 80, 128, 256])
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None])
def test_a_basis_said_full_without_numpy_has_no_empty_filter(
    sr: int, n_fft: int, n_mels: int, htk: bool, norm: str | None
) -> None:
    params = MelParams(sr=sr, n_fft=n_fft, n_mels=n_mels, htk=htk, norm=norm)
    if no_empty_filter(params, sr):
        assert not _warns(params, sr)


def test_the_usual_settings_are_told_full_without_numpy() -> None:
    """Else the run imports numpy to ask, and the server gains nothing."""
    assert no_empty_filter(MelParams(), 22050)
    for name, preset in PRESETS.items():
        params = preset.params()
        if params.kind == "mel" and params.sr is not None:
            assert no_empty_filter(params, params.sr), name


def test_too_many_mels_are_left_to_the_filterbank() -> None:
    params = MelParams(sr=8000, n_fft=256, n_mels=256)
    assert _warns(params, 8000)
    assert not no_empty_filter(params, 8000)


# -------------------------------------------------------------- the run
@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A folder with a short path, the runs' TMPDIR.

    A socket's path holds at most 107 bytes: under pytest's own folders (with
    xdist's ``popen-gwN``) the server's would not fit, and the run would go
    on without it, as it should.
    """
    folder = Path(tempfile.mkdtemp(prefix="melcli-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@needs_server
def test_the_run_itself_never_imports_numpy(short_tmp: Path) -> None:
    src = short_tones(short_tmp / "audio", n=6)
    out = short_tmp / "out"
    seen = short_tmp / "seen"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(seen)!r}, 'w').write("
        "str(sorted(m for m in ('numpy', 'soundfile', 'melcli.pipeline') "
        "if m in sys.modules))))\n"
        f"sys.argv = ['melcli', 'mel', {str(src)!r}, '-o', {str(out)!r}, '-j', '2']\n"
        "from melcli.__main__ import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(short_tmp),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "6 written" in done.stderr
    assert seen.read_text() == "[]"
    assert _sockets(short_tmp) == []


MEL = [sys.executable, "-m", "melcli", "mel"]
#: Settings that make each short file cost some CPU: the run lasts a while.
SLOW = ["--n-fft", "8192", "--hop-length", "16"]


def _started(short_tmp: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """Start ``melcli mel -j 2`` on slow files; return it and its server's pid."""
    src = short_tones(short_tmp / "audio", n=40)
    proc = subprocess.Popen(
        [*MEL, src, "-o", short_tmp / "out", "-j", "2", *SLOW],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(short_tmp),
        start_new_session=True,
    )
    try:
        # The socket is made before the fork: wait for the server itself too.
        wait_for(
            lambda: (
                (_sockets(short_tmp) and children(proc.pid)) or proc.poll() is not None
            ),
            timeout=STOP_LIMIT,
        )
        assert proc.poll() is None, "the run ended before its server was seen"
    except BaseException:
        with_group_killed(proc)
        raise
    return proc, children(proc.pid)


@needs_server
@pytest.mark.slow
def test_ctrl_c_as_the_server_starts_leaves_nothing(short_tmp: Path) -> None:
    proc, server = _started(short_tmp)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole group
        _, err = proc.communicate(timeout=STOP_LIMIT)
        assert proc.returncode == 128 + signal.SIGINT, err
        assert "Traceback" not in err, err
        wait_for(lambda: all(_gone(p) for p in server), timeout=STOP_LIMIT)
        assert _sockets(short_tmp) == []
    finally:
        with_group_killed(proc)


@needs_server
@pytest.mark.slow
def test_a_run_killed_with_sigkill_leaves_nothing(short_tmp: Path) -> None:
    proc, server = _started(short_tmp)
    try:
        assert server, "no server among the run's children"
        # Its workers, once it has some (children of the server).
        wait_for(
            lambda: any(children(p) for p in server) or proc.poll() is not None,
            timeout=STOP_LIMIT,
        )
        workers = [w for p in server for w in children(p)]
        proc.kill()
        proc.communicate(timeout=STOP_LIMIT)
        wait_for(lambda: all(_gone(p) for p in server + workers), timeout=STOP_LIMIT)
        wait_for(lambda: _sockets(short_tmp) == [], timeout=STOP_LIMIT)
    finally:
        with_group_killed(proc)


@needs_server
@pytest.mark.slow
def test_a_run_killed_with_its_whole_group_leaves_its_socket_to_the_next(
    short_tmp: Path,
) -> None:
    """SIGKILL to the group kills the server too: the next run's server tidies."""
    proc, server = _started(short_tmp)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=STOP_LIMIT)
        wait_for(lambda: all(_gone(p) for p in server), timeout=STOP_LIMIT)
        left = _sockets(short_tmp)
        assert len(left) == 1
        socket = left[0] / "server"
        assert socket.is_socket()
    finally:
        with_group_killed(proc)
    # Another user's, one of a run still going, a file that is not a socket:
    # left as they are.
    alive = (
        short_tmp / f"melcli-server-{os.getpid()}-{_zygote._start_time(os.getpid())}-x"
    )
    alive.mkdir()
    (alive / "server").touch()
    not_socket = short_tmp / "melcli-server-1-1-x"
    not_socket.mkdir()
    (not_socket / "server").write_text("kept")

    done = subprocess.run(
        [*MEL, short_tmp / "audio", "-o", short_tmp / "out2", "-j", "2"],
        env=_env(short_tmp),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not socket.exists()
    assert not socket.parent.exists()
    assert sorted(_sockets(short_tmp)) == sorted([alive, not_socket])
    assert (not_socket / "server").read_text() == "kept"


def with_group_killed(proc: subprocess.Popen[str]) -> None:
    """SIGKILL what is left of ``proc``'s group (a failed test's), and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=STOP_LIMIT)  # reaped, its pipes closed
