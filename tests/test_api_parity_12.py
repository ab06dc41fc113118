"""The Python API and the commands refuse a path in the same words.

A run's OUT that ``melcli stats``, ``gallery`` or ``merge`` reads, and an SRC
(missing, an empty name, inside another SRC), are checked once, by the
library, which raises :class:`melcli.ParameterError` naming the keyword; the
command says the same sentence as click says a bad value, naming the
argument (``Invalid value for 'OUT': Path 'x' does not exist.``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError

#: Each command that reads a run's OUT, and its function.
READERS: dict[str, Callable[[str], object]] = {
    "stats": melcli.write_stats,
    "gallery": melcli.build_gallery,
    "merge": melcli.merge,
}


@pytest.mark.parametrize("command", list(READERS))
@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("featrues", "Path 'featrues' does not exist."),
        ("a.npy", "Path 'a.npy' is a file, not a folder."),
        ("loop", "Path 'loop' is a symbolic link loop."),
    ],
)
def test_out_that_is_no_folder_is_refused_alike(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    name: str,
    said: str,
) -> None:
    # The command said "Directory 'featrues' does not exist." (click's words,
    # also for a link loop); build_gallery "featrues: no manifest.jsonl",
    # write_stats "featrues: no such folder", merge returned a report.
    monkeypatch.chdir(tmp_path)
    Path("a.npy").write_bytes(b"")
    os.symlink("loop", "loop")
    with pytest.raises(ParameterError) as caught:
        READERS[command](name)
    assert caught.value.param == "out"
    assert str(caught.value) == said
    result = invoke(command, name)
    assert result.exit_code == 2
    assert result.stderr.endswith(f"Error: Invalid value for 'OUT': {said}\n")
    assert sorted(os.listdir()) == ["a.npy", "loop"]  # no lock file left


@pytest.mark.parametrize("command", list(READERS))
def test_out_given_as_an_empty_name_is_refused_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError) as caught:
        READERS[command]("")
    assert caught.value.param == "out"
    assert str(caught.value).startswith("out='' is an empty name")
    result = invoke(command, "")
    assert result.exit_code == 2
    assert "Error: Invalid value for 'OUT': an empty name (for the current " in (
        result.stderr
    )


def test_an_src_inside_another_is_a_bad_src_for_the_api_and_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command said it as a failed start ("Error: ...", no usage line), the
    # API raised UsageError, as for a locked OUT; 'melcli info' a traceback.
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))
    short_tones(Path("audio/sub"))
    said = (
        "audio/sub is inside audio, also given: its files would be converted "
        "twice; give only one of them"
    )
    for call in (
        lambda: melcli.run(["audio", "audio/sub"], "out"),
        lambda: melcli.run(["audio", "audio/sub"], "out", dry_run=True),
        lambda: melcli.info(["audio", "audio/sub"]),
    ):
        with pytest.raises(ParameterError) as caught:
            call()
        assert caught.value.param == "sources"
        assert str(caught.value) == said
    for command in (("mel", "audio", "audio/sub", "-o", "out"), ("info", "audio")):
        result = invoke(*command, "audio/sub")
        assert result.exit_code == 2
        assert result.stderr.startswith("Usage: ")  # a usage error
        assert result.stderr.endswith(f"Error: Invalid value for '[SRC]...': {said}\n")
    assert not Path("out").exists()


@pytest.mark.parametrize("command", ["mel", "info", "merge"])
def test_an_empty_src_is_named_an_empty_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # 'melcli mel "$SRC" -o out' with SRC unset said "Path '' does not exist.",
    # the API "sources='' is an empty name (for the current folder, give '.')".
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))
    melcli.run("audio", "out", jobs=1)
    args = {"mel": ("mel", "", "-o", "new"), "info": ("info", ""), "merge": ("merge",)}
    result = invoke(*args[command], *(("out", "") if command == "merge" else ()))
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '[SRC]...': an empty name (for the current "
        "folder, give '.')\n"
    )
    assert not Path("new").exists()


class _Checked(Exception):
    """Raised in place of the run, once the inputs are checked."""


def _stats_of(path: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each os.stat of ``path`` (a str or a Path) from now on."""
    seen: list[str] = []
    real_stat = os.stat

    def stat(target: object, *args: object, **kwargs: object) -> os.stat_result:
        if isinstance(target, str | os.PathLike) and os.fspath(target) == path:
            seen.append(path)
        return real_stat(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    return seen


def test_the_command_checks_each_src_once_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # click's path type looked at it twice (its own check, then click's
    # "exists"), the library once more, then "is it OUT?" once more.
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"))

    def no_run(*args: object, **kwargs: object) -> None:
        raise _Checked

    monkeypatch.setattr(sys.modules["melcli.cli.mel"], "run_session", no_run)
    seen = _stats_of("audio/0.wav", monkeypatch)
    with pytest.raises(_Checked):
        invoke("mel", "audio/0.wav", "-o", "out")
    assert len(seen) == 1


def test_the_command_refuses_a_missing_src_only_once_it_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked while the arguments were parsed: --print-config (which reads
    # no input) failed on it, and without -o the first error was the SRC's.
    monkeypatch.chdir(tmp_path)
    result = invoke("mel", "missing.wav", "-o", "out", "--print-config")
    assert result.exit_code == 0
    result = invoke("mel", "missing.wav")
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Missing option '-o' / '--out'.\n")
    result = invoke("mel", "missing.wav", "-o", "out")
    assert result.stderr.endswith(
        "Error: Invalid value for '[SRC]...': Path 'missing.wav' does not exist.\n"
    )


@pytest.mark.parametrize("page_size", [0, -1, 2.5, "10", True])
def test_a_bad_page_size_is_a_parameter_error(
    tmp_path: Path, page_size: object
) -> None:
    # A MelcliError (0), a TypeError ("10"), or taken (2.5, True: a page of 1).
    src = short_tones(tmp_path / "audio", n=1)
    melcli.run(src, tmp_path / "out", jobs=1)
    with pytest.raises(ParameterError) as caught:
        melcli.build_gallery(tmp_path / "out", page_size=page_size)  # type: ignore[arg-type]
    assert caught.value.param == "page_size"
    assert str(caught.value) == f"page_size={page_size!r} must be a positive integer"
    assert not (tmp_path / "out" / "gallery").exists()


@pytest.mark.parametrize("dry_run", [False, True])
def test_out_in_place_of_a_file_is_refused_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool
) -> None:
    # The command said click's "Directory 'a.npy' is a file." (a usage error),
    # melcli.run "cannot write to a.npy: a file, not a folder" (UsageError),
    # and the command that too for a link loop in OUT's place.
    monkeypatch.chdir(tmp_path)
    short_tones(Path("audio"), n=1)
    Path("a.npy").write_bytes(b"")
    os.symlink("loop", "loop")
    for out, what in (("a.npy", "a file, not a folder"), ("loop", "a symbolic link")):
        with pytest.raises(melcli.UsageError) as caught:
            melcli.run("audio", out, jobs=1, dry_run=dry_run)
        said = str(caught.value)
        assert said.startswith(f"cannot write to {out}: {what}")
        dry = ("--dry-run",) if dry_run else ()
        result = invoke("mel", "audio", "-o", out, "-j", "1", *dry)
        assert result.exit_code == 2
        assert result.stderr == f"Error: {said}\n"
