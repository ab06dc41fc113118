"""A callback that raises must not leave OUT as a kill -9 would.

``on_result`` raises when the command's stderr is closed (``melcli mel ... -v
2>&1 | head -1``: BrokenPipeError) or when a Python caller's callback fails.
The run then stops and settles what its workers had finished; settling told
``on_result`` of each of those again, which raised again, and the run ended
there: no manifest committed (a journal left), and with ``--format
webdataset`` the shard being written and the staged arrays left as temporary
files in OUT. About half of such ``| head`` runs with two workers ended so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import WriteAudio
from test_batch import AllAtOnce  # its lists, its attributes

from melcli.batch import run_plan
from melcli.discover import plan
from melcli.manifest import Manifest
from melcli.params import MelParams
from melcli.report import Result
from melcli.storage import storage_for


class OneThenStopped(AllAtOnce):
    """A pool whose first outcome comes alone; the others were finished by its
    workers when the run stopped (they are ``late``, as a pool's are)."""

    def run_batches(
        self, fn: Callable[[Any], Any], items: Iterable[Any]
    ) -> Iterator[list[tuple[Any, Any]]]:
        done = [(item, fn(item)) for item in items]
        try:
            yield done[:1]
            yield done[1:]
        finally:
            self.late = done  # as a pool gives back what came


def _stopped_run(
    tmp_path: Path, on_result: Callable[[Result], None], storage_format: str = "npy"
) -> Path:
    """Run over ``tmp_path/audio`` into ``tmp_path/out``, stopped as above."""
    out = tmp_path / "out"
    run_plan(
        plan([tmp_path / "audio"], out),
        params=MelParams(),
        runner=OneThenStopped(),
        manifest=Manifest.load(out),
        on_result=on_result,
        storage=storage_for(storage_format),
    )
    return out


def _closed_stderr(result: Result) -> None:
    raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("storage_format", ["npy", "webdataset"])
def test_a_callback_that_raises_still_leaves_out_committed(
    write_audio: WriteAudio, tmp_path: Path, storage_format: str
) -> None:
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    out = tmp_path / "out"

    with pytest.raises(BrokenPipeError):
        _stopped_run(tmp_path, _closed_stderr, storage_format)

    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert left == [".melcli-manifest.db"]  # no journal, no temporary file
    entries = Manifest.load(out).entries
    assert len(entries) == 3  # every finished file recorded
    assert {entry["status"] for entry in entries.values()} == {"written"}
    if storage_format == "npy":
        assert sorted(p.name for p in out.glob("*.npy")) == ["a.npy", "b.npy", "c.npy"]
    else:
        assert [p.name for p in out.glob("*.tar")] == ["shard-000000.tar"]


def test_the_results_settled_at_the_end_are_still_told(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # Once OUT is committed: the caller hears of every file, as before.
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    told: list[str] = []

    def on_result(result: Result) -> None:
        told.append(result.src.name)
        if len(told) == 1:  # the first: the run stops
            raise ValueError("a caller's callback failed")

    with pytest.raises(ValueError, match="callback failed"):
        _stopped_run(tmp_path, on_result)
    assert told == ["a.wav", "b.wav", "c.wav"]
    assert not Manifest.load(tmp_path / "out").journal_path.exists()
