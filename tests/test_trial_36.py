"""Newcomer trial 36: what a fresh clone's user met, each found by running it."""

from __future__ import annotations

import io
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
from conftest import RUN_LIMIT, clean_env, invoke, mel, tone

from melcli.cli import cli
from melcli.hints import shared_output_hint
from melcli.presets import PRESETS


class _Writes(io.RawIOBase):
    """A stdout that keeps each write the process would make, apart."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.writes.append(bytes(b))
        return len(b)


def _stdout_writes(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[bytes]:
    """Run ``melcli ARGS`` here; return the writes its stdout received."""
    raw = _Writes()
    stdout = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    code: int | str | None = 0
    try:
        cli.main(list(args), prog_name="melcli", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    assert not code, code
    stdout.flush()
    return raw.writes


# ---------------------------------------------------------- output written whole
# README: "An output short enough to be written whole before the reader closes
# (`melcli presets --all | head -1`) ends with 0, as `seq 3 | head -1` does".
# It ended 141 (5 runs of 5 on a loaded 2-core machine): click.echo writes and
# flushes each line, and head had exited after the first.


def test_presets_all_is_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _stdout_writes(monkeypatch, "presets", "--all")
    assert len(writes) == 1
    text = writes[0].decode()
    assert [ln.split(":")[0] for ln in text.splitlines() if ln and ln[0] != " "] == [
        *PRESETS
    ]


@pytest.mark.parametrize("extra", [(), ("--json",), ("whisper", "clap")])
def test_presets_listings_are_one_write(
    monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...]
) -> None:
    writes = _stdout_writes(monkeypatch, "presets", *extra)
    assert len(writes) == 1
    names = extra if extra and extra[0] != "--json" else tuple(PRESETS)
    for name in names:
        assert name in writes[0].decode()


def test_info_table_is_one_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    names = ["a.wav", "b.wav", "c.wav"]
    for name in names:
        sf.write(tmp_path / name, tone(seconds=0.2), 22050)
    writes = _stdout_writes(monkeypatch, "info", str(tmp_path))
    assert len(writes) == 1
    rows = writes[0].decode().splitlines()
    assert rows[0].split()[0] == "path"
    assert [Path(r.split()[0]).name for r in rows[1:]] == names


def test_print_config_is_one_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml of the repository's
    writes = _stdout_writes(
        monkeypatch,
        "mel",
        str(tmp_path),
        "-o",
        "out",
        "--n-mels",
        "64",
        "--print-config",
    )
    assert len(writes) == 1
    lines = writes[0].decode().splitlines()
    assert lines[0] == "[tool.melcli]"
    assert "n_mels = 64  # command line" in lines


def test_presets_all_piped_to_head_ends_0(tmp_path: Path) -> None:
    """As ``melcli presets --all | head -1``: read one line, close the pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "melcli", "presets", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    with proc.stderr:
        stderr = proc.stderr.read()
    assert proc.wait(timeout=RUN_LIMIT) == 0, stderr
    assert first.decode().startswith(f"{next(iter(PRESETS))}: ")


# ------------------------------------------------ the --exclude a clash hint gives
# A name in three formats (a.wav a.flac a.ogg), or names that clash in other
# pairs (a.wav a.flac, b.wav b.ogg): the hint gave one --exclude ('*.ogg'),
# and a run that followed it failed the rest of the clash again, with another
# hint ('*.flac'), a run later.


def _hinted_excludes(stderr: str) -> list[str]:
    """The options of the last warning's 'keep one of each name, such as with ...'."""
    [hint] = [ln for ln in stderr.splitlines() if "keep one of each name" in ln]
    words = hint.split("such as with ", 1)[1].rsplit(", or rename them", 1)[0]
    return shlex.split(words)


