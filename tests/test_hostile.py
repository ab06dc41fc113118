"""Hostile inputs and faults: every file ends in one state, nothing is lost.

The corpus (``hostile_corpus.py``) is generated at test time and run through
the real ``melcli`` command, in one batch with good files. For every case the
state, the one-line message, the manifest and the absence of partial output
are checked; the good files must come out byte-identical to a run of their
own. Fault tests (a worker killed mid-file, a decoder that hangs, a full disk,
an output folder that cannot be written) drive real subprocesses.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RUN_LIMIT, clean_env
from hostile_corpus import (
    SR,
    Case,
    audio_bytes,
    corpus,
    ffmpeg_available,
    make_m4a,
    tone,
)

from melcli import discover
from melcli.discover import ignores_case, plan
from melcli.report import display_path
from melcli.write import TEMP_SUFFIX, temp_prefix

#: The checkout whose melcli is under test.
CHECKOUT = Path(discover.__file__).parents[1]

BOOKKEEPING = {"manifest.jsonl", ".melcli.lock", ".melcli-manifest.db"}


# ------------------------------------------------------------------ helpers
def melcli_command() -> list[str]:
    script = Path(sys.executable).with_name("melcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()

    def manifest(self) -> dict[str, dict[str, object]]:
        """Manifest entries by source path relative to SRC (or as given)."""
        entries = {}
        for line in (self.out / "manifest.jsonl").read_text().splitlines():
            entry = json.loads(line)
            entries[str(entry.get("source") or entry["source_path"])] = entry
        return entries


def melcli(
    *args: object,
    out: Path,
    env: dict[str, str] | None = None,
    user: str | None = None,
    timeout: float = RUN_LIMIT,
) -> Run:
    command = [*melcli_command(), *(os.fsdecode(a) for a in args)]
    if user is not None:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is needed to drop root's privileges")
        drop = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups"]
        check = subprocess.run(
            [*drop, sys.executable, "-c", "import melcli"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            pytest.skip(f"{user} cannot run this Python: {check.stderr.strip()}")
        command = [*drop, *command]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env or clean_env(),
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


def outputs_of(out: Path) -> set[str]:
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.name not in BOOKKEEPING
    }


def assert_clean(out: Path) -> None:
    """No temp file, every array finite, nothing outside OUT (symlinks included)."""
    out_real = os.path.realpath(out)
    for path in out.rglob("*"):
        assert not path.name.endswith(TEMP_SUFFIX), f"leftover temp file {path}"
        assert os.path.realpath(path).startswith(out_real + os.sep)
        if path.suffix == ".npy":
            array = np.load(path)
            assert np.isfinite(array).all(), f"non-finite values in {path}"


def good_files(root: Path) -> list[str]:
    """Ordinary files that go in the same batch as the corpus."""
    rng = np.random.default_rng(5)
    sf.write(root / "good_tone.wav", tone(1.0), SR)
    sf.write(root / "good_noise.flac", (rng.random(SR) - 0.5).astype(np.float32), SR)
    sf.write(root / "good_stereo.wav", tone(0.7, sr=44100, channels=2), 44100)
    return ["good_tone.wav", "good_noise.flac", "good_stereo.wav"]


def error_line(run: Run, src: Path, reason_pattern: str) -> str:
    prefix = f"error: {display_path(src)}: "
    lines = [line for line in run.lines if line.startswith(prefix)]
    assert len(lines) == 1, f"expected one error line for {src}:\n{run.stderr}"
    reason = lines[0][len(prefix) :]
    assert reason.strip(), "empty reason"
    assert re.search(reason_pattern, reason), reason
    return reason


# ------------------------------------------------------------- the corpus
CASES = [c for c in corpus() if not c.needs or shutil.which(c.needs)]


@dataclass
class Batch:
    src: Path
    run: Run
    alone: Run
    goods: list[str]
    manifest: dict[str, dict[str, object]]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    root = tmp_path_factory.mktemp("hostile")
    src = root / "src"
    src.mkdir()
    for case in CASES:
        path = src / case.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        case.make(path)
    goods = good_files(src)
    run = melcli("mel", src, "-o", root / "out", "-j", "2", out=root / "out")
    # The same good files, alone, in this process (-j 1).
    alone_src = root / "alone"
    alone_src.mkdir()
    for name in goods:
        shutil.copy2(src / name, alone_src / name)
    alone = melcli(
        "mel", alone_src, "-o", root / "alone_out", "-j", "1", out=root / "alone_out"
    )
    assert alone.code == 0, alone.stderr
    return Batch(src, run, alone, goods, run.manifest())


@pytest.mark.parametrize("case", CASES, ids=[c.rel for c in CASES])
@pytest.mark.slow
def test_each_case_ends_in_its_state_with_its_message(batch: Batch, case: Case) -> None:
    entry = batch.manifest.get(case.rel) or batch.manifest.get(
        str(batch.src / case.rel)
    )
    assert entry is not None, f"{case.rel} is not in the manifest"
    assert entry["status"] == case.state, entry
    path = batch.src / case.rel
    out = batch.run.out
    npy = out / Path(case.rel).with_suffix(".npy")
    if case.state == "failed":
        reason = error_line(batch.run, path, case.message)
        assert entry["error"] == reason
        assert not npy.exists(), "a failed file left an output"
    elif case.state == "skipped":
        assert re.search(case.message, str(entry["error"])), entry
        assert not npy.exists()
    else:
        assert entry["error"] == ""
        assert npy.exists()
        array = np.load(npy)
        assert array.ndim == 2
        assert array.shape[0] == 128
        assert np.isfinite(array).all()
        warnings = [str(w) for w in entry.get("warnings", [])]  # type: ignore[union-attr]
        if case.warning:
            assert any(re.search(case.warning, w) for w in warnings), warnings
            assert any(
                line.startswith(f"warning: {display_path(path)}: ")
                for line in batch.run.lines
            )
    for key, value in (case.manifest or {}).items():
        assert entry.get(key) == value, (key, entry)


def test_good_files_in_the_batch_equal_a_run_of_their_own(batch: Batch) -> None:
    for name in batch.goods:
        npy = Path(name).with_suffix(".npy")
        assert (batch.run.out / npy).read_bytes() == (
            batch.alone.out / npy
        ).read_bytes()
        assert batch.manifest[name]["status"] == "written"
        assert batch.manifest[name]["silent"] is False


def test_summary_exit_code_and_manifest_count_every_file(batch: Batch) -> None:
    states = [str(e["status"]) for e in batch.manifest.values()]
    want = {
        s: sum(1 for c in CASES if c.state == s)
        for s in ("written", "failed", "skipped")
    }
    want["written"] += len(batch.goods)
    assert {s: states.count(s) for s in want} == want
    assert len(states) == len(CASES) + len(batch.goods)
    assert batch.run.code == 1
    written, skipped, failed = want["written"], want["skipped"], want["failed"]
    assert (
        batch.run.lines[-1] == f"{written} written, {skipped} skipped, {failed} failed."
    )
    # One line per failure, nothing else printed that is not a known kind.
    for line in batch.run.lines[:-1]:
        assert line.startswith(("error: ", "warning: ")), line
    assert sum(line.startswith("error: ") for line in batch.run.lines) == want["failed"]


def test_no_partial_output_and_nothing_non_finite_or_outside_out(batch: Batch) -> None:
    assert_clean(batch.run.out)
    written = {
        Path(k).with_suffix(".npy").as_posix()
        for k, e in batch.manifest.items()
        if e["status"] == "written"
    }
    assert outputs_of(batch.run.out) == written


# ------------------------------------------------------- policies by option
def test_truncated_keep_writes_what_decoded_with_a_warning(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    y = tone(3.0)
    full = audio_bytes(y, subtype="PCM_16")
    (src / "cut.wav").write_bytes(full[: 44 + (len(full) - 44) // 2])
    run = melcli(
        "mel", src, "-o", tmp_path / "out", "--truncated", "keep", out=tmp_path / "out"
    )
    assert run.code == 0, run.stderr
    assert "warning: " in run.stderr
    assert "truncated: decoded 1.50 s of 3.00 s; kept what was decoded" in run.stderr
    kept = np.load(tmp_path / "out" / "cut.npy")
    assert kept.shape[1] == 1 + (len(y) // 2) // 512


@pytest.mark.slow
def test_non_finite_zero_repairs_and_says_how_many(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    y = tone(0.5)
    bad = y.copy()
    bad[:3] = [np.nan, np.inf, -np.inf]
    sf.write(src / "bad.wav", bad, SR, subtype="FLOAT")
    repaired = y.copy()
    repaired[:3] = 0
    sf.write(src / "fixed.wav", repaired, SR, subtype="FLOAT")
    run = melcli(
        "mel", src, "-o", tmp_path / "out", "--non-finite", "zero", out=tmp_path / "out"
    )
    assert run.code == 0, run.stderr
    assert "non-finite samples replaced by 0: 1 NaN, 2 Inf" in run.stderr
    out = tmp_path / "out"
    np.testing.assert_array_equal(np.load(out / "bad.npy"), np.load(out / "fixed.npy"))


@pytest.mark.slow
def test_m4a_without_ffmpeg_says_what_to_install(tmp_path: Path) -> None:
    if not ffmpeg_available():
        pytest.skip("ffmpeg is needed to make the MP4 file")
    src = tmp_path / "src"
    src.mkdir()
    make_m4a(src / "a.m4a")
    sf.write(src / "b.wav", tone(), SR)
    bare = tmp_path / "bin"
    bare.mkdir()  # a PATH without ffmpeg
    run = melcli(
        "mel",
        src,
        "-o",
        tmp_path / "out",
        out=tmp_path / "out",
        env=clean_env(PATH=str(bare)),
    )
    assert run.code == 1
    error_line(
        run,
        src / "a.m4a",
        r"^MP4/AAC audio needs ffmpeg, which is not installed \(install it",
    )
    assert (tmp_path / "out" / "b.npy").exists()


# ------------------------------------------------------------- file system
AWKWARD = [
    "with space.wav",
    'quote\'s "double".wav',
    "$(touch pwned).wav",
    "glob[*]?.wav",
    "-leading-dash.wav",
    "ünïcødé 日本語.wav",
    "rtl\u202eevil.wav",
    "zero\u200bwidth.wav",
    "x" * 251 + ".wav",  # 255 bytes: the .npy name is 255 bytes too
]


@pytest.mark.slow
def test_awkward_names_are_written_and_errors_escaped(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in AWKWARD:
        sf.write(src / name, tone(0.3), SR)
    raw = os.fsencode(src) + b"/bad\xff\xfe.wav"
    with open(raw, "wb") as f:
        f.write(audio_bytes(tone(0.3)))
    forged = src / "empty\nerror: forged line\u202e.wav"
    forged.write_bytes(b"")
    run = melcli("mel", src, "-o", tmp_path / "out", "-j", "2", out=tmp_path / "out")
    assert run.code == 1
    out = tmp_path / "out"
    for name in AWKWARD:
        assert (out / Path(name).with_suffix(".npy")).exists(), name
    assert os.path.exists(os.fsencode(out) + b"/bad\xff\xfe.npy")
    errors = [line for line in run.lines if line.startswith("error: ")]
    assert errors == [
        f"error: {src}/empty\\nerror: forged line\\u202e.wav: empty file (0 bytes)"
    ]
    assert not any(line.startswith("error: forged") for line in run.lines)
    assert_clean(out)


@pytest.mark.slow
def test_a_path_longer_than_path_max_is_reported_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "ok.wav", tone(0.3), SR)
    # 21 folders of 200 bytes: deeper than any path the kernel takes (4096).
    fd = os.open(src, os.O_RDONLY)
    try:
        for _ in range(21):
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("deep.wav", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    out = tmp_path / "out"
    run = melcli("mel", src, "-o", out, out=out)
    assert run.code == 1, run.stderr
    errors = [line for line in run.lines if line.startswith("error: ")]
    assert len(errors) == 1, run.stderr
    assert errors[0].startswith(f"error: {src}/{'d' * 200}/")
    assert errors[0].endswith(": cannot stat: file name too long")
    assert run.lines[-1] == "1 written, 1 failed."
    assert outputs_of(out) == {"ok.npy"}


@pytest.mark.slow
def test_a_path_too_long_for_libsndfile_is_decoded(tmp_path: Path) -> None:
    """libsndfile takes paths up to 1 KB; the kernel, 4 KB."""
    src = tmp_path / "src"
    deep = src.joinpath(*["d" * 200] * 10)
    deep.mkdir(parents=True)
    data = audio_bytes(tone(0.5))
    (deep / "deep.wav").write_bytes(data)
    (src / "short.wav").write_bytes(data)
    out = tmp_path / "out"
    run = melcli("mel", src, "-o", out, out=out)
    assert run.code == 0, run.stderr
    rel = deep.relative_to(src) / "deep.npy"
    assert (out / rel).read_bytes() == (out / "short.npy").read_bytes()


def test_links_that_lead_to_each_other_are_a_loop(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.wav").symlink_to(src / "b.wav")
    (src / "b.wav").symlink_to(src / "a.wav")
    found = plan([src], tmp_path / "out")
    assert [(s.path.name, s.reason) for s in found.skipped] == [
        ("a.wav", "symlink loop"),
        ("b.wav", "symlink loop"),
    ]


def test_temp_names_of_a_255_byte_output_fit() -> None:
    name = "é" * 125 + ".npy"  # 254 bytes
    prefix = temp_prefix(Path(name))
    assert len(os.fsencode(prefix)) + 8 + len(TEMP_SUFFIX) <= 255
    prefix.encode("utf-8")  # cut on a character boundary


def test_symlinks_outside_src_are_followed_and_outputs_stay_in_out(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "deep").mkdir(parents=True)
    sf.write(elsewhere / "outside.wav", tone(0.3), SR)
    sf.write(elsewhere / "deep" / "inner.wav", tone(0.3), SR)
    src = tmp_path / "src"
    src.mkdir()
    (src / "link.wav").symlink_to(elsewhere / "outside.wav")
    (src / "folder").symlink_to(elsewhere)
    run = melcli("mel", src, "-o", tmp_path / "out", out=tmp_path / "out")
    assert run.code == 0, run.stderr
    assert outputs_of(tmp_path / "out") == {
        "link.npy",
        "folder/outside.npy",
        "folder/deep/inner.npy",
    }
    assert sorted(p.name for p in elsewhere.rglob("*")) == [
        "deep",
        "inner.wav",
        "outside.wav",
    ]
    assert_clean(tmp_path / "out")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="melcli-hostile-"))
    path.chmod(0o755)
    yield path
    for p in path.rglob("*"):
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(path)


@pytest.mark.slow
def test_unreadable_file_and_folder_are_reported_as_nobody(shared_tmp: Path) -> None:
    src = shared_tmp / "src"
    (src / "locked").mkdir(parents=True)
    sf.write(src / "ok.wav", tone(0.3), SR)
    sf.write(src / "secret.wav", tone(0.3), SR)
    sf.write(src / "locked" / "inside.wav", tone(0.3), SR)
    (src / "secret.wav").chmod(0)
    (src / "locked").chmod(0)
    out = shared_tmp / "out"
    out.mkdir()
    out.chmod(0o777)
    run = melcli("mel", src, "-o", out, user="nobody", out=out)
    assert run.code == 1, run.stderr
    error_line(run, src / "secret.wav", r"^permission denied$")
    error_line(run, src / "locked", r"^cannot read folder: permission denied$")
    assert outputs_of(out) == {"ok.npy"}
    assert run.lines[-1] == "1 written, 2 failed."


# ------------------------------------------------------------------ faults
#: Loaded into every Python process of the run under test (parent, fork
#: server, workers) through PYTHONPATH: files named hang* block forever with
#: SIGTERM and SIGINT blocked (as a decoder stuck in C code would), files named
#: oom* start writing their output and then SIGKILL their own process.
FAULT_HOOKS = """
import os, signal, time
from pathlib import Path
import soundfile
import melcli.pipeline
import melcli.write

