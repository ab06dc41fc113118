"""What the commands say: --dry-run --json, --fail-fast, warnings, messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import RUN_LIMIT, WriteAudio, noise

import melcli
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
    assert result.exit_code == 1, result.stderr  # c.wav and c.flac would fail
    plan = json.loads(result.stdout)  # and nothing else on stdout
    assert plan["dry_run"] is True
    assert plan["up_to_date"] == 1
    assert [Path(b["path"]).name for b in plan["build"]] == [
        f"{n}.wav" for n in "defghij"
    ]
    assert {b["reason"] for b in plan["build"]} == {"new"}
    assert sorted(Path(f["path"]).name for f in plan["failures"]) == [
        "b.wav",  # empty: seen by its size
        "c.flac",
        "c.wav",
    ]
    assert plan["stale"] == []
    assert plan["delete"] == []
    # The human lines are still there, on stderr.
    assert "would build" in result.stderr
    assert not (out / "d.npy").exists()


def test_dry_run_without_json_lists_on_stdout(mixed: Path, tmp_path: Path) -> None:
    result = invoke("mel", mixed, "-o", tmp_path / "out", "--dry-run")
    assert result.stdout.startswith("would build ")


def test_dry_run_calls_stale_only_outputs_there_are(
    mixed: Path, tmp_path: Path
) -> None:
    """A deleted input that had failed left no output: neither run calls it stale."""
    out = tmp_path / "out"
    assert invoke("mel", mixed, "-o", out, "-j", "1").exit_code == 1  # b.wav
    (mixed / "b.wav").unlink()
    (mixed / "c.wav").unlink()  # written: its c.npy is stale
    plan = invoke("mel", mixed, "-o", out, "--dry-run", "--json")
    assert plan.exit_code == 0, plan.stderr
    assert json.loads(plan.stdout)["stale"] == [str(out / "c.npy")]
    assert plan.stderr.splitlines() == [
        f"stale {out / 'c.npy'}: its input is gone",
        "0 to build, 8 up to date, 1 stale output (--prune removes it) "
        "(dry run: nothing written, nothing decoded).",
    ]
    run = invoke("mel", mixed, "-o", out, "--json")
    assert json.loads(run.stdout)["stale"] == [str(out / "c.npy")]


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
    assert summary["written"] == 1
    assert summary["failed"] == 1
    assert summary["not_tried"] == 8  # c.wav ... j.wav
    assert result.stderr.splitlines()[-1] == (
        "stopped at the first failure (--fail-fast): 1 written, 1 failed, 8 not tried."
    )


def test_a_whole_run_is_not_stopped_early(mixed: Path, tmp_path: Path) -> None:
    result = invoke("mel", mixed, "-o", tmp_path / "out", "-j", "1", "--json")
    summary = json.loads(result.stdout)
    assert summary["stopped_early"] is False
    assert summary["not_tried"] == 0
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
    assert "Traceback" not in done.stderr
    assert "Exception" not in done.stderr


def test_mel_json_to_a_closed_stdout(mixed: Path, tmp_path: Path) -> None:
    done = _melcli_with_closed_stdout(
        "mel", mixed / "a.wav", "-o", tmp_path / "out", "--json", "-j", "1"
    )
    assert done.returncode == 141
    assert done.stderr.splitlines() == ["1 written."]
    assert (tmp_path / "out" / "a.npy").is_file()


# ------------------------------------------------------- 4 options and --kind
def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "does not apply" in line]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--kind", "fbank", "--sr", "16000", "--n-mels", "64"),
            ["warning: --n-mels does not apply to --kind fbank; use --num-mel-bins"],
        ),
        (
            ("--kind", "stft", "--n-mels", "64", "--fmax", "4000"),
            [
                "warning: --n-mels does not apply to --kind stft "
                "(only to --kind mel, mfcc)",
                "warning: --fmax does not apply to --kind stft "
                "(only to --kind mel, mfcc)",
            ],
        ),
        (
            ("--frame-length", "50"),
            [
                "warning: --frame-length does not apply to --kind mel; "
                "use --win-length (in samples)"
            ],
        ),
        (
            ("--n-mfcc", "40", "--no-center"),
            ["warning: --n-mfcc does not apply to --kind mel (only to --kind mfcc)"],
        ),
        (
            ("--kind", "fbank", "--sr", "16000", "--no-center"),
            [
                "warning: --no-center does not apply to --kind fbank "
                "(only to --kind mel, stft, mfcc)"
            ],
        ),
        (("--kind", "mfcc", "--n-mfcc", "13", "--n-mels", "40"), []),
        (("--preset", "ast"), []),  # a preset's settings are not the user's
    ],
)
def test_an_option_the_kind_does_not_read_is_named(
    args: tuple[str, ...], expected: list[str], mixed: Path, tmp_path: Path
) -> None:
    result = invoke("mel", mixed / "a.wav", "-o", tmp_path / "out", *args)
    assert result.exit_code == 0, result.stderr
    assert _warnings(result) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--preset", "whisper", "--kind", "fbank"),
            "warning: --kind fbank does not read --preset whisper's --n-fft, "
            "--hop-length, --n-mels, --win-length and 14 more: the output is not "
            "whisper's",
        ),
        (
            ("--preset", "whisper", "--kind", "stft"),
            "warning: --kind stft does not read --preset whisper's --n-mels, "
            "--fmin, --fmax, --slaney-mel and 1 more: the output is not whisper's",
        ),
        (("--preset", "whisper", "--kind", "mfcc"), None),  # reads every one
    ],
)
def test_a_kind_that_leaves_out_a_presets_settings_says_so(
    args: tuple[str, ...], expected: str | None, mixed: Path, tmp_path: Path
) -> None:
    result = invoke("mel", mixed / "a.wav", "-o", tmp_path / "out", *args)
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "does not read" in line]
    assert said == ([expected] if expected else [])


def test_options_from_the_environment_and_config_are_checked_too(
    mixed: Path, tmp_path: Path
) -> None:
    config = tmp_path / "melcli.toml"
    config.write_text("fmin = 30.0\n")
    result = invoke(
        "mel", mixed / "a.wav", "-o", tmp_path / "out", "--kind", "fbank",
        "--sr", "16000", "--config", config,
        env={"MELCLI_N_MELS": "64"},
    )  # fmt: skip
    assert _warnings(result) == [
        "warning: --n-mels does not apply to --kind fbank; use --num-mel-bins",
        "warning: --fmin does not apply to --kind fbank; use --low-freq",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--waveform",), ["warning: --waveform does nothing without --png"]),
        (
            ("--png-style", "image", "--cmap", "magma"),
            [
                "warning: --png-style does nothing without --png",
                "warning: --cmap does nothing without --png",
            ],
        ),
        (
            ("--shard-size", "2GB"),
            ["warning: --shard-size does nothing without --format webdataset"],
        ),
        (
            ("--crop", "random", "--pad", "repeat"),
            [
                "warning: --pad does nothing without --clip-duration",
                "warning: --crop does nothing without --clip-duration",
            ],
        ),
        (
            ("--segment-layout", "files"),
            ["warning: --segment-layout does nothing without --segment"],
        ),
        (("--png", "--waveform", "--cmap", "magma"), []),
        (("--clip-duration", "1", "--crop", "center"), []),
        (("--format", "webdataset", "--shard-size", "2GB"), []),
        (("--segment", "1", "--segment-layout", "files"), []),
    ],
)
def test_an_option_that_needs_another_says_so_without_it(
    args: tuple[str, ...], expected: list[str], mixed: Path, tmp_path: Path
) -> None:
    """``--waveform`` with no --png drew nothing and said nothing."""
    result = invoke("mel", mixed / "a.wav", "-o", tmp_path / "out", *args)
    assert result.exit_code == 0, result.stderr
    found = [line for line in result.stderr.splitlines() if "does nothing" in line]
    assert found == expected


def test_the_docs_table_of_kinds_is_the_code_s() -> None:
    from melcli.cli.applies import APPLIES

    text = (Path(__file__).parents[1] / "docs" / "kinds.md").read_text()
    section = text.split("## Which options each kind reads")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    kinds = ["mel", "stft", "mfcc", "fbank"]
    seen = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        names = re.findall(r"`--([a-z0-9-]+)`", cells[0])
        for name in (n.replace("-", "_") for n in names):
            seen.add(name)
            marks = zip(kinds, cells[1:], strict=True)
            shown = {k for k, mark in marks if mark == "yes"}
            assert shown == {k for k in kinds if name in APPLIES[k]}, name
    assert seen == set().union(*APPLIES.values())


# ------------------------------------------------------- 5 MELCLI_* variables
def test_an_unknown_variable_is_warned_about(mixed: Path, tmp_path: Path) -> None:
    env = {"MELCLI_BOGUS": "1", "MELCLI_NMELS": "64"}
    result = invoke("mel", mixed / "a.wav", "-o", tmp_path / "out", env=env)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[:2] == [
        "warning: MELCLI_BOGUS is set but names no option of melcli mel; it is ignored",
        "warning: MELCLI_NMELS is set but names no option of melcli mel "
        "(did you mean MELCLI_N_MELS?); it is ignored",
    ]


def test_known_variables_are_not_warned_about(mixed: Path, tmp_path: Path) -> None:
    env = {"MELCLI_N_MELS": "64", "MELCLI_JOBS": "1"}
    result = invoke("mel", mixed / "a.wav", "-o", tmp_path / "out", env=env)
    assert result.stderr == "1 written.\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "'--n-mels' (from MELCLI_N_MELS): 'abc' is not a valid integer."),
        ("0", "'--n-mels' (from MELCLI_N_MELS): --n-mels 0 must be a positive integer"),
    ],
)
def test_a_bad_value_names_its_variable(
    value: str, message: str, mixed: Path, tmp_path: Path
) -> None:
    env = {"MELCLI_N_MELS": value}
    result = CliRunner().invoke(
        cli, ["mel", str(mixed / "a.wav"), "-o", str(tmp_path / "out")], env=env
    )
    # The message is completed by melcli.cli.main; as a process:
    done = subprocess.run(
        [sys.executable, "-m", "melcli", "mel", mixed / "a.wav", "-o", tmp_path / "o"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert result.exit_code == done.returncode == 2
    assert done.stderr.splitlines()[-1] == f"Error: Invalid value for {message}"


# ------------------------------------------------------------- 7 empty shard
def test_an_empty_shard_says_so(mixed: Path, tmp_path: Path) -> None:
    from melcli.discover import plan
    from melcli.shard import shard_of

    rels = [job.rel for job in plan([mixed], tmp_path / "out").jobs]
    empty = next(i for i in range(50) if all(shard_of(r, 50) != i for r in rels))
    result = invoke("mel", mixed, "-o", tmp_path / "out", "--shard", f"{empty}/50")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: no input falls in shard {empty}/50 (10 inputs in all)",
        "0 written.",
    ]


def test_nothing_found_is_still_said(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("mel", tmp_path / "empty", "-o", tmp_path / "out")
    assert result.stderr.splitlines()[0] == "warning: no audio files found"


def test_shard_help_names_the_manifest_as_written(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("mel", mixed, "-o", out, "--shard", "3/10").exit_code in (0, 1)
    help_text = " ".join(invoke("mel", "--help").stdout.split())
    (part,) = out.glob("manifest.shard-*.jsonl")
    assert f"for 3/10 {part.name};" in help_text


# ------------------------------------------------------ 8 --include took none
def test_include_that_takes_nothing_says_how_paths_are_matched(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("dogs/bark.wav", noise(seconds=0.3))
    src = tmp_path / "audio"
    out = tmp_path / "out"
    pattern = f"{src.name}/dogs/*"
    result = invoke("mel", src, "-o", out, "--include", pattern, "--json")
    assert result.stderr.splitlines() == [
        f"warning: --include '{pattern}' took none of 1 file found: patterns "
        "are matched against each path relative to its SRC "
        f"({src / 'dogs' / 'bark.wav'} is dogs/bark.wav); --include 'dogs/*' "
        "takes 1 of them",
        "0 written, 1 skipped.",
    ]
    assert len(json.loads(result.stdout)["warnings"]) == 1
    # The pattern as the hint says: no warning.
    result = invoke("mel", src, "-o", out, "--include", "dogs/*")
    assert result.stderr == "1 written.\n"


def test_include_hint_escapes_a_name_once(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    """A backslash in a name is shown as every other line shows it: doubled once."""
    write_audio("a\\b/bark.wav", noise(seconds=0.3))
    src = tmp_path / "audio"
    result = invoke("mel", src, "-o", tmp_path / "out", "--include", "x\\*")
    assert result.stderr.splitlines()[0] == (
        "warning: --include 'x\\\\*' took none of 1 file found: patterns are "
        "matched against each path relative to its SRC "
        f"({src}/a\\\\b/bark.wav is a\\\\b/bark.wav)"
    )
    written = invoke("mel", src, "-o", tmp_path / "out", "-v")
    assert f"wrote {tmp_path}/out/a\\\\b/bark.npy" in written.stderr.splitlines()


# ------------------------------------------------------- 9 merge and stats
def test_merge_with_no_parts_says_it_once(tmp_path: Path) -> None:
    (tmp_path / "fso").mkdir()
    result = invoke("merge", tmp_path / "fso")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: no manifest parts (manifest.shard-*.jsonl) in {tmp_path / 'fso'}: "
        "nothing to merge (run 'melcli mel --shard I/N' into it first)"
    ]


def test_merge_with_one_shard_missing_says_how_to_run_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.shard-0000-of-0002.jsonl").write_text("")
    result = invoke("merge", out)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"error: no manifest part for shard 1 of 2: run it ('melcli mel ... "
        f"--shard 1/2' into {out}), then merge"
    )


def test_stats_with_no_arrays_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("stats", tmp_path / "empty")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'empty'}: no arrays to compute statistics over: "
        "give the OUT folder a run wrote ('melcli mel SRC -o OUT' makes one) "
        "(stats.npz not written)"
    ]


def test_stats_and_merge_of_an_audio_folder_leave_no_lock_file_in_it(
    mixed: Path,
) -> None:
    """SRC given for OUT: each says why it did nothing, and leaves SRC as it was."""
    before = sorted(p.name for p in mixed.iterdir())
    stats = invoke("stats", mixed)
    assert (stats.exit_code, stats.stderr) == (
        1,
        f"error: {mixed}: no arrays to compute statistics over: it holds audio "
        "files (a.wav, ...), not arrays: run 'melcli mel' on it first ('melcli mel "
        "SRC -o OUT'), then give OUT (stats.npz not written)\n",
    )
    assert invoke("merge", mixed).exit_code == 2
    with pytest.raises(melcli.MelcliError, match="no arrays to compute statistics"):
        melcli.write_stats(mixed)
    assert sorted(p.name for p in mixed.iterdir()) == before  # no .melcli.lock
    # A run into it afterwards passes over nothing but its own inputs.
    run = invoke("mel", mixed, "-o", mixed.parent / "out", "--json")
    assert json.loads(run.stdout)["skipped"] == 0


def test_fmax_above_a_files_nyquist_with_sr_native_names_the_files_rate(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("low.wav", noise(seconds=0.3), sr=16000)
    write_audio("high.wav", noise(seconds=0.3), sr=44100)
    src = tmp_path / "audio"
    options = ("--sr", "native", "--fmax", "10000", "-j", "1")
    result = invoke("mel", src, "-o", tmp_path / "out", *options)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {src / 'low.wav'}: --fmax 10000 must be at most the Nyquist "
        "frequency 8000 Hz (the file's rate, 16000 Hz)",
        "1 written, 1 failed.",
    ]


def test_stats_names_a_bad_array_once(tmp_path: Path) -> None:
    import numpy as np

    (tmp_path / "out").mkdir()
    np.save(tmp_path / "out" / "a.npy", np.full((4, 5), np.nan, np.float32))
    result = invoke("stats", tmp_path / "out")
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'out' / 'a.npy'}: array holds NaN or Inf values"
    ]


# ------------------------------------------------- 10 presets NAME, info help
def test_an_unknown_preset_is_named_with_the_list() -> None:
    from melcli.presets import PRESETS

    result = invoke("presets", "foo")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].endswith(" presets [OPTIONS] [NAME]...")
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '[NAME]...': 'foo' is not one of "
        + ", ".join(map(repr, PRESETS))
        + "."
    )
    assert invoke("presets", "ast").stdout.startswith("ast: ")


def test_info_help_says_what_info_does_with_a_list() -> None:
    info_help = " ".join(invoke("info", "--help").stdout.split())
    assert "Outputs mirror" not in info_help
    assert "'meta'" not in info_help
    assert "the other columns are not shown" in info_help
    mel_help = " ".join(invoke("mel", "--help").stdout.split())
    assert "Outputs mirror the paths relative to --root." in mel_help


# ------------------------------------------------- 11 deterministic summaries
def test_json_failures_are_sorted_by_path() -> None:
    from melcli.report import Report, Result, Status

    report = Report()
    for name in ("c.wav", "a.wav", "b.wav"):  # as workers finished them
        report.add(Result(src=Path(name), status=Status.FAILED, reason="bad"))
    paths = [f["path"] for f in report.to_json()["failures"]]  # type: ignore[union-attr]
    assert paths == ["a.wav", "b.wav", "c.wav"]


def test_stale_outputs_are_counted_by_input_with_or_without_prune(
    mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", mixed, "-o", out, "--png", "-j", "1").exit_code == 1
    (mixed / "c.wav").unlink()
    (mixed / "d.wav").unlink()
    kept = invoke("mel", mixed, "-o", out, "--png", "-j", "1")
    assert "2 stale outputs (--prune removes them)." in kept.stderr
    pruned = invoke("mel", mixed, "-o", out, "--png", "-j", "1", "--prune", "--json")
    assert pruned.stderr.splitlines()[-1].endswith(
        ", 2 stale outputs removed (4 files)."
    )
    assert len(json.loads(pruned.stdout)["pruned"]) == 4  # .npy and .png each


def test_print_config_shows_the_default_extensions() -> None:
    from melcli.discover import DEFAULT_EXTENSIONS

    shown = invoke("mel", "--print-config").stdout
    (line,) = [x for x in shown.splitlines() if x.startswith("ext = ")]
    assert line == f"ext = {json.dumps(sorted(DEFAULT_EXTENSIONS))}  # default"


# ------------------------------------------------- 12 options, not parameters
def test_segment_with_png_names_the_options(mixed: Path, tmp_path: Path) -> None:
    result = invoke("mel", mixed, "-o", tmp_path / "out", "--segment", "2", "--png")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--segment': --segment 2 cannot be combined "
        "with --png"
    )


def test_min_duration_skips_name_the_option(mixed: Path, tmp_path: Path) -> None:
    import melcli

    args = ("mel", mixed / "a.wav", "-o", tmp_path / "out", "--min-duration", "1.2")
    result = invoke(*args, "-v")
    assert result.stderr.splitlines()[0] == (
        f"skipped {mixed / 'a.wav'}: shorter than --min-duration 1.2 s (0.3 s)"
    )
    # The Python API keeps its parameter's name.
    report = melcli.run(
        [mixed / "a.wav"], tmp_path / "api", params=melcli.MelParams(min_duration=1.2)
    )
    assert report.results[0].reason == "shorter than min_duration=1.2 s (0.3 s)"


def test_as_options_leaves_other_names_alone() -> None:
    from melcli.cli.console import as_options

    text = "n_fft=2048 is too large for input signal of length=441"
    assert (
        as_options(text) == "--n-fft 2048 is too large for input signal of length=441"
    )
    assert as_options("kind='fbank' needs x") == "--kind fbank needs x"


# ------------------------------------------------------- 13 RunInterrupted
def test_run_interrupted_says_the_summary() -> None:
    import signal

    import melcli
    from melcli.report import Report, Result, Status

    report = Report(interrupted_by=signal.SIGTERM)
    report.add(Result(src=Path("a.wav"), status=Status.WRITTEN))
    exc = melcli.RunInterrupted(report)
    assert str(exc) == "interrupted: 1 written. Run again to finish."
    assert isinstance(exc, KeyboardInterrupt)  # caught as Ctrl-C is
    assert report.exit_code == 143


def test_an_uncaught_run_interrupted_shows_its_summary(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import melcli\n"
        "from melcli.report import Report\n"
        "raise melcli.RunInterrupted(Report(interrupted_by=2))\n"
    )
    done = subprocess.run(
        [sys.executable, script],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert done.stderr.splitlines()[-1] == (
        "melcli.batch.RunInterrupted: interrupted: 0 written. Run again to finish."
    )
    assert done.returncode != 0


def test_warnings_of_one_kind_fold_whether_their_texts_repeat_or_not() -> None:
    # The kind of a text seen before is remembered (files alike warn alike),
    # for a few texts only: texts that differ per file cost no memory per file.
    from melcli.cli.console import KINDS_KEPT, FoldedWarnings

    folded = FoldedWarnings(shown=2)
    same = ["n_fft=2048 is too large for input signal of length=1103"]
    assert [folded.shown_of(same) for _ in range(4)] == [same, same, [], []]
    for n in range(10 * KINDS_KEPT):
        assert (
            folded.shown_of([f"n_fft=2048 is too large for input signal of length={n}"])
            == []
        )
        assert len(folded._kind_of) <= KINDS_KEPT
    assert folded.lines() == [
        f"{2 + 10 * KINDS_KEPT} more files warned the same way (such as: "
        f"{same[0]}); -v lists each, and the manifest records every file's warnings"
    ]