@pytest.mark.parametrize(
    "names",
    [
        ["a.wav", "a.flac", "a.ogg", "b.wav"],
        ["a.wav", "a.flac", "b.wav", "b.ogg", "c.flac"],
        ["d/a.wav", "d/a.flac", "d/a.ogg", "d/a.aiff", "e/b.wav", "e/b.ogg"],
    ],
)
def test_following_the_clash_hint_mends_the_run(
    tmp_path: Path, names: list[str]
) -> None:
    src = tmp_path / "audio"
    for k, rel in enumerate(names):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(src / rel, tone(300.0 + 40 * k, sr=8000, seconds=0.2), 8000)
    first = mel(src, tmp_path / "out")
    assert first.exit_code == 1
    excludes = _hinted_excludes(first.stderr)
    assert excludes[0::2] == ["--exclude"] * (len(excludes) // 2)
    again = mel(src, tmp_path / "out", *excludes)
    assert again.exit_code == 0, again.stderr
    assert "warning" not in again.stderr
    stems = {str(Path(n).with_suffix("")) for n in names}
    arrays = {
        str(p.relative_to(tmp_path / "out").with_suffix(""))
        for p in (tmp_path / "out").rglob("*.npy")
    }
    assert arrays == stems


def test_the_clash_hint_keeps_a_whole_input_of_three(tmp_path: Path) -> None:
    """Of a.wav (cut short), a.flac and a.ogg the hint keeps a whole one."""
    src = tmp_path / "audio"
    src.mkdir()
    for k, name in enumerate(["a.wav", "a.flac", "a.ogg", "b.wav"]):
        sf.write(src / name, tone(300.0 + 40 * k, sr=8000, seconds=0.5), 8000)
    whole = (src / "a.wav").read_bytes()
    (src / "a.wav").write_bytes(whole[: len(whole) // 2])  # header says 0.5 s
    first = mel(src, tmp_path / "out")
    assert first.exit_code == 1
    assert "a.wav: output" in first.stderr
    assert "fails on its own: truncated" in first.stderr
    excludes = _hinted_excludes(first.stderr)
    again = mel(src, tmp_path / "out", *excludes)
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.npy")) == [
        "a.npy",
        "b.npy",
    ]


def test_the_clash_hint_by_name_counts_each_extension_left_out() -> None:
    """Patterns would leave out other inputs: the files are named, and counted."""
    reason = "output out/a.npy would also be written by someone else"
    names = [Path(f"x/{s}.{e}") for s in "abcd" for e in ("wav", "flac", "ogg")]
    others = [Path(f"x/z.{e}") for e in ("wav", "flac", "ogg")]
    hint = shared_output_hint(
        ((n, reason) for n in names),
        taken=lambda: [*names, *others],
        sources=[Path("x")],
    )
    assert hint is not None
    shown = hint.split("such as with ", 1)[1].split(" and so on", 1)[0]
    left = [Path("x", w) for w in shlex.split(shown)[1::2]]
    assert set(left) <= set(names)
    left_exts = sorted({p.suffix for p in left})
    assert len(left_exts) == 2  # of three formats, two are left out
    n_left = sum(p.suffix in left_exts for p in names)
    assert f"each of the {n_left} {left_exts[0]} and {left_exts[1]} inputs" in hint


# ------------------------------------------- -v of a --format webdataset run
# Each input written was said as 'wrote OUT/shard-000000.tar', the same line
# for every input: -v did not say which files were written.


def test_verbose_webdataset_lines_name_each_input(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    src.mkdir()
    names = ["a.wav", "b.wav"]
    for k, name in enumerate(names):
        sf.write(src / name, tone(300.0 + 40 * k, sr=8000, seconds=0.2), 8000)
    result = mel(src, tmp_path / "out", "--format", "webdataset", "-v")
    assert result.exit_code == 0, result.stderr
    wrote = [ln for ln in result.stderr.splitlines() if ln.startswith("wrote ")]
    assert len(wrote) == len(names)
    assert len(set(wrote)) == len(names)
    for name in names:
        assert [ln for ln in wrote if ln.endswith(f"{src / name})")], name


# --------------------------------------------- an input's outputs moved in OUT
# README's usage lines 'melcli mel audio/ -o features/ --png' then
# 'find audio -name "*.wav" | melcli mel --files-from - -o features/' into one
# OUT: the second run wrote features/audio/dogs/a.npy and deleted the first
# run's features/dogs/a.npy and .png, and said nothing, not even with -v.


def test_a_run_that_moves_outputs_says_so(tmp_path: Path) -> None:
    src = tmp_path / "audio"
    (src / "dogs").mkdir(parents=True)
    names = ["dogs/a.wav", "dogs/b.wav"]
    for k, rel in enumerate(names):
        sf.write(src / rel, tone(300.0 + 40 * k, sr=8000, seconds=0.2), 8000)
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    listed = tmp_path / "list.txt"
    listed.write_text("".join(f"audio/{rel}\n" for rel in names))
    run = ("--files-from", listed, "--root", tmp_path)
    plan = invoke("mel", "-o", out, *run, "--dry-run")
    result = invoke("mel", "-o", out, "-j", "1", *run)
    assert result.exit_code == 0, result.stderr
    # The old outputs are gone, and both runs said which.
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.npy")) == [
        f"audio/{rel[:-4]}.npy" for rel in names
    ]
    assert not list(out.rglob("*.png"))
    first_old = out / f"{names[0][:-4]}.npy"
    first_new = out / f"audio/{names[0][:-4]}.npy"
    for said in (plan.stderr, result.stderr):
        [warning] = [ln for ln in said.splitlines() if ln.startswith("warning:")]
        assert f"{first_new} (and 1 more input)" in warning
        assert f"made {first_old} before, which is deleted" in warning


def test_the_api_report_holds_the_move_warning(tmp_path: Path) -> None:
    import melcli

    src = tmp_path / "audio"
    src.mkdir()
    sf.write(src / "a.wav", tone(sr=8000, seconds=0.2), 8000)
    out = tmp_path / "out"
    assert not melcli.run([src], out, jobs=1).failures
    listed = tmp_path / "list.txt"
    listed.write_text("audio/a.wav\n")
    plan = melcli.run([], out, files_from=listed, root=tmp_path, dry_run=True)
    report = melcli.run([], out, files_from=listed, root=tmp_path, jobs=1)
    for warnings in (plan.warnings, report.warnings):
        assert [w for w in warnings if f"made {out / 'a.npy'} before" in w]


#: Over the 10 clashing extensions the hint tries to leave out.
MANY_EXTENSIONS = "aac aif aiff au flac m4a oga ogg rf64 w64 wave".split()  # noqa: SIM905


@pytest.mark.parametrize(
    "names",
    [
        # More clashing extensions than the hint tries.
        [f"a.{e}" for e in MANY_EXTENSIONS],
        # Names clashing in a cycle: no extension left out keeps one of each.
        ["a.wav", "a.flac", "b.flac", "b.ogg", "c.ogg", "c.wav"],
    ],
)
def test_clash_hint_without_exclude_says_no_input_fails_on_its_own(
    names: list[str],
) -> None:
    """No --exclude to give, and no input broken: the hint claims none is."""

    inputs = [Path("x") / name for name in names]
    reason = "output out/a.npy would also be written by someone else"
    hint = shared_output_hint(
        ((p, reason) for p in inputs), taken=lambda: inputs, sources=[Path("x")]
    )
    assert hint is not None
    assert "on its own" not in hint
    assert "keep of each name one input, or rename them" in hint
    assert "--exclude" not in hint