_open = soundfile.SoundFile.__init__

def _hooked_open(self, file, *args, **kwargs):
    name = os.path.basename(os.fsdecode(file)) if isinstance(file, (str, bytes)) else ""
    if name.startswith("hang"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        while True:
            time.sleep(3600)
    return _open(self, file, *args, **kwargs)

soundfile.SoundFile.__init__ = _hooked_open
_save = melcli.write.save_npy

def _hooked_save(path, array):
    if os.path.basename(path).startswith("oom"):
        def half_then_die(f):
            f.write(b"\\x93NUMPY" + bytes(1000))
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        melcli.write.atomic_write(Path(path), half_then_die)
    return _save(path, array)

melcli.write.save_npy = melcli.pipeline.save_npy = _hooked_save
"""


@pytest.fixture
def faulty(tmp_path: Path) -> tuple[Path, dict[str, str], list[str]]:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(FAULT_HOOKS)
    src = tmp_path / "src"
    src.mkdir()
    goods = good_files(src)
    sf.write(src / "hang.wav", tone(0.3), SR)
    sf.write(src / "oom.wav", tone(0.3), SR)
    # The hooks, then the melcli under test (not whichever one is installed).
    env = clean_env(PYTHONPATH=os.pathsep.join([str(hooks), str(CHECKOUT)]))
    return src, env, goods


@pytest.mark.parametrize("jobs", ["2", "1"])
@pytest.mark.slow
def test_a_hang_times_out_and_a_killed_worker_fails_only_its_file(
    faulty: tuple[Path, dict[str, str], list[str]], tmp_path: Path, jobs: str
) -> None:
    src, env, goods = faulty
    out = tmp_path / "out"
    run = melcli(
        "mel",
        src,
        "-o",
        out,
        "-j",
        jobs,
        "--timeout",
        "4",
        env=env,
        out=out,
        timeout=RUN_LIMIT,
    )
    assert run.code == 1, run.stderr
    error_line(run, src / "hang.wav", r"^timed out after 4 s \(--timeout\)")
    error_line(
        run, src / "oom.wav", r"^worker process died \(killed by SIGKILL: out of memory"
    )
    assert run.lines[-1] == f"{len(goods)} written, 2 failed."
    assert outputs_of(out) == {Path(g).with_suffix(".npy").as_posix() for g in goods}
    assert_clean(out)
    manifest = run.manifest()
    assert manifest["hang.wav"]["status"] == manifest["oom.wav"]["status"] == "failed"
    # The good files are exactly what a run without the faulty ones writes.
    for name in ("hang.wav", "oom.wav"):
        (src / name).unlink()
    alone = melcli(
        "mel", src, "-o", tmp_path / "alone", "-j", "1", out=tmp_path / "alone"
    )
    assert alone.code == 0, alone.stderr
    for good in goods:
        npy = Path(good).with_suffix(".npy")
        assert (out / npy).read_bytes() == (tmp_path / "alone" / npy).read_bytes()


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.fixture
def hanging_ffprobe(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A PATH whose ffprobe never answers; the file its pid is written to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "ffprobe.pid"
    hanging = bin_dir / "ffprobe"
    hanging.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    hanging.chmod(0o755)
    yield f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", pid_file
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_ffprobe_that_hangs_is_stopped_after_its_timeout(
    hanging_ffprobe: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from melcli import ffmpeg
    from melcli.errors import AudioError

    path, pid_file = hanging_ffprobe
    monkeypatch.setenv("PATH", path)
    m4a = tmp_path / "a.m4a"
    m4a.write_bytes(b"\0\0\0\x20ftypM4A " + bytes(2000))
    with pytest.raises(AudioError, match=r"^ffprobe did not finish within 0\.5 s$"):
        ffmpeg.probe(m4a, timeout=0.5)
    assert not _running(int(pid_file.read_text()))


@pytest.mark.slow
def test_a_timeout_also_stops_the_program_the_worker_runs(
    hanging_ffprobe: tuple[str, Path], tmp_path: Path
) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to see the processes")
    path, pid_file = hanging_ffprobe
    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "good.wav", tone(0.3), SR)
    (src / "a.m4a").write_bytes(b"\0\0\0\x20ftypM4A " + bytes(2000))  # MP4 by content
    out = tmp_path / "out"
    run = melcli(
        "mel", src, "-o", out, "--timeout", "2", env=clean_env(PATH=path), out=out
    )
    assert run.code == 1, run.stderr
    error_line(run, src / "a.m4a", r"^timed out after 2 s \(--timeout\)")
    pid = int(pid_file.read_text())
    assert not _running(pid), "ffprobe outlived the worker that ran it"
    assert outputs_of(out) == {"good.npy"}


def _mount_tmpfs(path: Path, size: str) -> bool:
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


@pytest.mark.slow
def test_disk_full_fails_files_cleanly_and_ends_with_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if not _mount_tmpfs(out, "160k"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
    try:
        src = tmp_path / "src"
        src.mkdir()
        for i in range(6):  # each array is 128 x 216 x 4 bytes = 110 KB
            sf.write(src / f"f{i}.wav", tone(5.0), SR)
        run = melcli("mel", src, "-o", out, "-j", "2", out=out)
        assert run.code == 1, run.stderr
        assert "Traceback" not in run.stderr
        errors = [line for line in run.lines if line.startswith(f"error: {src}/")]
        assert errors
        for line in errors:
            assert line.endswith(": cannot write output: no space left on device"), line
        # Two workers write at once: the disk may also be full at the moment the
        # manifest is written, which is then the run's one other error line.
        others = [
            line
            for line in run.lines
            if line.startswith("error: ") and not line.startswith(f"error: {src}/")
        ]
        manifest_full = (
            f"error: cannot write {out}/manifest.jsonl: no space left on device"
        )
        # (with what the run wrote kept in the journal, said after it)
        assert len(others) <= 1, others
        assert all(line.startswith(manifest_full) for line in others), others
        assert re.fullmatch(r"\d written, \d failed\.", run.lines[-1]), run.lines[-1]
        for npy in out.glob("*.npy"):
            assert np.load(npy).shape == (128, 216)  # complete, never truncated
        assert not [p for p in out.iterdir() if p.name.endswith(TEMP_SUFFIX)]
    finally:
        subprocess.run(["umount", str(out)], check=False)


@pytest.mark.slow
def test_manifest_on_a_full_disk_is_one_line_and_the_next_run_recovers(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # Room for one array (110 KB) and nothing after it: neither the journal
    # nor the manifest can be written.
    if not _mount_tmpfs(out, "116k"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
    try:
        src = tmp_path / "src"
        src.mkdir()
        for i in range(3):
            sf.write(src / f"f{i}.wav", tone(5.0), SR)
        run = melcli("mel", src, "-o", out, "-j", "1", out=out)
        assert run.code == 1, run.stderr
        assert "Traceback" not in run.stderr
        assert run.lines[-1] == "1 written, 2 failed."
        assert (
            f"error: cannot write {out}/manifest.jsonl: no space left on device"
            in run.lines
        )
        assert (
            f"warning: cannot write {out}/.melcli-journal.jsonl: no space left on "
            "device; if this run is killed, the next one rebuilds what it wrote"
        ) in run.lines
        for npy in out.glob("*.npy"):
            assert np.load(npy).shape == (128, 216)
        assert not [p for p in out.iterdir() if p.name.endswith(TEMP_SUFFIX)]
    finally:
        subprocess.run(["umount", str(out)], check=False)
    # With room again, the next run finishes what this one could not record.
    again = melcli("mel", src, "-o", out, "-j", "1", out=out)
    assert again.code == 0, again.stderr
    assert again.lines[-1] == "3 written."
    assert sorted(p.name for p in out.glob("*.npy")) == ["f0.npy", "f1.npy", "f2.npy"]


def test_output_folder_not_writable_is_a_clear_error(shared_tmp: Path) -> None:
    src = shared_tmp / "src"
    src.mkdir()
    sf.write(src / "a.wav", tone(0.3), SR)
    out = shared_tmp / "out"
    out.mkdir()  # owned by root, 755: nobody cannot write in it
    run = melcli("mel", src, "-o", out, user="nobody", out=out)
    assert run.code == 2, run.stderr
    assert run.lines == [f"Error: cannot write to {out}: permission denied"]
    assert list(out.iterdir()) == []


def test_case_insensitive_out_fails_both_inputs_naming_each_other(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.wav", "A.wav", "b.wav"):
        sf.write(src / name, tone(0.2), SR)
    assert not ignores_case(tmp_path)  # this file system tells a from A
    assert [j.src.name for j in plan([src], tmp_path / "out").jobs] == [
        "A.wav",
        "a.wav",
        "b.wav",
    ]
    folded = plan([src], tmp_path / "out", fold_case=True)
    assert [j.src.name for j in folded.jobs] == ["b.wav"]
    reasons = {p.path.name: p.reason for p in folded.problems}
    assert "would also be written by" in reasons["a.wav"]
    assert str(src / "A.wav") in reasons["a.wav"]
    assert str(src / "a.wav") in reasons["A.wav"]
    assert "differ only by case" in reasons["a.wav"]


# ------------------------------------------------------- the streaming path
@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every file through the bounded-memory path (files > 1 s)."""
    from melcli import stream

    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)


