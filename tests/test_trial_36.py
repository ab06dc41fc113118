"""Newcomer trial 36: what a fresh clone's user met, each found by running it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
from conftest import RUN_LIMIT, clean_env, tone

from melcli.cli import cli
from melcli.presets import PRESETS


class _Writes(io.RawIOBase):
    """A stdout that keeps each write the process would make, apart."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.writes.append(bytes(b))
        return len(b)


def _stdout_writes(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[bytes]:
    """Run ``melcli ARGS`` here; return the writes its stdout received."""
    raw = _Writes()
    stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    code: int | str | None = 0
    try:
        cli.main(list(args), prog_name="melcli", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    assert not code, code
    stdout.flush()
    return raw.writes


# ---------------------------------------------------------- output written whole
# README: "An output short enough to be written whole before the reader closes
# (`melcli presets --all | head -1`) ends with 0, as `seq 3 | head -1` does".
# It ended 141 (5 runs of 5 on a loaded 2-core machine): click.echo writes and
# flushes each line, and head had exited after the first.


def test_presets_all_is_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _stdout_writes(monkeypatch, "presets", "--all")
    assert len(writes) == 1
    text = writes[0].decode()
    assert [ln.split(":")[0] for ln in text.splitlines() if ln and ln[0] != " "] == [
        *PRESETS
    ]


@pytest.mark.parametrize("extra", [(), ("--json",), ("whisper", "clap")])
def test_presets_listings_are_one_write(
    monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...]
) -> None:
    writes = _stdout_writes(monkeypatch, "presets", *extra)
    assert len(writes) == 1
    names = extra if extra and extra[0] != "--json" else tuple(PRESETS)
    for name in names:
        assert name in writes[0].decode()


def test_info_table_is_one_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    names = ["a.wav", "b.wav", "c.wav"]
    for name in names:
        sf.write(tmp_path / name, tone(seconds=0.2), 22050)
    writes = _stdout_writes(monkeypatch, "info", str(tmp_path))
    assert len(writes) == 1
    rows = writes[0].decode().splitlines()
    assert rows[0].split()[0] == "path"
    assert [Path(r.split()[0]).name for r in rows[1:]] == names


def test_print_config_is_one_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml of the repository's
    writes = _stdout_writes(
        monkeypatch,
        "mel",
        str(tmp_path),
        "-o",
        "out",
        "--n-mels",
        "64",
        "--print-config",
    )
    assert len(writes) == 1
    lines = writes[0].decode().splitlines()
    assert lines[0] == "[tool.melcli]"
    assert "n_mels = 64  # command line" in lines


def test_presets_all_piped_to_head_ends_0(tmp_path: Path) -> None:
    """As ``melcli presets --all | head -1``: read one line, close the pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "melcli", "presets", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    with proc.stderr:
        stderr = proc.stderr.read()
    assert proc.wait(timeout=RUN_LIMIT) == 0, stderr
    assert first.decode().startswith(f"{next(iter(PRESETS))}: ")
