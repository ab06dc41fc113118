"""What the commands say: --dry-run --json, --fail-fast, warnings, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import WriteAudio, noise

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
