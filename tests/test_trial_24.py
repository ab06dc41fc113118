"""A newcomer's trial (session 24): the command and its API agree; hints fit.

Each test here failed on the code before its fix.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, short_tones

import melcli
from melcli.cli import cli
from melcli.data import SpectrogramDataset
from melcli.params import MelParams, RenderParams

#: Each command's Python call.
CALLS: dict[str, Callable[..., Any]] = {
    "mel": melcli.run,
    "info": melcli.info,
    "stats": melcli.write_stats,
    "merge": melcli.merge,
    "gallery": melcli.build_gallery,
}
#: What the command and its call name differently, or only one has, and why.
#: Options that only print (``--json``, ``-q``, ``-v``, ``--summary``,
#: ``--progress-interval``) are the command's alone: the call returns data.
PRINTING = {"as_json", "quiet", "verbose", "summary", "progress_interval"}
RENAMED = {
    "src": "sources",  # the argument SRC...
    "list_root": "root",  # --root
    "with_stats": "stats",  # --stats
}
COMMAND_ONLY = {
    "mel": {
        "preset",  # preset_params("whisper", ...) makes the params
        "png_style",  # render=RenderParams(style=...)
        "config",  # a file of options: the call takes keywords
        "print_config",
    },
}
API_ONLY = {
    "mel": {"params", "render", "on_result"},  # the settings' objects, a callback
    "gallery": {"progress"},  # a callback: the command shows a bar, or log lines
    # Any arrays, not those of a list's inputs (files_from): Python only.
    "stats": {"paths"},
}


def _command_options(name: str) -> set[str]:
    command = cli.commands[name]
    names = {p.name for p in command.params if p.name is not None}
    return {RENAMED.get(n, n) for n in names - PRINTING - {"help"}}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_keyword_of_a_call_is_an_option_of_its_command(name: str) -> None:
    options = _command_options(name)
    if name == "mel":  # the settings: the fields of MelParams and RenderParams
        options |= set(MelParams.__dataclass_fields__)
        options |= set(RenderParams.__dataclass_fields__) - {"style"}
    keywords = set(inspect.signature(CALLS[name]).parameters) - {"out"}
    assert keywords - options == API_ONLY.get(name, set())
    assert options - keywords - COMMAND_ONLY.get(name, set()) - {"out"} <= (
        set(MelParams.__dataclass_fields__) | set(RenderParams.__dataclass_fields__)
    )


def test_gallery_takes_the_page_size_build_gallery_takes(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 5)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    result = invoke("gallery", out, "-j", "1", "--page-size", "2", "--json")
    assert result.exit_code == 0, result.stderr
    pages = sorted(p.name[:10] for p in (out / "gallery" / "data").glob("page-*.js"))
    assert pages == ["page-00000", "page-00001", "page-00002"]  # then -TAG.js
    report = melcli.build_gallery(out, jobs=1, page_size=2)
    assert json.loads(result.stdout)["pages"] == report.to_json()["pages"] == 3


@pytest.mark.parametrize("size", ["0", "-3"])
def test_a_bad_page_size_names_the_option(tmp_path: Path, size: str) -> None:
    src = short_tones(tmp_path / "audio", 1)
    melcli.run([src], tmp_path / "out", jobs=1)
    result = invoke("gallery", tmp_path / "out", "--page-size", size)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for '--page-size': {size} must be a positive integer\n"
    )
    assert not (tmp_path / "out" / "gallery").exists()


def _clashing(src: Path, *, wav_whole: bool, mp3_whole: bool) -> None:
    """``src/a.wav`` and ``src/a.mp3``: a whole WAV, or one cut to 300 bytes."""
    whole = (src / "0.wav").read_bytes()
    (src / "a.wav").write_bytes(whole if wav_whole else whole[:300])
    (src / "a.mp3").write_bytes(whole if mp3_whole else b"not audio" * 40)


def _hint(report: melcli.Report) -> str:
    (hint,) = [w for w in report.warnings if "same name with another" in w]
    return hint


def test_a_clash_of_broken_inputs_suggests_no_exclude(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    _clashing(src, wav_whole=False, mp3_whole=False)
    report = melcli.run([src], tmp_path / "o", jobs=1)
    hint = _hint(report)
    assert "--exclude" not in hint
    assert hint.endswith(
        "and each of them fails on its own too (see its line): leaving one of "
        "each name out would not help; replace them"
    )
    result = invoke("mel", src, "-o", tmp_path / "o", "-j", "1")
    assert f"warning: {hint}\n" in result.stderr


def test_a_clash_hint_leaves_out_the_broken_one(tmp_path: Path) -> None:
    # The MP3 decodes, the WAV is cut: '*.mp3' (lossy first) would keep the cut.
    src = short_tones(tmp_path / "audio", 1)
    _clashing(src, wav_whole=False, mp3_whole=True)
    hint = _hint(melcli.run([src], tmp_path / "o", jobs=1))
    # Named: '*.wav' would leave out 0.wav too, which clashes with nothing.
    assert "such as with --exclude a.wav, or rename them" in hint
    # Taken at its word, it writes the whole one, and 0.wav.
    report = melcli.run([src], tmp_path / "o", jobs=1, exclude="a.wav")
    assert [r.src.name for r in report.failures] == []
    assert (tmp_path / "o" / "a.npy").is_file()
    assert (tmp_path / "o" / "0.npy").is_file()


def test_a_clash_hint_says_which_names_no_exclude_mends(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 2)
    _clashing(src, wav_whole=True, mp3_whole=False)
    whole = (src / "0.wav").read_bytes()
    (src / "b.wav").write_bytes(whole[:300])
    (src / "b.mp3").write_bytes(b"not audio" * 40)
    hint = _hint(melcli.run([src], tmp_path / "o", jobs=1))
    assert hint.endswith(
        "such as with --exclude '*.mp3', or rename them; of 1 name, every input "
        "fails on its own too (see their lines)"
    )


def test_a_dry_run_says_last_times_failures_are_tried_again(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 2)
    (src / "text.wav").write_text("hello\n")
    out = tmp_path / "o"
    assert melcli.run([src], out, jobs=1).exit_code == 1
    plan = melcli.run([src], out, dry_run=True)
    assert [p.name for p, _ in plan.retries] == ["text.wav"]
    line = (
        "0 to build, 2 up to date, 1 to try again, unchanged since it failed "
        "(dry run: nothing written, nothing decoded)."
    )
    assert plan.summary() == line
    result = invoke("mel", src, "-o", out, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"would try again {src}/text.wav: failed last time: "
    )
    assert result.stderr.splitlines()[-1] == line


def test_a_dry_run_builds_a_failed_input_that_changed(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    (src / "text.wav").write_text("hello\n")
    out = tmp_path / "o"
    melcli.run([src], out, jobs=1)
    (src / "text.wav").write_bytes((src / "0.wav").read_bytes())  # mended
    plan = melcli.run([src], out, dry_run=True)
    assert plan.retries == []
    ((path, why),) = plan.builds
    assert path.name == "text.wav"
    assert why.startswith("input changed since it failed last time: not an audio")
    assert plan.summary().startswith("1 to build, 1 up to date (dry run")
    again = melcli.run([src], out, dry_run=True, params=MelParams(n_mels=64))
    assert dict((p.name, w) for p, w in again.builds)["text.wav"].startswith(
        "input changed since"
    )


def test_a_missing_stats_npz_names_out_in_the_command_to_run(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = tmp_path / "my out"
    melcli.run([src], out, jobs=1)
    with pytest.raises(melcli.MelcliError) as caught:
        SpectrogramDataset(out, normalize=True)
    assert str(caught.value) == (
        f"cannot read {out}/stats.npz: no such file or directory; "
        f"run \"melcli stats '{out}'\""
    )
    given = tmp_path / "train.npz"
    with pytest.raises(melcli.MelcliError) as caught:
        SpectrogramDataset(out, normalize=given)
    assert f"(melcli.write_stats({str(out)!r}, files_from=..., " in str(caught.value)


def test_merge_takes_quiet_as_the_other_commands_do(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 3)
    out = tmp_path / "out"
    for i in range(2):
        melcli.run([src], out, jobs=1, shard=f"{i}/2")
    said = invoke("merge", out, src)
    assert said.exit_code == 0
    assert said.stderr == f"{melcli.merge(out, sources=[src]).summary()}\n"
    quiet = invoke("merge", out, src, "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    (src / "new.wav").write_bytes((src / "0.wav").read_bytes())  # in no shard
    quiet = invoke("merge", out, src, "-q")
    assert quiet.exit_code == 1
    assert quiet.stderr == f"error: {src}/new.wav: in no shard\n"


@pytest.mark.parametrize("name", ["mel", "info", "stats", "merge", "gallery"])
def test_each_command_says_its_exit_statuses_alike(name: str) -> None:
    text = invoke(name, "--help").stdout
    assert "Exit status: 0 " in text
    assert ", 2 usage error" in text or "; 2 nothing merged" in text
    if name in ("mel", "stats", "gallery"):  # they hold OUT's lock
        assert "2 usage error or" in " ".join(text.split())


@pytest.mark.parametrize("names", [["meta.csv"], ["clip.mp4"], []])
def test_info_says_what_it_passed_over_as_a_run_does(
    tmp_path: Path, names: list[str]
) -> None:
    src = tmp_path / "folder"
    src.mkdir()
    for name in names:
        (src / name).write_text("filename,category\n")
    run = melcli.run([src], tmp_path / "o", jobs=1)
    assert melcli.info([src]).warnings == run.warnings
    result = invoke("info", src)
    assert result.stderr == "".join(f"warning: {w}\n" for w in run.warnings)


def test_gallery_prints_progress_lines_in_a_log_as_a_run_does(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 3)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    options = ("-j", "1", "--page-size", "1")
    result = invoke("gallery", out, *options, "--progress-interval", "0.000001")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert [line.split(",")[0] for line in lines[:-1]] == [
        f"progress: {k}/3 inputs ({100 * k // 3}%)" for k in (1, 2, 3)
    ]
    assert lines[-1].startswith(f"{out}/gallery/index.html: 3 inputs")
    quiet = invoke("gallery", out, *options, "-q", "--progress-interval", "0.000001")
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_the_loader_takes_the_label_column_the_gallery_groups_by(
    tmp_path: Path,
) -> None:
    # A path,label table of files in one folder: the classes were the folder's
    # name, one class, where the gallery showed two groups.
    short_tones(tmp_path / "clips", 2)
    table = tmp_path / "meta.csv"
    table.write_text("path,label\nclips/0.wav,dog\nclips/1.wav,cat\n")
    out = tmp_path / "out"
    melcli.run([], out, jobs=1, files_from=table)
    ds = SpectrogramDataset(out)
    assert ds.classes == ["cat", "dog"]
    assert [ds[i][1]["class"] for i in range(2)] == ["dog", "cat"]
    assert melcli.build_gallery(out, jobs=1).to_json()["groups"] == 2
