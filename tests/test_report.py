from __future__ import annotations

import dataclasses
import errno
import os
import pickle
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import memory_grown_here
from hypothesis import given
from hypothesis import strategies as st

from melcli.report import SPILL_EVERY, Progress, Report, Result, Status, display_path


def report_of(*statuses: Status) -> Report:
    report = Report()
    for i, status in enumerate(statuses):
        report.add(Result(src=Path(f"{i}.wav"), status=status))
    return report


W, S, F = Status.WRITTEN, Status.SKIPPED, Status.FAILED


# ------------------------------------------------------------------ Report
def test_counts_each_status() -> None:
    report = report_of(W, F, S, W, F, F)
    assert report.count(W) == 2
    assert report.count(S) == 1
    assert report.count(F) == 3


def test_failures_keep_the_order_they_came_in() -> None:
    report = Report()
    report.add(Result(src=Path("b.wav"), status=F, reason="not audio"))
    report.add(Result(src=Path("c.wav"), status=W))
    report.add(Result(src=Path("a.wav"), status=F, reason="empty"))
    assert [(r.src, r.reason) for r in report.failures] == [
        (Path("b.wav"), "not audio"),
        (Path("a.wav"), "empty"),
    ]


def test_up_to_date_inputs_are_held_as_paths_until_the_results_are_asked_for() -> None:
    report = Report()
    report.add(Result(src=Path("a.wav"), status=S, reason="hidden"))
    for name in ("b.wav", "c.wav"):
        report.add_up_to_date(name)
    report.add(Result(src=Path("d.wav"), status=F, reason="empty"))

    assert report.count(Status.UP_TO_DATE) == 2
    assert report.n_results == 4
    assert report.summary() == "0 written, 2 up to date, 1 skipped, 1 failed."
    assert [r.src for r in report.failures] == [Path("d.wav")]
    assert report.with_status(S)[0].reason == "hidden"

    results = report.results

    assert [(r.src, r.status) for r in results] == [
        (Path("a.wav"), S),
        (Path("b.wav"), Status.UP_TO_DATE),
        (Path("c.wav"), Status.UP_TO_DATE),
        (Path("d.wav"), F),
    ]
    assert report.results is results  # made once
    assert report.count(Status.UP_TO_DATE) == 2
    assert [r.src for r in report.with_status(Status.UP_TO_DATE)] == [
        Path("b.wav"),
        Path("c.wav"),
    ]


def test_a_no_op_report_is_summed_up_without_a_look_at_each_input() -> None:
    """A re-run of 100 000 up-to-date inputs counts them, not scans them five times."""

    class Unscanned(list[Result | str]):
        def __iter__(self) -> Iterator[Result | str]:
            raise AssertionError("each input looked at")

    report = Report()
    for name in ("a.wav", "b.wav"):
        report.add_up_to_date(name)
    report._items = Unscanned(report._items)

    assert report.summary() == "0 written, 2 up to date."
    assert report.exit_code == 0
    assert (report.failures, report.with_status(S)) == ([], [])
    assert report.count(Status.UP_TO_DATE) == 2


@pytest.mark.parametrize(
    ("statuses", "summary", "exit_code"),
    [
        ((), "0 written.", 0),
        ((W, W, W), "3 written.", 0),
        ((W, S, W, F), "2 written, 1 skipped, 1 failed.", 1),
        ((S, S), "0 written, 2 skipped.", 0),
        ((F,), "0 written, 1 failed.", 1),
        ((W, F, F), "1 written, 2 failed.", 1),
    ],
)
def test_summary_and_exit_code(
    statuses: tuple[Status, ...], summary: str, exit_code: int
) -> None:
    report = report_of(*statuses)
    assert report.summary() == summary
    assert report.exit_code == exit_code


def test_status_values_are_the_words_shown() -> None:
    assert [s.value for s in Status] == ["written", "up-to-date", "failed", "skipped"]


# ------------------------------------------------------------ display_path
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a\nb.wav", "a\\nb.wav"),
        ("a\rb.wav", "a\\rb.wav"),
        ("a\tb.wav", "a\\tb.wav"),
        ("\x1b[31mred.wav", "\\x1b[31mred.wav"),
        ("a\x7fb.wav", "a\\x7fb.wav"),
        ("evil\u202evaw.exe", "evil\\u202evaw.exe"),
        ("a\u200bb.wav", "a\\u200bb.wav"),
        ("a\u2028b.wav", "a\\u2028b.wav"),
        ("a\u2029b.wav", "a\\u2029b.wav"),
        ("a\\b.wav", "a\\\\b.wav"),
        (os.fsdecode(b"a\xffb.wav"), "a\\xffb.wav"),
        (os.fsdecode(b"caf\xe9 \x80.wav"), "caf\\xe9 \\x80.wav"),
    ],
)
def test_display_path_escapes(name: str, shown: str) -> None:
    assert display_path(name) == shown


