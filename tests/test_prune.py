"""``--prune``: what it deletes is said, interrupted or not, and ``--dry-run``
predicts it exactly (the same checks on the same OUT, links included)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from conftest import mel, tone

from melcli import write
from melcli.manifest import MANIFEST_NAME

pytestmark = pytest.mark.usefixtures("isolated")
#: Deletes a file of OUT (tests refuse it by patching this and Path.unlink).
REAL_UNLINK = write._unlink


def entries(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / MANIFEST_NAME).read_text().splitlines()]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, name in enumerate(["a", "b", "c", "d", "keep"]):
        (root / "dogs").mkdir(parents=True, exist_ok=True)
        sf.write(root / "dogs" / f"{name}.wav", tone(300.0 + 50 * k), 22050)
    return root


def test_an_interrupted_prune_says_what_it_had_deleted(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    for name in "abcd":
        (src / "dogs" / f"{name}.wav").unlink()
    unlink = Path.unlink
    calls = []

    def ctrl_c_on_the_second(path: Path, missing_ok: bool = False) -> None:
        # A real SIGINT, while the second input's files are being deleted.
        calls.append(path)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        unlink(path, missing_ok)

    monkeypatch.setattr(Path, "unlink", ctrl_c_on_the_second)
    monkeypatch.setattr(write, "_unlink", ctrl_c_on_the_second)
    result = mel(src, out, "--prune", "-v")

    assert result.exit_code == 130
    gone = [out / "dogs" / f"{n}.{ext}" for n in "ab" for ext in ("npy", "png")]
    removed = [f"removed stale {p}" for p in gone]
    assert [x for x in result.stderr.splitlines() if x.startswith("removed")] == (
        removed
    )
    assert result.stderr.splitlines()[-1] == (
        "interrupted: 0 written, 2 stale outputs removed (4 files). "
        "Run again to finish."
    )
    assert not any(p.exists() for p in gone)
    assert (out / "dogs" / "c.npy").is_file()
    # The manifest says so: what was deleted is forgotten, the rest is not.
    keys = {e["key"] for e in entries(out)}
    assert keys == {"dogs/c.npy", "dogs/d.npy", "dogs/keep.npy"}

    assert calls[2] == out / "dogs" / "b.npy"
    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(write, "_unlink", REAL_UNLINK)
    again = mel(src, out, "--prune", "--json")
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["pruned"] == [
        str(out / "dogs" / f"{n}.{ext}") for n in "cd" for ext in ("npy", "png")
    ]
    assert again.stderr.splitlines()[-1] == (
        "0 written, 1 up to date, 2 stale outputs removed (4 files)."
    )


def test_a_dry_run_says_exactly_what_the_prune_deletes(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    for name in "ab":
        (src / "dogs" / f"{name}.wav").unlink()
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "v.npy").write_bytes(b"victim")
    (out / "link").symlink_to(victim)  # a folder leading out: refused
    (out / "inner").symlink_to(out / "dogs")  # a folder inside OUT: followed
    (out / "dogs" / "x.npy").write_bytes(b"x")
    (out / "dogs" / "ln.npy").symlink_to(victim / "v.npy")  # the link goes
    (out / "dir.npy").mkdir()  # a folder is never deleted
    elsewhere = tmp_path / "elsewhere"  # an input this run leaves out
    elsewhere.mkdir()
    sf.write(elsewhere / "e.wav", tone(), 22050)
    (out / "e.npy").write_bytes(b"e")
    (out / "e.png").write_bytes(b"e")
    lines = entries(out)
    gone = str(src / "gone.wav")  # inside SRC: else not looked up (kept)

    def crafted(key: str, png: str | None = None, **fields: Any) -> dict[str, Any]:
        names = [key] if png is None else [key, png]
        stamps = {n: [1, 1] for n in names}
        return {
            **lines[0],
            "key": key,
            "npy": key,
            "png": png,
            "stamps": stamps,
            "source": key.removesuffix(".npy") + ".wav",  # its own, or dropped
            "source_abs": gone,
            **fields,
        }

    lines += [
        crafted("link/v.npy"),
        crafted("inner/x.npy"),
        crafted("dogs/ln.npy"),
        crafted("dir.npy"),
        crafted("missing.npy"),
        crafted(
            "e.npy", "e.png", settings="0" * 16, source_abs=str(elsewhere / "e.wav")
        ),
    ]
    (out / MANIFEST_NAME).write_text("".join(json.dumps(e) + "\n" for e in lines))

    dry = mel(src, out, "--prune", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    plan = json.loads(mel(src, out, "--prune", "--dry-run", "--json").stdout)
    real = mel(src, out, "--prune", "--json", "-v")
    assert real.exit_code == 0, real.stderr
    pruned = json.loads(real.stdout)["pruned"]

    gone_inputs = [
        out / "dogs" / "a.npy",
        out / "dogs" / "a.png",
        out / "dogs" / "b.npy",
        out / "dogs" / "b.png",
        out / "dogs" / "ln.npy",
        out / "inner" / "x.npy",
    ]
    other = [out / "e.npy", out / "e.png"]
    assert plan["delete"] == pruned == [str(p) for p in (*gone_inputs, *other)]
    assert plan["stale"] == []
    assert dry.stderr.splitlines()[-1] == (
        "0 to build, 3 up to date, 8 files to delete (dry run: "
        "nothing written, nothing decoded)."
    )
    assert [x for x in dry.stdout.splitlines() if x.startswith("would delete")] == [
        *(f"would delete {p}: its input is gone" for p in gone_inputs),
        *(f"would delete {p}: made with other settings" for p in other),
    ]
    refused = (
        f"warning: {out / 'link' / 'v.npy'}: not deleted: {out / 'link'} leads "
        f"outside the output folder (a symbolic link, to {victim}); melcli writes "
        "only inside OUT"
    )
    assert refused in dry.stderr.splitlines()  # said by both
    assert refused in real.stderr.splitlines()
    removed = [x for x in real.stderr.splitlines() if x.startswith("removed")]
    assert removed == [f"removed stale {p}" for p in (*gone_inputs, *other)]
    assert (victim / "v.npy").read_bytes() == b"victim"
    assert (out / "dir.npy").is_dir()
    assert not (out / "dogs" / "x.npy").exists()


def test_a_file_the_prune_cannot_delete_is_an_error_and_stays_recorded(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A folder of OUT that is not writable (root can write any: simulated).
    out = tmp_path / "out"
    assert mel(src, out, "--png").exit_code == 0
    (src / "dogs" / "a.wav").unlink()
    unlink = Path.unlink

    def refused(path: Path, missing_ok: bool = False) -> None:
        if path.name == "a.npy":
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path, missing_ok)

    monkeypatch.setattr(Path, "unlink", refused)
    monkeypatch.setattr(write, "_unlink", refused)
    result = mel(src, out, "--prune", "-v")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"removed stale {out / 'dogs' / 'a.png'}" in lines
    assert f"error: cannot delete {out / 'dogs' / 'a.npy'}: permission denied" in lines
    assert "dogs/a.npy" in {e["key"] for e in entries(out)}  # tried again next time
    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(write, "_unlink", REAL_UNLINK)
    again = mel(src, out, "--prune")
    assert again.exit_code == 0, again.stderr
    assert not (out / "dogs" / "a.npy").exists()
    assert "dogs/a.npy" not in {e["key"] for e in entries(out)}


# -----------------------------------------------------------------------------
# Stale outputs are counted as files left in OUT, as ``--prune`` finds them.
#
# An input gone whose outputs had been deleted too (a person tidying both by
# hand) was still counted: ``2 stale outputs (--prune removes them)`` on every
# run, though ``--prune --dry-run`` would delete one file and ``--prune`` said
# ``1 stale output removed``; the same for the outputs of inputs left out that
# were made with other settings. An entry none of whose outputs is left is now
# forgotten, as one of an input that had failed (nothing on disk) always was.


def keys(out: Path) -> list[str]:
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    return sorted(json.loads(line)["key"] for line in lines)


@pytest.fixture
def src_with_sub(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "sub").mkdir(parents=True)
    for k, name in enumerate(["a", "b", "c", "sub/d"]):
        sf.write(root / f"{name}.wav", tone(300.0 + 50 * k), 22050)
    return root


def test_an_input_gone_with_its_outputs_is_no_stale_output(
    src_with_sub: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src_with_sub, out, "--png").exit_code == 0
    for name in ("a.wav", "b.wav", "sub/d.wav"):
        (src_with_sub / name).unlink()
    for name in ("a.npy", "a.png", "sub/d.npy", "sub/d.png"):
        (out / name).unlink()
    (out / "sub").rmdir()

    dry = mel(src_with_sub, out, "--png", "--dry-run")
    assert dry.stdout == f"stale {out / 'b.npy'}: its input is gone\n"
    ran = mel(src_with_sub, out, "--png")
    assert ran.stderr.splitlines()[-1] == (
        "0 written, 1 up to date, 1 stale output (--prune removes it)."
    )
    assert keys(out) == ["b.npy", "c.npy"]  # nothing of a or d is left to tell
    pruned = mel(src_with_sub, out, "--png", "--prune")
    assert pruned.stderr.splitlines()[-1] == (
        "0 written, 1 up to date, 1 stale output removed (2 files)."
    )


def test_outputs_of_other_settings_are_counted_as_they_are_left(
    src_with_sub: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src_with_sub, out, "--n-mels", "64").exit_code == 0
    (out / "c.npy").unlink()  # the output of an input the next run leaves out

    for dry in ("--dry-run", None):
        ran = mel(src_with_sub, out, "--include", "a*", *([dry] if dry else []))
        assert "outputs of 2 inputs made with other settings" in ran.stderr
    assert "c.npy" not in keys(out)
