"""OUT is untrusted input: nothing outside it is read, written or deleted.

OUT is often a CI cache or a shared folder, so its manifest, journal, manifest
parts and shards may be stale, corrupt or crafted. These tests craft them
(names outside OUT, absolute names, ``..``, symbolic links, wrong types, huge
and non-object lines) and check that a *victim* folder next to OUT keeps its
files' bytes and mtimes, that no byte of a secret file outside OUT is ever
copied into OUT, and that no command gives a traceback (the commands run in
process with ``catch_exceptions=False``: an exception fails the test).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from click.testing import Result
from conftest import invoke, mel, tone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from melcli.manifest import JOURNAL_NAME, MANIFEST_NAME, entry_problem
from melcli.manifest_db import STORE_NAME
from melcli.outdir import LOCK_NAME, OutDir, reserved, safe_name
from melcli.shard import Shard, ShardManifest, lock_name
from melcli.stats import STATS_NAME
from melcli.storage.tarshards import shard_name

pytestmark = pytest.mark.usefixtures("isolated")

SECRET = b"SECRET-OUTSIDE-OUT-0123456789"
INPUTS = ("dogs/a.wav", "dogs/b.wav", "cats/c.wav")


# ------------------------------------------------------------------ helpers
def write_wav(path: Path, seconds: float = 0.2, freq: float = 440.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(freq, sr=8000, seconds=seconds), 8000)
    return path


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for k, rel in enumerate(INPUTS):
        write_wav(root / rel, freq=300.0 + 100 * k)
    return root


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A folder next to OUT that nothing may touch; ``p1`` holds the secret."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "p1").write_bytes(SECRET)
    np.save(folder / "v.npy", np.zeros((128, 3), dtype=np.float32))
    return folder


def state(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())
    }


def secret_copied_into(out: Path) -> list[Path]:
    """The files in OUT (links not followed) that hold the secret's bytes."""
    found = []
    for folder, _dirs, files in os.walk(out):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink() and SECRET in path.read_bytes():
                found.append(path)
    return found


def entries(out: Path, name: str = MANIFEST_NAME) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / name).read_text().splitlines()]


def write_lines(path: Path, lines: list[Any]) -> None:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def warnings_of(result: Result) -> list[str]:
    return [x for x in result.stderr.splitlines() if x.startswith("warning: ")]


def built(src: Path, out: Path, *options: object) -> list[dict[str, Any]]:
    result = mel(src, out, *options)
    assert result.exit_code == 0, result.stderr
    return entries(out)


# ------------------------------------------------------------- the helpers
@pytest.mark.parametrize(
    "name",
    ["a.npy", "dogs/a.npy", "d/e/f.000.npy", "shard-000001.tar", ".x", "a..b.npy"],
)
def test_safe_names(name: str) -> None:
    assert safe_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "..",
        "../v",
        "a/../../v",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "a/",
        ".",
        0,
        None,
        ["a"],
        "a\0b",
    ],
)
def test_unsafe_names(name: object) -> None:
    assert not safe_name(name)


def test_reserved_names_are_those_melcli_writes() -> None:
    shard = Shard(3, 10)
    ours = [
        MANIFEST_NAME,
        JOURNAL_NAME,
        LOCK_NAME,
        STATS_NAME,
        "gallery",
        shard_name(0),
        shard_name(1234567),
        ShardManifest(out=Path("o"), shard=shard).path.name,
        ShardManifest(out=Path("o"), shard=shard).journal_path.name,
        lock_name(shard),
    ]
    assert all(reserved(n) for n in ours)
    assert reserved("Manifest.JSONL", fold_case=True)
    assert not reserved("Manifest.JSONL")
    for name in ("dogs", "manifest", "shard-1.tar", "stats", "galleryx", "a.npy"):
        assert not reserved(name)