@pytest.mark.parametrize(
    "name",
    ["Müller_声.wav", "dogs/bark 1.wav", "-rf.wav", "🐶.flac", "naïve/ñ.wav", ""],
)
def test_display_path_leaves_ordinary_text_alone(name: str) -> None:
    assert display_path(name) == name


def test_display_path_escapes_exactly_the_ascii_controls_and_the_backslash() -> None:
    # Plain ASCII names skip the per-letter look: none of them may slip through.
    for code in range(128):
        ch = chr(code)
        escaped = code < 0x20 or code == 0x7F or ch == "\\"
        middle = ch.encode("unicode_escape").decode("ascii") if escaped else ch
        assert display_path(f"a{ch}b.wav") == f"a{middle}b.wav", repr(ch)


def test_display_path_accepts_a_path() -> None:
    assert display_path(Path("dogs") / "a\nb.wav") == "dogs/a\\nb.wav"


def test_a_literal_backslash_x_is_told_apart_from_an_undecodable_byte() -> None:
    literal = display_path("a\\xffb.wav")
    byte = display_path(os.fsdecode(b"a\xffb.wav"))
    assert literal == "a\\\\xffb.wav"
    assert byte == "a\\xffb.wav"


def _assert_fit_for_one_line(shown: str) -> None:
    shown.encode("utf-8")  # strict: no surrogates left
    assert len(shown.splitlines()) <= 1
    assert not [
        ch for ch in shown if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs"}
    ]


@given(st.text())
def test_any_text_displays_on_one_clean_line(text: str) -> None:
    _assert_fit_for_one_line(display_path(text))


@given(st.binary())
def test_any_file_name_bytes_display_on_one_clean_line(raw: bytes) -> None:
    _assert_fit_for_one_line(display_path(os.fsdecode(raw)))


# ---------------------------------------------------------------- Progress
class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_come_at_the_interval_with_rate_and_time_left() -> None:
    clock = FakeClock()
    progress = Progress(total=100, interval=10.0, clock=clock)
    lines = []
    for _ in range(60):  # one file every 0.5 s
        clock.now += 0.5
        lines.append(progress.update())
    shown = [(i, line) for i, line in enumerate(lines) if line is not None]
    assert [i for i, _ in shown] == [19, 39, 59]  # at 10 s, 20 s, 30 s
    assert shown[0][1] == (
        "progress: 20/100 files (20%), 2.0 files/s, 10s elapsed, about 40s left"
    )
    assert shown[2][1] == (
        "progress: 60/100 files (60%), 2.0 files/s, 30s elapsed, about 20s left"
    )
    clock.now += 3600
    assert progress.update(40) == (
        "progress: 100/100 files (100%), 0.0 files/s, 1h00m elapsed"
    )
    clock.now += 5
    assert progress.update(0) is None  # the next one is due 10 s after the last


def test_a_result_survives_pickling_with_every_field() -> None:
    # Workers send results through a pipe; Result pickles as plain values.
    result = Result(
        src=Path("in/a.wav"),
        status=Status.SKIPPED,
        reason="too short",
        warnings=("w",),
        outputs=(Path("out/a.000.npy"), Path("out/a.001.npy")),
        shape=(128, 3),
        samplerate=16000,
        channels=2,
        sr=22050,
        duration=1.5,
        timings={"decode": 0.25},
        segments=(0.0, 1.0),
        silent=True,
        wave={"peak": 0.5},
        png_only=True,
    )
    defaults = Result(src=Path("x"), status=Status.WRITTEN)
    for f in dataclasses.fields(Result):  # none left at its default here
        assert getattr(result, f.name) != getattr(defaults, f.name), f.name
    back = pickle.loads(pickle.dumps(result))
    assert back == result
    assert isinstance(back.src, Path)
    assert all(isinstance(p, Path) for p in back.outputs)
    assert back.status is Status.SKIPPED


def test_a_report_can_be_made_with_results_as_before() -> None:
    done = Result(src=Path("a.wav"), status=Status.WRITTEN)
    failed = Result(src=Path("b.wav"), status=Status.FAILED, reason="cut")
    report = Report(results=[done, failed], elapsed=1.5)
    assert report.results == [done, failed]
    assert report.failures == [failed]
    assert report.exit_code == 1
    assert Report([done]).count(Status.WRITTEN) == 1  # positional, as before
    assert Report().results == []


