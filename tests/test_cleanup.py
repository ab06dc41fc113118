"""A file melcli cannot delete while cleaning up is one line naming it."""

from __future__ import annotations

import errno
import pathlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import segment, write
from melcli.cli import cli

# -----------------------------------------------------------------------------
# A file melcli cannot delete while cleaning up (a folder of OUT made
# read-only) is one line naming it; the batch goes on, and a file's own failure
# keeps its own reason.


real_unlink = pathlib.Path.unlink


@pytest.fixture
def undeletable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make deleting melcli's staging and segment files fail (as root, chmod
    does not stop unlink, so the refusal is simulated)."""
    refused: list[str] = []

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name.startswith(".stage-") or (
            self.suffix == ".npy" and self.name[:1] == "a"
        ):
            refused.append(str(self))
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_unlink(self, missing_ok)

    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    monkeypatch.setattr(write, "_unlink", unlink)  # OUT's files: by descriptor
    return refused


def tones(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    t = np.arange(22050 * 3) / 22050
    paths = []
    for i in range(n):
        path = folder / f"a{i}.wav"
        sf.write(path, 0.5 * np.sin(2 * np.pi * 440 * (i + 1) * t), 22050)
        paths.append(path)
    return paths


def test_webdataset_staging_files_that_cannot_be_deleted(
    tmp_path: Path, undeletable: list[str]
) -> None:
    tones(tmp_path / "audio", 2)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["mel", str(tmp_path / "audio"), "-o", str(out), "-j", "1",
         "--format", "webdataset", "--segment", "1"],
    )  # fmt: skip

    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert undeletable
    warned = [line for line in result.stderr.splitlines() if "cannot delete" in line]
    assert warned, result.stderr
    for line in warned:
        assert line.startswith(f"warning: {tmp_path / 'audio'}/a"), line
        assert line.endswith(": permission denied"), line
        assert "/.stage-" in line, line
    assert result.stderr.splitlines()[-1] == "2 written."
    assert list(out.glob("shard-*.tar"))


def test_a_failed_segment_file_keeps_its_own_reason(
    tmp_path: Path, undeletable: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Segments written before a failure are removed; one that cannot be must
    not replace the failure's reason, nor stop the batch."""
    (src,) = tones(tmp_path / "audio", 1)
    real_save = segment.save_npy
    calls = []

    def save_npy(path: Path, array: np.ndarray) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(path, array)

    monkeypatch.setattr(segment, "save_npy", save_npy)

    result = CliRunner().invoke(
        cli,
        ["mel", str(src), "-o", str(tmp_path / "out"), "-j", "1",
         "--segment", "1", "--segment-layout", "files"],
    )  # fmt: skip

    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert f"error: {src}: cannot write output: no space left on device" in lines
    assert any(
        line.startswith(f"warning: {src}: cannot delete ")
        and line.endswith(": permission denied")
        for line in lines
    ), result.stderr


@pytest.fixture
def temp_undeletable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse to delete melcli's temporary files (a folder of OUT made read-only)."""

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith(".melcli-tmp"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_unlink(self, missing_ok)

    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    monkeypatch.setattr(write, "_unlink", unlink)  # OUT's files: by descriptor


def test_a_killed_runs_temp_file_that_cannot_be_deleted(
    tmp_path: Path, temp_undeletable: None
) -> None:
    """The next run sweeps a killed run's temp files: one it cannot delete is a
    warning at the end, not a Python warning or a traceback."""
    tones(tmp_path / "audio", 1)
    out = tmp_path / "out"
    first = CliRunner().invoke(cli, ["mel", str(tmp_path / "audio"), "-o", str(out)])
    assert first.exit_code == 0, first.stderr  # a Result is always true
    (out / ".melcli-journal.jsonl").write_text("")  # as a killed run leaves it
    leftover = out / ".a0.npy.k1ll3d00.melcli-tmp"
    leftover.write_bytes(b"\x93NUMPY half an array")

    result = CliRunner().invoke(cli, ["mel", str(tmp_path / "audio"), "-o", str(out)])

    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "UserWarning" not in result.stderr
    assert (
        f"warning: cannot delete {leftover}: permission denied"
        in result.stderr.splitlines()
    ), result.stderr
    assert result.stderr.splitlines()[-1] == "0 written, 1 up to date."


def test_a_gallery_temp_file_that_cannot_be_deleted(
    tmp_path: Path, temp_undeletable: None
) -> None:
    tones(tmp_path / "audio", 1)
    out = tmp_path / "out"
    first = CliRunner().invoke(cli, ["mel", str(tmp_path / "audio"), "-o", str(out)])
    assert first.exit_code == 0, first.stderr  # a Result is always true
    leftover = out / "gallery" / ".index.html.k1ll3d00.melcli-tmp"
    leftover.parent.mkdir()
    leftover.write_text("half a page")

    result = CliRunner().invoke(cli, ["gallery", str(out)])

    assert result.exit_code == 0, result.stderr
    assert "UserWarning" not in result.stderr
    assert any(
        line.endswith(f"cannot delete {leftover}: permission denied")
        for line in result.stderr.splitlines()
    ), result.stderr