def test_outdir_refuses_links_and_folders_leading_outside(
    tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    (out / "inside").mkdir(parents=True)
    (out / "inside" / "f.npy").write_bytes(b"x")
    (out / "away").symlink_to(victim)
    (out / "alias").symlink_to(out / "inside")  # a link that stays inside
    (out / "p1").symlink_to(victim / "p1")
    confined = OutDir(out)
    assert confined.folder_problem("away") is not None
    assert confined.folder_problem("alias") is None
    assert confined.file("inside/f.npy") == out / "inside" / "f.npy"
    assert confined.file("alias/f.npy") == out / "alias" / "f.npy"
    assert confined.file("away/p1") is None
    assert confined.file("p1") is None  # a link in a file's place is not followed
    assert confined.stamp("../victim/p1") is None
    assert confined.remove(["away/p1", "../victim/p1", str(victim / "p1")]) == []
    assert confined.remove(["p1"]) == [out / "p1"]  # the link, not its target
    assert (victim / "p1").read_bytes() == SECRET


# ------------------------------------------- crafted names in the manifest
def outside_names(victim: Path) -> list[str]:
    return ["../victim/p1", str(victim / "p1"), "dogs/../../victim/p1"]


@pytest.mark.parametrize("which", range(3))
@pytest.mark.parametrize("how", ["settings changed", "prune gone input"])
def test_crafted_stamps_never_delete_outside_out(
    src: Path, tmp_path: Path, victim: Path, which: int, how: str
) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    before = state(victim)
    stamps = {outside_names(victim)[which]: [len(SECRET), 1]}
    if how == "prune gone input":  # an input that is gone: pruned
        gone = str(src / "gone.wav")  # inside SRC: else not looked up (kept)
        crafted = dict(lines[0], key="old/z.npy", npy="old/z.npy", stamps=stamps)
        lines.append(dict(crafted, source_abs=gone, source_path=gone))
        options: tuple[str, ...] = ("--prune",)
        expected = "0 written, 3 up to date."
    else:  # its settings changed: rebuilt, its earlier outputs deleted
        lines[0]["stamps"].update(stamps)
        lines[0]["settings"] = "0000000000000000"
        options = ()
        expected = "1 written, 2 up to date."
    write_lines(out / MANIFEST_NAME, lines)

    result = mel(src, out, *options)

    assert result.exit_code == 0, result.stderr
    assert state(victim) == before
    assert warnings_of(result) == [
        f"warning: {out / MANIFEST_NAME}: dropped 1 invalid entry (not a JSON "
        "object of the expected fields and types, or naming a file outside OUT); "
        "their inputs are rebuilt"
    ]
    assert result.stderr.splitlines()[-1] == expected
    assert mel(src, out).stderr.splitlines()[-1] == "0 written, 3 up to date."


def test_stamps_through_a_symlinked_folder_in_out_are_not_deleted(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    (out / "link").symlink_to(victim)  # a safe name, through a link
    (out / "old").mkdir()
    (out / "old" / "z.npy").write_bytes(b"z")
    before = state(victim)
    gone = str(src / "gone.wav")  # inside SRC: else not looked up (kept)
    crafted = [
        dict(
            lines[0],
            key=name,
            npy=name,
            stamps={name: [1, 1]},
            source=name.removesuffix(".npy") + ".wav",  # its own: else dropped
            source_abs=gone,
        )
        for name in ("old/z.npy", "link/v.npy")  # inside OUT; through the link
    ]
    write_lines(out / MANIFEST_NAME, lines + crafted)

    result = mel(src, out, "--dry-run", "--prune")  # what the prune does: no more
    assert result.stdout.splitlines() == [
        f"would delete {out / 'old' / 'z.npy'}: its input is gone"
    ]
    result = mel(src, out, "--prune")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1].endswith("1 stale output removed.")

    assert not (out / "old" / "z.npy").exists()  # inside OUT: pruned
    assert state(victim) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stamps", 0),
        ("stamps", {"a.npy": "x"}),
        ("span", True),
        ("shape", -1),
        ("shape", [True]),
        ("members", "x"),
        ("input", [1]),
        ("sr", "22050"),
        ("npy", "../x.npy"),
        ("key", 7),
        ("key", "../../x.npy"),
        ("source_abs", "a\0b"),
        ("segments", {}),
        ("warnings", [1]),
        ("duration", None),
        ("format", "../victim/p1"),
        ("shard", "shard-000000.tar"),  # on an npy entry
    ],
)
def test_wrong_types_are_dropped_with_one_warning(
    src: Path, tmp_path: Path, field: str, value: object
) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    for line in lines:
        line[field] = value
    write_lines(out / MANIFEST_NAME, lines)

    result = mel(src, out, "--dry-run")
    assert result.stdout.count("would build") == 3
    assert len(warnings_of(result)) == 1
    assert "dropped 3 invalid entries" in result.stderr
    stats = invoke("stats", out)
    assert stats.exit_code == 1  # no valid entry: no arrays
    # stats rebuilds nothing: it says what would.
    assert "dropped 3 invalid entries" in stats.stderr
    assert "run 'melcli mel' again to rebuild their inputs" in stats.stderr
    assert "inputs are rebuilt" not in stats.stderr
    result = mel(src, out, "--prune")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "3 written."
    assert invoke("stats", out).exit_code == 0


