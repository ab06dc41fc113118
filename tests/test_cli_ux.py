"""What the commands say: --dry-run --json, --fail-fast, warnings, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import RUN_LIMIT, WriteAudio, noise

from melcli.cli import cli

pytestmark = pytest.mark.usefixtures("isolated")


def invoke(*args: object, env: dict[str, str] | None = None) -> Result:
    """Run ``melcli ARGS`` in process; unexpected exceptions propagate."""
    return CliRunner().invoke(
        cli, [str(a) for a in args], catch_exceptions=False, env=env
    )


@pytest.fixture
def mixed(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """Ten inputs in sorted order: a.wav, an empty b.wav, c.wav ... j.wav."""
    for i, name in enumerate("acdefghij"):
        write_audio(f"{name}.wav", noise(seconds=0.3, seed=i))
    (tmp_path / "audio" / "b.wav").write_bytes(b"")
    return tmp_path / "audio"


# ------------------------------------------------------------- 1 dry run json
def test_dry_run_json_is_the_plan_on_stdout(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("mel", mixed / "a.wav", "-o", out, "-j", "1").exit_code == 0
    (mixed / "c.flac").write_bytes((mixed / "c.wav").read_bytes())  # both c.npy
    result = invoke("mel", mixed, "-o", out, "--json", "--dry-run")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)  # and nothing else on stdout
    assert plan["dry_run"] is True
    assert plan["up_to_date"] == 1
    assert [Path(b["path"]).name for b in plan["build"]] == [
        f"{n}.wav" for n in "bdefghij"
    ]
    assert {b["reason"] for b in plan["build"]} == {"new"}
    assert sorted(Path(f["path"]).name for f in plan["failures"]) == [
        "c.flac",
        "c.wav",
    ]
    assert plan["stale"] == [] and plan["delete"] == []
    # The human lines are still there, on stderr.
    assert "would build" in result.stderr
    assert not (out / "d.npy").exists()


def test_dry_run_without_json_lists_on_stdout(mixed: Path, tmp_path: Path) -> None:
    result = invoke("mel", mixed, "-o", tmp_path / "out", "--dry-run")
    assert result.stdout.startswith("would build ")


# ------------------------------------------------------------- 2 fail fast
def test_fail_fast_says_it_stopped_and_what_was_not_tried(
    mixed: Path, tmp_path: Path
) -> None:
    result = invoke(
        "mel", mixed, "-o", tmp_path / "out", "--fail-fast", "-j", "1", "--json"
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["stopped_early"] is True
    assert summary["written"] == 1 and summary["failed"] == 1
    assert summary["not_tried"] == 8  # c.wav ... j.wav
    assert result.stderr.splitlines()[-1] == (
        "stopped at the first failure (--fail-fast): 1 written, 1 failed, "
        "8 not tried."
    )


def test_a_whole_run_is_not_stopped_early(mixed: Path, tmp_path: Path) -> None:
    result = invoke("mel", mixed, "-o", tmp_path / "out", "-j", "1", "--json")
    summary = json.loads(result.stdout)
    assert summary["stopped_early"] is False and summary["not_tried"] == 0
    assert result.stderr.splitlines()[-1] == "9 written, 1 failed."


# ------------------------------------------------------------- 3 closed pipe
def _melcli_with_closed_stdout(*args: object) -> subprocess.CompletedProcess[str]:
    """Run melcli as a process whose stdout's reader is already gone."""
    script = Path(sys.executable).with_name("melcli")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]
    read, write = os.pipe()
    os.close(read)  # every write to stdout fails with EPIPE
    try:
        return subprocess.run(
            [*command, *(str(a) for a in args)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=RUN_LIMIT,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "args",
    [
        ("presets",),
        ("presets", "--json"),
        ("info", "{audio}"),
        ("--version",),
        ("--help",),
        ("mel", "--help"),
    ],
)
def test_a_closed_stdout_ends_quietly_with_141(
    args: tuple[str, ...], mixed: Path
) -> None:
    done = _melcli_with_closed_stdout(*(a.format(audio=mixed) for a in args))
    assert done.returncode == 141
    assert done.stderr.count("error:") == (1 if "info" in args else 0)
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def test_mel_json_to_a_closed_stdout(mixed: Path, tmp_path: Path) -> None:
    done = _melcli_with_closed_stdout(
        "mel", mixed / "a.wav", "-o", tmp_path / "out", "--json", "-j", "1"
    )
    assert done.returncode == 141
    assert done.stderr.splitlines() == ["1 written."]
    assert (tmp_path / "out" / "a.npy").is_file()
