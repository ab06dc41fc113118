"""The review of the trial (session 24): clash hint, one label rule, one option.

Each test here failed on the code before its fix.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
from conftest import invoke, short_tones, two_classes
from test_gallery import summary

import melcli
from melcli.cli import cli
from melcli.data import SpectrogramDataset
from melcli.report import Status


def _copies(src: Path, names: dict[str, str]) -> Path:
    """Write each ``rel`` of ``names`` under ``src`` as a copy of tone ``k.wav``."""
    tones = short_tones(src.parent / "tones", 3)
    for rel, tone in names.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes((tones / f"{tone}.wav").read_bytes())
    return src


def _excludes(report: melcli.Report) -> list[str]:
    """The ``--exclude`` patterns the clash hint of ``report`` suggests."""
    (hint,) = [w for w in report.warnings if "same name with another" in w]
    match = re.search(r"such as with (.*?), or rename them", hint)
    assert match is not None, hint
    words = shlex.split(match.group(1))
    assert words[::2] == ["--exclude"] * (len(words) // 2), hint
    return words[1::2]


def _taken(report: melcli.Report, src: Path) -> list[str]:
    """The inputs ``report`` took (not passed over), relative to ``src``."""
    return sorted(
        r.src.relative_to(src).as_posix()
        for r in report.results
        if r.status is not Status.SKIPPED
    )


def test_one_clash_among_several_wavs_leaves_out_only_the_clashing_input(
    tmp_path: Path,
) -> None:
    # review24: '*.wav' was suggested, and that run built 1 file of 7.
    names = {f"{d}/a{k}.wav": str(k) for d in ("cats", "dogs") for k in range(3)}
    src = _copies(tmp_path / "in", {**names, "cats/a0.flac": "0"})
    report = melcli.run([src], tmp_path / "o", jobs=1)
    assert len(report.failures) == 2
    excludes = _excludes(report)
    # Taken at its word: one input of each name, every other input too.
    again = melcli.run([src], tmp_path / "o", jobs=1, exclude=excludes)
    assert again.failures == []
    assert _taken(again, src) == sorted(names)
    options = [w for e in excludes for w in ("--exclude", e)]
    dry = invoke("mel", src, "-o", tmp_path / "o2", "--dry-run", *options)
    assert dry.stderr.splitlines()[-1].startswith(
        "6 to build, 0 up to date, 1 skipped ("
    ), dry.stderr


def test_a_clash_hint_names_the_inputs_when_every_extension_has_others(
    tmp_path: Path,
) -> None:
    # '*.wav' would leave out b.wav, '*.flac' c.flac: the clashing input is
    # named, its brackets escaped (a pattern's '[1]' matches '1', not '[1]').
    names = {"x/a[1].wav": "0", "x/a[1].flac": "0", "x/b.wav": "1", "y/c.flac": "2"}
    src = _copies(tmp_path / "in", names)
    report = melcli.run([src], tmp_path / "o", jobs=1)
    excludes = _excludes(report)
    assert len(excludes) == 1
    again = melcli.run([src], tmp_path / "o", jobs=1, exclude=excludes)
    assert again.failures == []
    taken = _taken(again, src)
    assert len(taken) == 3
    assert {"x/b.wav", "y/c.flac"} < set(taken)


def _mixed_out(tmp_path: Path) -> Path:
    """An OUT of a ``path,label`` table's run, then of a folder's (no labels)."""
    short_tones(tmp_path / "clips", 2)
    table = tmp_path / "meta.csv"
    table.write_text("path,label\nclips/0.wav,dog\nclips/1.wav,cat\n")
    out = tmp_path / "out"
    melcli.run([], out, jobs=1, files_from=table)
    melcli.run([two_classes(tmp_path / "more")], out, jobs=1)
    return out


def test_the_gallery_groups_a_mixed_out_as_the_loader_labels_it(
    tmp_path: Path,
) -> None:
    # The gallery grouped by 'label' when any entry had it (the folder's
    # inputs as "(no label)"), the loader by folder unless all had it.
    out = _mixed_out(tmp_path)
    ds = SpectrogramDataset(out)
    report = melcli.build_gallery(out, jobs=1)
    assert (
        "2 of 4 inputs have a 'label' column, the others none: grouped by folder, "
        "as SpectrogramDataset labels them; --group-by label groups by it"
    ) in report.notes
    groups = [g[0] for g in summary(out / "gallery")["groups"]]
    assert groups == ds.classes
    assert len(groups) == 3
    # A column chosen by name still groups by it.
    melcli.build_gallery(out, jobs=1, group_by="label")
    groups = [g[0] for g in summary(out / "gallery")["groups"]]
    assert {"(no label)", "cat", "dog"} == set(groups)


def _option(command: click.Command, name: str) -> dict[str, object]:
    (param,) = [p for p in command.params if p.name == name]
    return param.to_info_dict()


def test_mel_and_gallery_take_one_progress_interval_option() -> None:
    # It was written out twice (cli/mel.py and cli/gallery.py): one bundle.
    from melcli.cli.options import progress_option

    bundle = _option(
        progress_option(click.command()(lambda **_: None)), "progress_interval"
    )
    for name in ("mel", "gallery"):
        assert _option(cli.commands[name], "progress_interval") == bundle, name
    assert bundle["envvar"] == "MELCLI_PROGRESS_INTERVAL"