# ------------------------------------------------------- written results
def written(i: int) -> Result:
    """A written result as a pool worker sends it: its waveform at a glance too."""
    return Result(
        src=Path(f"audio/d{i % 100:02d}/f{i:07d}.wav"),
        status=W,
        outputs=(Path(f"out/d{i % 100:02d}/f{i:07d}.npy"),),
        shape=(128, 3),
        samplerate=16000,
        channels=1,
        sr=22050,
        duration=0.05 + i * 1e-9,
        timings={"decode": 1e-4 * i, "mel": 2e-4, "db": 1e-5, "write": 3e-5},
        wave={"env": "gh" * 128, "peak": 0.31, "rms": 0.1, "clip": 0.0},
    )


def test_written_results_are_held_by_a_few_bytes_each_and_come_back_whole() -> None:
    """A first run of millions of inputs: the report grows by bytes a file, not kB."""
    # Whole batches: the last one, partial (up to SPILL_EVERY - 1 results), is
    # held in memory by design, a fixed cost that is no growth per input.
    n = 12 * SPILL_EVERY
    report = Report()
    # pathlib interns each part of a path: the first time, Python's table of
    # interned strings may grow by megabytes in one step, or not, as earlier
    # tests left it. Interned once here, out of the count, the parts are found
    # there again (the results made below are new objects all the same).
    warm = [written(i) for i in range(n)]
    with memory_grown_here(__file__) as measured:
        for i in range(n):
            report.add(written(i))
            if i % 1000 == 500:
                report.add(Result(src=Path(f"{i}.wav"), status=F, reason="cut short"))
                report.add_up_to_date(f"{i}.flac")
    grown = measured[0]
    del warm

    assert report._spill.problem is None, report._spill.problem  # else all are held
    assert grown < n * 200, f"{grown / n:.0f} bytes a written result"  # ~1.5 kB each
    assert (report.count(W), report.count(F), report.count(Status.UP_TO_DATE)) == (
        n,
        3,
        3,
    )
    assert report.summary() == f"{n} written, 3 up to date, 3 failed."
    assert [(r.src.name, r.reason) for r in report.failures] == [
        (f"{i}.wav", "cut short") for i in (500, 1500, 2500)
    ]
    expected: list[Result] = []
    for i in range(n):
        expected.append(written(i))
        if i % 1000 == 500:
            expected.append(Result(src=Path(f"{i}.wav"), status=F, reason="cut short"))
            expected.append(Result(src=Path(f"{i}.flac"), status=Status.UP_TO_DATE))
    assert report.with_status(W) == [r for r in expected if r.status is W]
    assert report.results == expected
    assert report.count(W) == n  # counted the same once made


def test_a_report_of_written_results_pickles_and_replaces_them_whole() -> None:
    report = Report([written(i) for i in range(600)])
    again = pickle.loads(pickle.dumps(report))
    assert again.results == report.results == [written(i) for i in range(600)]

    other = Report([written(i) for i in range(600)])
    lost = dataclasses.replace(written(7), status=F, reason="shard lost")
    other.replace(written(7), lost)  # a copy read back: found by its value
    other.replace(written(8), dataclasses.replace(written(8), status=F))
    assert (other.count(W), other.count(F)) == (598, 2)
    assert other.results[7] == lost


def test_written_results_stay_in_memory_where_no_file_can_be_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_room(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_room)
    report = Report([written(i) for i in range(1000)])
    assert report.results == [written(i) for i in range(1000)]


@pytest.mark.parametrize("kept", [0, 1, 100])
def test_a_batch_the_full_disk_cut_short_is_not_read_back(
    kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up in the second batch: ``kept`` bytes of it land."""
    make = tempfile.TemporaryFile

    class FillsUp:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.file = make(*args, **kwargs)
            self.writes = 0

        def write(self, data: bytes) -> int:
            self.writes += 1
            if self.writes == 1:
                return int(self.file.write(data))
            if kept == 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            return int(self.file.write(data[:kept]))  # a short write

        def __getattr__(self, name: str) -> object:
            return getattr(self.file, name)

    monkeypatch.setattr(tempfile, "TemporaryFile", FillsUp)
    report = Report([written(i) for i in range(1000)])
    assert report.results == [written(i) for i in range(1000)]
    assert report.count(Status.WRITTEN) == 1000


def test_reports_are_equal_by_their_results() -> None:
    assert Report([written(i) for i in range(600)]) == Report(
        [written(i) for i in range(600)]
    )
    assert Report([written(i) for i in range(600)]) != Report(
        [written(i) for i in range(1, 601)]
    )
