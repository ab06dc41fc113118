"""``melcli gallery`` folds notes about inputs as ``melcli mel`` folds warnings.

Seen in a newcomer's trial: an ESC-50 OUT whose dataset folder was moved after
the run printed ``note: 1-100000-A-0.wav: source file not found`` once per
input, 50 lines for 50 clips (2000 for the real ESC-50), before its one line of
summary. A kind of note is now shown for three inputs and the rest counted in
one line, as ``melcli mel`` does with a kind of warning; the API's report
keeps every note, with the input each names. (Source files are looked up,
and noted, with ``--read-sources`` alone: the manifest names them.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import invoke, short_tones

import melcli

MISSING = "source file not found"


def _moved(tmp_path: Path, n: int) -> Path:
    """Run over ``n`` tones, then move their folder away; return OUT."""
    src = short_tones(tmp_path / "audio", n=n)
    out = tmp_path / "out"
    melcli.run(src, out, jobs=1)
    shutil.move(src, tmp_path / "elsewhere")
    return out


def test_a_note_about_every_input_is_shown_three_times_then_counted(
    tmp_path: Path,
) -> None:
    out = _moved(tmp_path, 5)
    result = invoke("gallery", out, "-j", "1", "--read-sources")
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 4, result.stderr
    assert all(line.endswith(f": {MISSING}") for line in notes[:3])
    assert notes[3] == (
        f"note: 2 more inputs noted the same way (such as: {MISSING}); the page "
        "says so on each card"
    )
    assert result.stderr.splitlines()[-1].endswith(
        "5 inputs in 1 group, 0 failed, 0 skipped; 5 pictures drawn, 0 kept."
    )


def test_three_are_shown_in_full_and_the_report_keeps_every_one(
    tmp_path: Path,
) -> None:
    out = _moved(tmp_path, 3)
    result = invoke("gallery", out, "-j", "1", "--read-sources")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(f": {MISSING}\n") == 3
    assert "more input" not in result.stderr
    report = melcli.build_gallery(out, jobs=1, read_sources=True)
    names = [name for name, _ in report.input_notes]
    assert sorted(names) == ["0.wav", "1.wav", "2.wav"]
    assert {why for _, why in report.input_notes} == {MISSING}
    assert report.notes == [f"{name}: {MISSING}" for name in names]


def test_notes_about_out_are_not_folded_with_those_about_inputs(
    tmp_path: Path,
) -> None:
    out = _moved(tmp_path, 4)
    with (out / "manifest.jsonl").open("a") as manifest:
        manifest.write("not json\n")
    report = melcli.build_gallery(out, jobs=1, read_sources=True)
    about_out = [n for n in report.notes if not n.endswith(MISSING)]
    assert about_out, report.notes  # the damaged line is said
    result = invoke("gallery", out, "-j", "1", "--read-sources")
    for note in about_out:
        assert f"note: {note}\n" in result.stderr
    assert result.stderr.count(f": {MISSING}\n") == 3
    assert "note: 1 more input noted the same way" in result.stderr
