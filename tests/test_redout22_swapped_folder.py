"""A folder of OUT swapped for a link during a run takes nothing out of OUT.

A run checks, before it starts, that no folder of its outputs leads out of
OUT (a symbolic link). Its workers then wrote each output by path: a folder
swapped for a link to a folder outside OUT in between (a shared OUT, a CI
cache another job unpacks) had the worker write the array, its PNG, its
streamed scratch file there, and a prune delete a file there. Outputs are
now written, and deleted, relative to their folder's descriptor, opened
from OUT down without following a link out of it
(:func:`melcli.write.open_folder`): the file fails, saying why, and
nothing outside OUT changes.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import WriteAudio, mel, noise

from melcli import outdir, transform, write
from melcli.discover import Task, plan
from melcli.params import MelParams
from melcli.report import Status
from melcli.work import TaskWork

pytestmark = pytest.mark.usefixtures("isolated")


def swap_for_link(folder: Path, target: Path) -> None:
    """Move ``folder`` aside and put a link to ``target`` in its place."""
    shutil.move(folder, folder.with_name(folder.name + "-kept"))
    os.symlink(target, folder)


def swapping(monkeypatch: pytest.MonkeyPatch, folder: Path, target: Path) -> list[bool]:
    """Swap ``folder`` for a link to ``target`` as the run transforms its first file."""
    real = transform.features
    swapped: list[bool] = []

    def features(*args: Any, **kwargs: Any) -> np.ndarray:
        if not swapped:
            swap_for_link(folder, target)
            swapped.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(transform, "features", features)
    return swapped


def outside_files(outside: Path) -> list[str]:
    return sorted(p.name for p in outside.iterdir())


@pytest.mark.parametrize("options", [(), ("--png",)])
def test_a_rerun_writes_nothing_through_a_folder_swapped_for_a_link(
    write_audio: WriteAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: tuple[str, ...],
) -> None:
    write_audio("dogs/a.wav", noise(seconds=0.3))
    audio, out = tmp_path / "audio", tmp_path / "out"
    assert mel(audio, out, *options).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    write_audio("dogs/a.wav", noise(seconds=0.4, seed=1))  # changed: redone
    swapped = swapping(monkeypatch, out / "dogs", outside)

    result = mel(audio, out, *options)

    assert swapped
    assert outside_files(outside) == []
    assert result.exit_code == 1
    said = [line for line in result.stderr.splitlines() if "dogs/a.wav" in line]
    assert said, result.stderr
    assert "leads outside the output folder" in said[0]


def test_a_streamed_file_writes_no_scratch_file_through_a_swapped_folder(
    write_audio: WriteAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from melcli import stream

    write_audio("dogs/a.wav", noise(seconds=0.3))
    audio, out = tmp_path / "audio", tmp_path / "out"
    assert mel(audio, out).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    write_audio("dogs/a.wav", noise(seconds=2.0, seed=1))
    monkeypatch.setattr(stream, "STREAM_SECONDS", 0.5)  # this file is streamed
    real = stream._mel_power_to_file
    made: list[str] = []

    def power_to_file(path: Any, scratch: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(os.readlink(f"/proc/self/fd/{scratch.fileno()}"))
        return real(path, scratch, *args, **kwargs)

    monkeypatch.setattr(stream, "_mel_power_to_file", power_to_file)
    real_can = stream.can_stream

    def can_stream(params: MelParams) -> bool:
        if not (out / "dogs-kept").exists():
            swap_for_link(out / "dogs", outside)
        return real_can(params)

    monkeypatch.setattr(stream, "can_stream", can_stream)

    result = mel(audio, out)

    assert result.exit_code == 1
    assert "leads outside the output folder" in result.stderr
    assert made == []  # not even the scratch file: its folder was refused
    assert outside_files(outside) == []


def test_a_prune_deletes_nothing_through_a_folder_swapped_after_its_check(
    write_audio: WriteAudio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_audio("dogs/a.wav", noise(seconds=0.3))
    write_audio("dogs/b.wav", noise(seconds=0.3, seed=1))
    audio, out = tmp_path / "audio", tmp_path / "out"
    assert mel(audio, out).exit_code == 0
    (audio / "dogs/b.wav").unlink()  # its array is pruned
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "b.npy"
    victim.write_bytes(b"a file outside OUT")
    real = outdir.OutDir.removable

    def removable(self: outdir.OutDir, names: Any) -> list[Path]:
        found = real(self, names)
        if found and not (out / "dogs-kept").exists():  # checked: now swapped
            swap_for_link(out / "dogs", outside)
        return found

    monkeypatch.setattr(outdir.OutDir, "removable", removable)

    result = mel(audio, out, "--prune")

    assert (out / "dogs-kept").exists()  # the swap happened
    assert victim.read_bytes() == b"a file outside OUT"
    assert "leads outside the output folder" in result.stderr


def test_a_pool_workers_task_keeps_to_out_without_the_runs_lock(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    """A worker (another process: no lock held there) gets OUT with its work."""
    write_audio("dogs/a.wav", noise(seconds=0.3))
    audio, out = tmp_path / "audio", tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    os.symlink(outside, out / "dogs")
    params = MelParams()
    (job,) = plan([audio], out).jobs
    work: Callable[[Task], Any] = pickle.loads(
        pickle.dumps(TaskWork(params, None, out))
    )
    assert not write._ROOTS  # as in a worker: no run's lock in this process

    result = work(Task(job))

    assert result.status is Status.FAILED
    assert "leads outside the output folder" in result.reason
    assert outside_files(outside) == []


@pytest.mark.parametrize(
    ("link", "inside"),
    [("elsewhere", True), ("../outside", False), ("/", False), ("sub/..", True)],
)
def test_open_folder_follows_a_link_only_inside_the_root(
    tmp_path: Path, link: str, inside: bool
) -> None:
    root = tmp_path / "out"
    (root / "elsewhere").mkdir(parents=True)
    (root / "sub").mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(link, root / "a")
    if inside:
        fd = write.open_folder(str(root), "a/b", create=True)
        os.close(fd)
        assert os.path.isdir(root / "a" / "b")
    else:
        with pytest.raises(write.LeadsOutside, match="leads outside"):
            write.open_folder(str(root), "a/b", create=True)
        assert not (tmp_path / "outside" / "b").exists()
