"""A run's handling of results: what came together is recorded together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from conftest import WriteAudio

from melcli import interrupts
from melcli.batch import run_plan
from melcli.discover import plan
from melcli.manifest import Manifest
from melcli.params import MelParams
from melcli.report import Result, Status


class AllAtOnce:
    """A runner whose outcomes all come in one list (as a pool's nap's do)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.late: list[Any] = []
        self.lost_workers = False

    def run_batches(
        self, fn: Callable[[Any], Any], items: Iterable[Any]
    ) -> Iterator[list[tuple[Any, Any]]]:
        yield [(item, fn(item)) for item in items]

    def run(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        for batch in self.run_batches(fn, items):
            yield from batch


def test_outcomes_that_came_together_are_recorded_before_any_is_told(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # Recorded under one signal hold and one journal write; on_result is
    # told of each once all are recorded, with Ctrl-C live again (a slow
    # callback must not hold it off).
    for name in ("a", "b", "c"):
        write_audio(f"{name}.wav")
    out = tmp_path / "out"
    manifest = Manifest.load(out)
    told: list[tuple[str, bool, int, int]] = []

    def on_result(result: Result) -> None:
        journal = manifest.journal_path.read_bytes().count(b"\n")
        told.append(
            (result.src.name, interrupts._holding, len(manifest.entries), journal)
        )

    report = run_plan(
        plan([tmp_path / "audio"], out),
        params=MelParams(),
        runner=AllAtOnce(),
        manifest=manifest,
        on_result=on_result,
    )

    assert report.count(Status.WRITTEN) == 3
    assert sorted(name for name, *_ in told) == ["a.wav", "b.wav", "c.wav"]
    assert [rest for _, *rest in told] == [[False, 3, 3]] * 3
    assert sorted(Manifest.load(out).entries) == ["a.npy", "b.npy", "c.npy"]


def test_a_failure_with_fail_fast_stops_in_the_middle_of_a_batch(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # The rest of the batch had finished: it is recorded all the same (the
    # runner's late outcomes), and nothing is counted twice.
    write_audio("a.wav")
    (tmp_path / "audio" / "b.wav").write_bytes(b"RIFF not audio")
    write_audio("c.wav")
    out = tmp_path / "out"
    runner = AllAtOnce()
    batches = runner.run_batches

    def keep_late(fn: Any, items: Any) -> Iterator[list[tuple[Any, Any]]]:
        for batch in batches(fn, items):
            runner.late = batch  # until the consumer asks for the next
            yield batch

    runner.run_batches = keep_late  # type: ignore[method-assign]
    report = run_plan(
        plan([tmp_path / "audio"], out),
        params=MelParams(),
        runner=runner,
        manifest=Manifest.load(out),
        fail_fast=True,
    )

    assert report.stopped_early
    assert (report.count(Status.WRITTEN), report.count(Status.FAILED)) == (2, 1)
    assert report.not_tried == 0
    assert sorted(Manifest.load(out).entries) == ["a.npy", "b.npy", "c.npy"]