@pytest.mark.parametrize("name", ["dogs/a.npy", "shard-000000.tar", MANIFEST_NAME])
def test_an_entry_cannot_delete_what_is_not_its_own(
    src: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    (out / name).touch(exist_ok=True)
    cats = next(e for e in lines if e["key"] == "cats/c.npy")
    cats["stamps"][name] = [0, 1]  # another input's array, or melcli's own file
    cats["settings"] = "0" * 16
    write_lines(out / MANIFEST_NAME, lines)

    result = mel(src, out, "--include", "cats/*")

    assert result.exit_code == 0, result.stderr
    assert "dropped 1 invalid entry" in result.stderr
    assert (out / name).exists()


def test_huge_deep_and_non_object_lines_are_dropped(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    raw = (out / MANIFEST_NAME).read_bytes()
    junk = [
        b"[" * 200_000,  # too deep for the JSON parser (RecursionError)
        b'{"key": "' + b"x" * 17_000_000 + b'"}',  # huge, valid, no fields
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"key": "a.npy", "stamps": {"\xff": [1, 2]}}',  # not UTF-8
        b'{"key": "a.npy", "span": [' + b"9" * 5000 + b", 1]}",  # int too long
        b"{not json",
    ]
    (out / MANIFEST_NAME).write_bytes(raw + b"\n".join(junk) + b"\n")

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "0 written, 3 up to date."
    # The 17 MB line too: longer than an entry can be (manifest_db.MAX_ENTRY).
    assert "dropped 8 invalid entries" in result.stderr
    assert len(entries(out)) == len(lines)


def test_manifest_and_journal_that_are_links_are_not_followed(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    built(src, out)
    (out / MANIFEST_NAME).unlink()
    (out / MANIFEST_NAME).symlink_to(victim / "p1")
    (out / JOURNAL_NAME).symlink_to(victim / "v.npy")
    before = state(victim)

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert state(victim) == before
    assert not (out / MANIFEST_NAME).is_symlink()  # replaced by a real manifest
    assert not (out / JOURNAL_NAME).exists()
    assert any("symbolic link" in w for w in warnings_of(result))
    assert mel(src, out).stderr.splitlines()[-1] == "0 written, 3 up to date."


def test_lock_that_is_a_link_is_not_written_through(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(victim / "p1")
    before = state(victim)

    result = mel(src, out)

    assert result.exit_code == 2
    assert "symbolic link" in result.stderr
    assert state(victim) == before


def test_crafted_journal_is_validated_too(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    before = state(victim)
    crafted = dict(lines[0], settings="0" * 16)
    crafted["stamps"] = {str(victim / "p1"): [1, 1]}
    write_lines(out / JOURNAL_NAME, [crafted, {"key": 1}, []])

    result = mel(src, out, "--n-mels", "64")

    assert result.exit_code == 0, result.stderr
    assert f"{out / JOURNAL_NAME}: dropped 3 invalid entries" in result.stderr
    assert state(victim) == before


# ------------------------------------------------- a symlinked output folder
def test_output_folder_linked_outside_out_fails_its_files(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "dogs").symlink_to(outside)

    for _ in range(2):  # the second run says the same, and writes nothing either
        result = mel(src, out)
        assert result.exit_code == 1
        errors = [x for x in result.stderr.splitlines() if x.startswith("error: ")]
        assert errors == [
            f"error: {src / 'dogs' / n}: cannot write output: {out / 'dogs'} leads "
            f"outside the output folder (a symbolic link, to {outside}); melcli "
            "writes only inside OUT"
            for n in ("a.wav", "b.wav")
        ]
        assert result.stderr.splitlines()[-1].endswith("2 failed.")
    assert list(outside.iterdir()) == []
    assert (out / "cats" / "c.npy").is_file()
    assert invoke("stats", out).exit_code == 0


def test_output_folder_linked_inside_out_is_written(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "real").mkdir(parents=True)
    (out / "dogs").symlink_to(out / "real")

    result = mel(src, out)

    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (out / "real").iterdir()) == ["a.npy", "b.npy"]


def test_outputs_recorded_as_links_are_rebuilt_and_never_read_by_stats(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    lines = built(src, out)
    key = lines[0]["key"]
    (out / key).unlink()
    (out / key).symlink_to(victim / "v.npy")
    st = os.lstat(out / key)
    lines[0]["stamps"][key] = [st.st_size, st.st_mtime_ns]  # as lstat sees it
    write_lines(out / MANIFEST_NAME, lines)

    result = invoke("stats", out)
    assert result.exit_code == 1
    assert "not a regular file inside OUT" in result.stderr

    result = mel(src, out)  # the link is not an output: rebuilt in its place
    assert result.stderr.splitlines()[-1] == "1 written, 2 up to date."
    assert not (out / key).is_symlink()
    assert invoke("stats", out).exit_code == 0


# ---------------------------------------------------------- tar shards
@pytest.mark.parametrize("input_gone", [True, False])
def test_crafted_shard_names_never_copy_files_from_outside(
    src: Path, tmp_path: Path, victim: Path, input_gone: bool
) -> None:
    out = tmp_path / "out"
    # A dead sample in shard-000000 (a.wav rebuilt): --prune compacts it.
    built(src, out, "--format", "webdataset")
    write_wav(src / "dogs" / "a.wav", freq=1000.0)
    lines = built(src, out, "--format", "webdataset")
    n = len(SECRET)
    (out / "shard-000009.tar").symlink_to(victim / "p1")
    crafted = []
    for shard in ["../victim/p1", str(victim / "p1"), "shard-000009.tar"]:
        entry = dict(lines[0], shard=shard, span=[0, n], members={"npy": [0, n]})
        entry["stamps"] = {shard: [n, (victim / "p1").stat().st_mtime_ns]}
        entry["sample"] = f"x{len(crafted)}"
        entry["key"] = f"x{len(crafted)}.npy"  # an array's name, as a key must be
        if input_gone:
            entry["source_abs"] = str(src / "gone.wav")  # inside SRC: looked up
        crafted.append(entry)
    write_lines(out / MANIFEST_NAME, lines + crafted)
    before = state(victim)

    for options in [("--dry-run", "--prune"), (), ("--prune",)]:
        result = mel(src, out, "--format", "webdataset", *options)
        assert result.exit_code == 0, result.stderr
        dropped = "dropped 2 invalid entries" in result.stderr
        assert dropped is (options != ("--prune",))  # until a run rewrote it
    result = invoke("stats", out)
    if input_gone:  # pruned: the link is deleted (itself), stats counts the rest
        assert result.exit_code == 0, result.stderr
        assert not (out / "shard-000009.tar").is_symlink()
    else:  # an entry of an input left in place, pointing at a link: refused
        assert result.exit_code == 1
        assert "shard-000009.tar: missing, or not a regular file inside OUT" in (
            result.stderr
        )

    assert secret_copied_into(out) == []
    assert state(victim) == before


def test_sample_spans_beyond_their_shard_are_not_copied(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    built(src, out, "--format", "webdataset")
    write_wav(src / "dogs" / "a.wav", freq=1000.0)
    lines = built(src, out, "--format", "webdataset")  # a's first copy is dead
    old = [e for e in lines if e["shard"] == "shard-000000.tar"]
    assert len(old) == 2
    size = (out / "shard-000000.tar").stat().st_size
    old[0]["span"] = [size + 512, size + 1024]  # past the end of the shard
    old[0]["members"] = {"npy": [size + 1024, 0]}
    write_lines(out / MANIFEST_NAME, lines)

    result = mel(src, out, "--format", "webdataset", "--prune")

    assert result.exit_code == 0, result.stderr
    # Not copied from past the shard's end: its tar headers are not where the
    # entry says, so the input is rebuilt at once, into a shard of its own run.
    rebuilt = {e["key"]: e for e in entries(out)}[old[0]["key"]]
    assert rebuilt["shard"] != "shard-000000.tar"
    assert rebuilt["span"][1] <= (out / rebuilt["shard"]).stat().st_size
    result = mel(src, out, "--format", "webdataset")
    assert result.stderr.splitlines()[-1] == "0 written, 3 up to date."
    assert invoke("stats", out).exit_code == 0


# --------------------------------------------------------------- --shard
def sharded(src: Path, out: Path) -> Path:
    """OUT after ``--shard 0/2`` and ``--shard 1/2`` runs."""
    for i in range(2):
        assert mel(src, out, "--shard", f"{i}/2").exit_code == 0
    return out


def test_crafted_manifest_parts_are_validated_by_shards_and_merge(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = sharded(src, tmp_path / "out")
    before = state(victim)
    part = ShardManifest(out=out, shard=Shard(0, 2)).path
    lines = entries(out, part.name)
    for line in lines:
        line["stamps"] = {"../victim/p1": [1, 1]}
        line["settings"] = "0" * 16
    write_lines(part, [*lines, 5, {"key": None}])

    result = invoke("merge", out)
    assert result.exit_code == 0, result.stderr
    assert f"warning: {part}: dropped {len(lines) + 2} invalid" in result.stderr
    for options in [("--shard", "0/2"), ("--prune",), ("--n-mels", "64", "--prune")]:
        assert mel(src, out, *options).exit_code == 0
    assert invoke("merge", out).exit_code == 0
    assert state(victim) == before


def test_merge_refuses_a_part_that_is_a_link(
    src: Path, tmp_path: Path, victim: Path
) -> None:
    out = sharded(src, tmp_path / "out")
    part = ShardManifest(out=out, shard=Shard(1, 2)).path
    part.unlink()
    part.symlink_to(victim / "p1")

    result = invoke("merge", out)

    assert result.exit_code == 2
    assert f"error: {part} is not a regular file" in result.stderr
    assert not (out / MANIFEST_NAME).exists()


# ------------------------------------------------------- reserved names
RESERVED_FOLDERS = [
    "manifest.jsonl",
    "shard-000000.tar",
    "stats.npz",
    "gallery",
    "manifest.shard-0000-of-0002.jsonl",
]


@pytest.mark.parametrize("fmt", ["npy", "webdataset"])
def test_inputs_under_reserved_names_fail_and_out_keeps_working(
    src: Path, tmp_path: Path, fmt: str
) -> None:
    for name in RESERVED_FOLDERS:
        write_wav(src / name / "x.wav")
    out = tmp_path / "out"

    for _ in range(2):
        result = mel(src, out, "--format", fmt)
        assert result.exit_code == 1
        errors = [x for x in result.stderr.splitlines() if x.startswith("error: ")]
        assert errors == [
            f"error: {src / name / 'x.wav'}: its output would be inside "
            f"{out / name}, a name melcli keeps for its own files in OUT: rename "
            f"the folder, or leave it out with --exclude '{name}/*'"
            for name in sorted(RESERVED_FOLDERS)
        ]
        assert f"{len(INPUTS)} " in result.stderr.splitlines()[-1]
    assert (out / MANIFEST_NAME).is_file()
    assert invoke("stats", out).exit_code == 0
    assert (out / STATS_NAME).is_file()
    excluded = [f"--exclude={name}/*" for name in RESERVED_FOLDERS]
    result = mel(src, out, "--format", fmt, *excluded)
    assert result.exit_code == 0, result.stderr


def test_out_already_holding_a_folder_under_a_reserved_name_fails_cleanly(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / MANIFEST_NAME).mkdir(parents=True)  # left by an older melcli
    (out / "shard-000000.tar").mkdir()
    (out / JOURNAL_NAME).mkdir()

    result = mel(src, out)

    assert result.exit_code == 1
    assert f"error: cannot write {out / MANIFEST_NAME}" in result.stderr
    result = mel(src, out, "--format", "webdataset", "--prune")
    assert result.exit_code == 1


# ---------------------------------------------- one OUT, one set of settings
def test_a_run_leaving_arrays_of_other_settings_says_so(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mix"
    built(src, out, "--n-mels", "80")

    result = mel(src, out, "--include", "dogs/*")

    assert result.exit_code == 0
    assert warnings_of(result) == [
        f"warning: {out} holds the outputs of 1 input made with other settings "
        "than this run's (inputs this run leaves out); they are kept, and 'melcli "
        "stats' counts only the latest settings: use --prune to delete them, or "
        "a new OUT"
    ]
    stats = invoke("stats", out)
    assert stats.exit_code == 0, stats.stderr
    assert warnings_of(stats) == [
        "warning: left out the arrays of 1 input made with other settings than "
        "the latest ones ('melcli mel ... --prune' deletes them)"
    ]
    with np.load(out / STATS_NAME) as saved:
        assert saved["mean"].shape == (128,)

    dry = mel(src, out, "--include", "dogs/*", "--prune", "--dry-run")
    assert dry.stdout.splitlines() == [
        f"would delete {out / 'cats' / 'c.npy'}: made with other settings"
    ]
    assert (out / "cats" / "c.npy").is_file()
    result = mel(src, out, "--include", "dogs/*", "--prune")
    assert result.exit_code == 0
    assert warnings_of(result) == []
    assert not (out / "cats" / "c.npy").exists()
    assert warnings_of(invoke("stats", out)) == []


def test_same_settings_with_include_warns_of_nothing(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built(src, out)
    result = mel(src, out, "--include", "dogs/*", "--prune")
    assert warnings_of(result) == []
    assert (out / "cats" / "c.npy").is_file()


def test_stats_counts_the_latest_settings_of_samples(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built(src, out, "--format", "webdataset", "--n-mels", "40")
    mel(src, out, "--format", "webdataset", "--include", "cats/*")

    result = invoke("stats", out)

    assert result.exit_code == 0, result.stderr
    with np.load(out / STATS_NAME) as saved:
        assert saved["mean"].shape == (128,)
    assert "left out the arrays of 2 inputs" in result.stderr


# ------------------------------------------- random mutations (hypothesis)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
NAMES = st.sampled_from(
    ["../victim/p1", "/tmp", "dogs/../../victim/p1", "link/p1", "dogs/a.npy", ""]
)


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[int, str, object]]:
    fields = st.sampled_from(
        [
            "key",
            "stamps",
            "npy",
            "png",
            "shape",
            "sr",
            "input",
            "span",
            "members",
            "samples",
            "shard",
            "sample",
            "format",
            "status",
            "settings",
            "source_abs",
            "segments",
            "duration",
            "channels",
            "render",
        ]
    )
    value = JSON | NAMES | st.dictionaries(NAMES, JSON | st.just([1, 2]), max_size=2)
    return draw(
        st.lists(st.tuples(st.integers(0, 2), fields, value), min_size=1, max_size=4)
    )


@pytest.mark.parametrize("fmt", ["npy", "webdataset"])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(changes=mutations())
@pytest.mark.slow
def test_random_entry_mutations_never_traceback_nor_touch_outside(
    src: Path, tmp_path: Path, victim: Path, fmt: str, changes: list[Any]
) -> None:
    pristine = tmp_path / f"pristine-{fmt}"
    if not pristine.exists():
        built(src, pristine, "--format", fmt)
        (pristine / "link").symlink_to(victim)
    # Each example starts from the same OUT, up to date (mtimes kept): the
    # mutated entries go down the up-to-date paths too.
    out = tmp_path / f"out-{fmt}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(pristine, out, symlinks=True)
    lines = entries(out)
    for index, field, value in changes:
        lines[index][field] = value
    write_lines(out / MANIFEST_NAME, lines)
    before = state(victim)

    assert mel(src, out, "--format", fmt, "--dry-run", "--prune").exit_code == 0
    assert invoke("stats", out).exit_code in (0, 1)  # 1: an array it cannot read
    assert mel(src, out, "--format", fmt, "--prune").exit_code == 0
    assert invoke("stats", out).exit_code == 0
    assert mel(src, out, "--format", fmt, "--n-mels", "64").exit_code == 0

    assert state(victim) == before
    assert secret_copied_into(out) == []
    assert all(entry_problem(e) is None for e in entries(out))


@pytest.mark.slow
def test_every_entry_melcli_writes_passes_validation(src: Path, tmp_path: Path) -> None:
    """And is up to date on the next run: validation drops nothing melcli wrote.

    With odd names too: control, bidi, zero-width characters, a byte that is
    not UTF-8, ``%`` and dots (which sample keys escape).
    """
    write_wav(src / "empty.wav", seconds=0)  # a failed entry too
    odd = src / "odd" / "a.b\u200d\u202e\n\t%\udcff c.wav"
    os.rename(write_wav(src / "odd" / "tmp.wav"), odd)
    for k, options in enumerate(
        [
            (),
            ("--png",),
            ("--segment", "0.05", "--segment-layout", "files"),
            (
                "--format",
                "webdataset",
                "--segment",
                "0.05",
                "--segment-layout",
                "files",
            ),
            ("--format", "webdataset", "--png"),
        ]
    ):
        out = tmp_path / f"out{k}"
        if "--png" in options:  # the render of a non-UTF-8 title fails (render.py)
            options = (*options, "--exclude", "odd/*")
        mel(src, out, *options)
        lines = entries(out)
        assert [e for e in lines if entry_problem(e) is not None] == [], options
        written = sum(e["status"] == "written" for e in lines)
        assert written == len(INPUTS) + ("--png" not in options), options
        again = mel(src, out, *options).stderr.splitlines()[-1]
        assert again.startswith(f"0 written, {written} up to date"), options


def test_stats_without_a_manifest_does_not_follow_links(
    tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "a.npy", np.ones((4, 5), dtype=np.float32))
    (out / "v.npy").symlink_to(victim / "v.npy")  # 128 bands: would not fit
    (out / "away").symlink_to(victim)

    result = invoke("stats", out)

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1].endswith("4 bands, 5 frames from 1 array")


def test_stats_npz_that_is_a_folder_fails_cleanly(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built(src, out)
    (out / STATS_NAME).mkdir()

    result = invoke("stats", out)

    assert result.exit_code == 1
    # Named once: the message names the file.
    assert f"error: cannot write {out / STATS_NAME}: " in result.stderr


def test_a_folder_in_the_stores_place_is_named_and_left_alone(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    store = out / STORE_NAME
    store.unlink()
    (store / "kept").mkdir(parents=True)  # not melcli's to delete

    result = mel(src, out)

    assert result.exit_code == 1
    assert (
        f"error: cannot write {out / STORE_NAME}: {STORE_NAME} is a folder, "
        "not a file (remove it)"
    ) in result.stderr
    assert (store / "kept").is_dir()
    assert not [p for p in out.iterdir() if "tmp" in p.name], list(out.iterdir())
    shutil.rmtree(store)
    result = mel(src, out)
    assert result.exit_code == 0, result.stderr
    assert store.is_file()
