"""``melcli.run`` gives the warnings the command prints: in ``report.warnings``.

The hints said before the summary (audio in OUT not taken, inputs whose names
differ only by extension, files passed over that may hold audio, ``--include``
taking nothing, a list none of whose files is found, no audio at all) were
made by the command's console: a Python user got none of them, and
``--dry-run`` lacked the one about audio in OUT. The run engine now makes
them; the report (or the dry run's plan) carries them, and the command prints
what it carries.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import mel, short_tones, tone

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def out_hint(out: Path, count: str, example: Path, more: str = "") -> str:
    return (
        f"{out} holds {count} ({example}{more}), not taken: it is OUT, "
        "which is never read as input; give -o a folder of its own"
    )


def audio_in_out(tmp_path: Path) -> tuple[Path, Path]:
    src = short_tones(tmp_path / "audio", 2)
    out = short_tones(src / "speech", 2)  # OUT inside SRC, full of clips
    return src, out


def test_run_reports_audio_in_out(tmp_path: Path) -> None:
    src, out = audio_in_out(tmp_path)
    report = melcli.run([src], out, jobs=1)
    assert report.summary() == "2 written, 1 skipped."
    assert report.warnings == [out_hint(out, "2 audio files", out / "0.wav", ", ...")]


def test_dry_run_reports_audio_in_out(tmp_path: Path) -> None:
    src, out = audio_in_out(tmp_path)
    plan = melcli.run([src], out, dry_run=True)
    hint = out_hint(out, "2 audio files", out / "0.wav", ", ...")
    assert plan.warnings == [hint]
    assert plan.to_json()["warnings"] == [hint]


def test_the_command_dry_run_says_audio_in_out(tmp_path: Path) -> None:
    src, out = audio_in_out(tmp_path)
    result = mel(src, out, "--dry-run")
    assert result.exit_code == 0
    hint = out_hint(out, "2 audio files", out / "0.wav", ", ...")
    assert result.stderr.splitlines() == [
        f"warning: {hint}",
        "2 to build, 0 up to date, 1 skipped (dry run: nothing written, nothing "
        "decoded).",
    ]
    as_json = mel(src, out, "--dry-run", "--json")
    assert json.loads(as_json.stdout)["warnings"] == [hint]


def test_run_reports_names_that_differ_only_by_extension(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    for name in ("a.wav", "a.mp3", "b.wav"):
        sf.write(src / name, tone(sr=8000, seconds=0.2), 8000, format="WAV")
    hint = (
        "2 inputs failed because another input has the same name with another "
        "extension (mp3, wav): keep one of each name, such as with --exclude "
        "'*.mp3', or rename them"
    )
    report = melcli.run([src], tmp_path / "out", jobs=1)
    assert report.summary() == "1 written, 2 failed."
    assert report.warnings == [hint]
    plan = melcli.run([src], tmp_path / "out2", dry_run=True)
    assert plan.warnings == [hint]


def test_run_reports_video_extensions(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    (src / "clip.mp4").write_bytes(b"not looked at")
    report = melcli.run([src], tmp_path / "out", jobs=1)
    assert report.warnings == [
        "1 file passed over by its extension (mp4) may hold audio, which melcli "
        "decodes: to take it too, give --ext mp4,wav"
    ]


def test_run_reports_an_include_that_takes_nothing(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    report = melcli.run([src], tmp_path / "out", include=f"{src}/*", jobs=1)
    assert report.warnings == [
        f"--include '{src}/*' took none of 1 file found: patterns are matched "
        f"against each path relative to its SRC ({src / '0.wav'} is 0.wav); "
        "--include '*' takes 1 of them"
    ]


def test_run_reports_a_list_whose_files_are_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    audio = short_tones(tmp_path / "data" / "audio", 2)
    table = tmp_path / "data" / "meta" / "list.csv"
    table.parent.mkdir()
    table.write_text("filename,label\n0.wav,a\n1.wav,b\n")
    report = melcli.run([], tmp_path / "out", files_from=table, jobs=1)
    assert report.count(melcli.Status.FAILED) == 2
    assert report.warnings == [
        f"no file listed in {table} was found; its paths are taken relative to "
        f"{table.parent}, and they are in {audio}: give --root {audio}"
    ]


def test_run_reports_that_no_audio_was_found(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    report = melcli.run([empty], tmp_path / "out", jobs=1)
    assert report.warnings == ["no audio files found"]
    assert melcli.run([empty], tmp_path / "o2", dry_run=True).warnings == [
        "no audio files found"
    ]


def test_run_reports_an_empty_shard(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    shards = [melcli.run([src], tmp_path / f"o{i}", shard=f"{i}/2") for i in (0, 1)]
    empty = next(r for r in shards if r.n_results == 0)
    index = shards.index(empty)
    assert empty.warnings == [f"no input falls in shard {index}/2 (1 input in all)"]


def test_the_command_prints_each_hint_once(tmp_path: Path) -> None:
    src, out = audio_in_out(tmp_path)
    result = mel(src, out)
    hint = out_hint(out, "2 audio files", out / "0.wav", ", ...")
    assert result.stderr.splitlines() == [f"warning: {hint}", "2 written, 1 skipped."]
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = mel(empty, tmp_path / "o2")
    assert nothing.stderr.splitlines() == [
        "warning: no audio files found",
        "0 written.",
    ]