@pytest.mark.usefixtures("streamed")
def test_streamed_files_get_the_same_policies(tmp_path: Path) -> None:
    from melcli import MelParams, Status
    from melcli.discover import Job
    from melcli.pipeline import process_one
    from melcli.report import Result

    y = tone(3.0)
    full = audio_bytes(y, subtype="PCM_16")
    (tmp_path / "cut.wav").write_bytes(full[: 44 + (len(full) - 44) // 2])
    nan = y.copy()
    nan[5000:5007] = np.nan
    sf.write(tmp_path / "nan.wav", nan, SR, subtype="FLOAT")
    sf.write(tmp_path / "silent.wav", np.zeros(3 * SR, np.float32), SR)

    def run(name: str, **settings: str) -> Result:
        job = Job(tmp_path / name, name, tmp_path / "out" / f"{name}.npy")
        result = process_one(job, params=MelParams(**settings).validate())
        assert "db_write" in result.timings or result.status is Status.FAILED
        return result

    cut = run("cut.wav")
    assert (cut.status, cut.reason) == (
        Status.FAILED,
        "truncated: decoded 1.50 s of 3.00 s",
    )
    kept = run("cut.wav", truncated="keep")
    assert kept.status is Status.WRITTEN
    assert kept.shape == (128, 1 + (len(y) // 2) // 512)
    nan_result = run("nan.wav")
    assert nan_result.reason == "non-finite samples: 7 NaN, 0 Inf"
    silent = run("silent.wav")
    assert silent.status is Status.WRITTEN
    assert silent.silent
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cut.wav.npy",
        "silent.wav.npy",
    ]


@pytest.mark.parametrize("streaming", [False, True], ids=["in_memory", "streamed"])
def test_overflow_fails_and_writes_nothing_on_either_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streaming: bool
) -> None:
    from melcli import MelParams, Status, stream
    from melcli.discover import Job
    from melcli.pipeline import process_one

    if streaming:
        monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    huge = tone(3.0) * np.float32(3e38)
    sf.write(tmp_path / "huge.wav", huge, SR, subtype="FLOAT")
    noise = np.random.default_rng(3).random(3 * SR).astype(np.float32) * 32 - 16
    sf.write(tmp_path / "loud.wav", noise, SR, subtype="FLOAT")
    out = tmp_path / "out"

    def run(name: str, params: MelParams) -> tuple[Status, str, tuple[str, ...]]:
        job = Job(tmp_path / name, name, out / f"{name}.npy")
        result = process_one(job, params=params.validate())
        return result.status, result.reason, result.warnings

    status, reason, warnings = run("huge.wav", MelParams())
    assert status is Status.FAILED
    assert re.fullmatch(
        r"sample values too large( \(peak 1\.5e\+38\))?: the power spectrogram "
        r"overflows",
        reason,
    )
    assert warnings == ()  # numpy's overflow warnings are the reason, in words
    # Power fits float32 but not float16 (largest 65504).
    power16 = MelParams(scale="none", norm=None, dtype="float16")
    status, reason, warnings = run("loud.wav", power16)
    assert (status, reason, warnings) == (
        Status.FAILED,
        "spectrogram values beyond the range of float16 (largest 65504; "
        "--dtype float16)",
        (),
    )
    assert run("loud.wav", MelParams(scale="none", norm=None))[0] is Status.WRITTEN
    assert sorted(p.name for p in out.iterdir()) == ["loud.wav.npy"]
    assert np.isfinite(np.load(out / "loud.wav.npy")).all()


def test_info_describes_m4a_through_ffprobe(tmp_path: Path) -> None:
    if not ffmpeg_available():
        pytest.skip("ffmpeg is needed to make and read the MP4 file")
    make_m4a(tmp_path / "a.m4a")
    run = melcli("info", tmp_path / "a.m4a", "--json", out=tmp_path)
    assert run.code == 0, run.stderr
    row = json.loads(run.stdout)
    assert (row["format"], row["subtype"], row["samplerate"]) == ("MP4", "AAC", SR)
    assert row["duration"] == pytest.approx(2.0, abs=0.05)


def test_samples_that_resampling_overflows_are_said_as_such(tmp_path: Path) -> None:
    # Finite float64 samples near float32's largest value: the resampler's
    # output is not finite, and the reason said "(peak nan)" (found by redteam3).
    from melcli import MelParams, Status
    from melcli.discover import Job
    from melcli.pipeline import process_one

    y = np.sin(np.arange(8000) / 5) * 3e38
    sf.write(tmp_path / "near_max.wav", y, 8000, subtype="DOUBLE")
    job = Job(tmp_path / "near_max.wav", "near_max.wav", tmp_path / "out.npy")
    result = process_one(job, params=MelParams().validate())
    assert result.status is Status.FAILED
    assert result.reason == ("sample values too large: resampling overflows float32"), (
        result.reason
    )
    assert not (tmp_path / "out.npy").exists()


def test_float64_samples_beyond_float32_are_not_only_called_inf(tmp_path: Path) -> None:
    # Read as float32, finite doubles of 1e300 are Inf: "0 NaN, 4000 Inf" alone
    # said the file held Inf (found by redteam3).
    from melcli import MelParams, Status
    from melcli.discover import Job
    from melcli.pipeline import process_one

    sf.write(tmp_path / "huge.wav", np.full(4000, 1e300), 8000, subtype="DOUBLE")
    job = Job(tmp_path / "huge.wav", "huge.wav", tmp_path / "out.npy")
    result = process_one(job, params=MelParams().validate())
    assert (result.status, result.reason) == (
        Status.FAILED,
        "non-finite samples: 0 NaN, 4000 Inf (or float64 values beyond float32's "
        "range, ±3.4e38)",
    )
