"""Incremental runs: OUT/manifest.jsonl, --force, --dry-run, --prune, --json."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result
from conftest import WriteAudio, invoke, mel, noise, tone

import melcli
from melcli.cli import cli

DATASET_FILES = (
    "birds/deep/chirp.flac",
    "birds/tweet.wav",
    "dogs/bark1.wav",
    "dogs/bark2.flac",
)
N = len(DATASET_FILES)
BOOKKEEPING = {
    "manifest.jsonl",
    ".melcli.lock",
    ".melcli-journal.jsonl",
    ".melcli-manifest.db",
}
MANIFEST_KEYS = {
    "key",
    "source",
    "source_path",
    "status",
    "error",
    "npy",
    "stamps",
    "input",
    "settings",
    "samplerate",
    "channels",
    "duration",
    "shape",
    "sr",
    "melcli",
    "librosa",
}
JSON_KEYS = {
    "written",
    "up_to_date",
    "skipped",
    "failed",
    "failures",
    "elapsed_seconds",
    "exit_code",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("isolated")


# ------------------------------------------------------------------ helpers
def summary(result: Result) -> str:
    return result.stderr.splitlines()[-1]


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every output under ``out`` (not the bookkeeping): mtime_ns and bytes."""
    return {
        p.relative_to(out).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in BOOKKEEPING
    }


def npy_rel(rel: str) -> str:
    return Path(rel).with_suffix(".npy").as_posix()


def manifest(out: Path) -> dict[str, dict[str, object]]:
    """The manifest's entries by key; every line must be one JSON object."""
    entries = {}
    for line in (out / "manifest.jsonl").read_text(encoding="ascii").splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict)
        entries[entry["key"]] = entry
    return entries


def touch_later(path: Path, seconds: float = 2.0) -> None:
    """Move ``path``'s mtime forward without changing its bytes."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + int(seconds * 1e9)))


def stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


@pytest.fixture
def built(dataset: Path, tmp_path: Path) -> Path:
    """OUT after one complete run over the 4-file dataset."""
    out = tmp_path / "out"
    result = mel(dataset, out)
    assert result.exit_code == 0, result.stderr
    assert summary(result) == f"{N} written."
    return out


# -------------------------------------------------------------- up to date
def test_second_identical_run_writes_nothing(dataset: Path, built: Path) -> None:
    before = snapshot(built)
    assert set(before) == {npy_rel(r) for r in DATASET_FILES}

    result = mel(dataset, built)

    assert result.exit_code == 0
    assert result.stdout == ""
    assert summary(result) == f"0 written, {N} up to date."
    assert snapshot(built) == before
    assert {e["status"] for e in manifest(built).values()} == {"up-to-date"}


@pytest.mark.parametrize("options", [("-j", "2"), ("-q",)], ids=["jobs2", "quiet"])
def test_jobs_and_quiet_rebuild_nothing(
    dataset: Path, built: Path, options: tuple[str, ...]
) -> None:
    before = snapshot(built)
    result = invoke("mel", dataset, "-o", built, *options)

    assert result.exit_code == 0
    assert snapshot(built) == before
    if "-q" in options:
        assert result.stderr == ""
    else:
        assert summary(result) == f"0 written, {N} up to date."


def test_verbose_does_not_claim_up_to_date_files_were_written(
    dataset: Path, built: Path
) -> None:
    before = snapshot(built)
    result = mel(dataset, built, "-v")

    assert result.exit_code == 0
    assert snapshot(built) == before
    assert summary(result) == f"0 written, {N} up to date."
    assert [line for line in result.stderr.splitlines() if "wrote" in line] == []


@pytest.mark.parametrize("change", ["mtime", "content"])
def test_changed_input_rebuilds_only_it(
    dataset: Path, built: Path, tmp_path: Path, change: str
) -> None:
    rel = "dogs/bark1.wav"
    before = snapshot(built)
    if change == "mtime":
        touch_later(dataset / rel)
    else:
        sf.write(dataset / rel, noise(seed=99), 22050)

    result = mel(dataset, built)

    assert result.exit_code == 0, result.stderr
    assert summary(result) == f"1 written, {N - 1} up to date."
    after = snapshot(built)
    assert after.keys() == before.keys()
    for key in before:
        if key == npy_rel(rel):
            assert after[key][0] != before[key][0], "not rebuilt"
        else:
            assert after[key] == before[key], key
    # The rebuilt array is what a fresh run makes of the file as it is now.
    fresh = tmp_path / "fresh"
    assert mel(dataset, fresh).exit_code == 0
    assert after[npy_rel(rel)][1] == (fresh / npy_rel(rel)).read_bytes()
    if change == "content":
        assert after[npy_rel(rel)][1] != before[npy_rel(rel)][1]
    assert manifest(built)[npy_rel(rel)]["input"] == stamp(dataset / rel)


@pytest.mark.parametrize(
    ("options", "check"),
    [
        (("--n-mels", "64"), lambda a: a.shape[-2] == 64),
        (("--dtype", "float16"), lambda a: a.dtype == np.float16),
    ],
    ids=["n_mels", "dtype"],
)
def test_changed_setting_rebuilds_all(
    dataset: Path,
    built: Path,
    options: tuple[str, ...],
    check: Callable[[np.ndarray], bool],
) -> None:
    before = snapshot(built)
    result = mel(dataset, built, *options)

    assert result.exit_code == 0
    assert summary(result) == f"{N} written."
    after = snapshot(built)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key][0] != before[key][0], key
        assert check(np.load(built / key)), key
    # Back to the first settings: everything is rebuilt again.
    assert summary(mel(dataset, built)) == f"{N} written."


def test_force_rebuilds_everything_to_the_same_bytes(
    dataset: Path, built: Path
) -> None:
    before = snapshot(built)
    result = mel(dataset, built, "--force")

    assert result.exit_code == 0
    assert summary(result) == f"{N} written."
    after = snapshot(built)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key][0] != before[key][0], key
        assert after[key][1] == before[key][1], key


@pytest.mark.parametrize("how", ["deleted", "overwritten"])
def test_missing_or_changed_output_rebuilds_only_it(
    dataset: Path, built: Path, how: str
) -> None:
    victim = npy_rel("birds/tweet.wav")
    before = snapshot(built)
    if how == "deleted":
        (built / victim).unlink()
    else:
        np.save(built / victim, np.zeros((3, 3), dtype=np.float32))

    result = mel(dataset, built)

    assert result.exit_code == 0
    assert summary(result) == f"1 written, {N - 1} up to date."
    after = snapshot(built)
    assert after.keys() == before.keys()
    assert after[victim][1] == before[victim][1]
    for key in before.keys() - {victim}:
        assert after[key] == before[key], key


@pytest.mark.parametrize("settings", [(), ("--sr", "native")], ids=["22050", "native"])
def test_adding_png_renders_only_the_pngs(
    dataset: Path, tmp_path: Path, settings: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    assert mel(dataset, out, *settings).exit_code == 0
    before = snapshot(out)

    result = mel(dataset, out, *settings, "--png")

    assert result.exit_code == 0, result.stderr
    assert summary(result) == f"{N} written (only their PNGs)."
    after = snapshot(out)
    pngs = {Path(r).with_suffix(".png").as_posix() for r in DATASET_FILES}
    assert after.keys() == before.keys() | pngs
    for key in before:
        assert after[key] == before[key], f"{key} was rewritten"
    # Each PNG is the one a fresh --png run draws (same machine, same fonts).
    fresh = tmp_path / "fresh"
    assert mel(dataset, fresh, *settings, "--png").exit_code == 0
    for key in pngs:
        assert after[key][1][:8] == PNG_SIGNATURE
        assert after[key][1] == (fresh / key).read_bytes(), key
    # And now both are up to date.
    assert (
        summary(mel(dataset, out, *settings, "--png")) == f"0 written, {N} up to date."
    )
    assert snapshot(out) == after


def test_deleted_png_is_rendered_again_alone(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert mel(dataset, out, "--png").exit_code == 0
    before = snapshot(out)
    (out / "dogs/bark1.png").unlink()

    result = mel(dataset, out, "--png")

    assert summary(result) == f"1 written (only its PNG), {N - 1} up to date."
    after = snapshot(out)
    assert after["dogs/bark1.png"][1] == before["dogs/bark1.png"][1]
    for key in before.keys() - {"dogs/bark1.png"}:
        assert after[key] == before[key], key


# ------------------------------------------------------ stale and --prune
def test_deleted_input_outputs_are_reported_stale_and_kept(
    dataset: Path, built: Path
) -> None:
    gone = "dogs/bark2.flac"
    before = snapshot(built)
    (dataset / gone).unlink()

    result = mel(dataset, built, "--json", "-v")

    assert result.exit_code == 0
    line = summary(result)
    assert line.startswith(f"0 written, {N - 1} up to date, 1 stale"), line
    assert "--prune" in line
    stale = built / npy_rel(gone)
    assert f"stale {stale}: its input is gone" in result.stderr.splitlines()
    assert json.loads(result.stdout)["stale"] == [str(stale)]
    assert snapshot(built) == before
    assert npy_rel(gone) in manifest(built)


def test_prune_removes_outputs_of_deleted_inputs(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert mel(dataset, out, "--png").exit_code == 0
    gone = "dogs/bark2.flac"
    before = snapshot(out)
    (dataset / gone).unlink()

    result = mel(dataset, out, "--png", "--prune", "--json")

    assert result.exit_code == 0
    assert summary(result).startswith(f"0 written, {N - 1} up to date, ")
    assert "removed" in summary(result)
    removed = {npy_rel(gone), Path(gone).with_suffix(".png").as_posix()}
    assert sorted(json.loads(result.stdout)["pruned"]) == sorted(
        str(out / r) for r in removed
    )
    after = snapshot(out)
    assert after == {k: v for k, v in before.items() if k not in removed}
    assert npy_rel(gone) not in manifest(out)
    # Nothing is stale any more.
    assert summary(mel(dataset, out, "--png")) == f"0 written, {N - 1} up to date."


def test_prune_keeps_outputs_of_inputs_left_out_by_a_filter(
    dataset: Path, built: Path
) -> None:
    before = snapshot(built)
    result = mel(dataset, built, "--include", "dogs/*", "--prune")

    assert result.exit_code == 0
    assert snapshot(built) == before  # the birds' arrays are still there
    assert "stale" not in summary(result)


def test_prune_keeps_outputs_of_existing_inputs_when_run_from_elsewhere(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the relative paths below start here
    first = invoke("mel", "audio", "-o", "out", "-j", "1")  # relative paths
    assert first.exit_code == 0, first.stderr
    out = tmp_path / "out"
    before = snapshot(out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = mel(dataset, out, "--include", "dogs/*", "--prune")

    assert result.exit_code == 0
    assert snapshot(out) == before  # the birds' inputs still exist
    assert "stale" not in summary(result)


def test_prune_forgets_a_failed_input_that_is_gone(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("good.wav")
    bad = tmp_path / "audio" / "bad.wav"
    bad.write_bytes(b"not audio at all" * 64)
    out = tmp_path / "out"
    assert mel(tmp_path / "audio", out).exit_code == 1
    bad.unlink()

    assert mel(tmp_path / "audio", out, "--prune").exit_code == 0
    assert [e["source_path"] for e in manifest(out).values()] == [
        str(tmp_path / "audio" / "good.wav")
    ]


# ----------------------------------------------------------------- dry run
def test_dry_run_on_fresh_out_lists_everything_and_creates_nothing(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = mel(dataset, out, "--dry-run")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sorted(lines) == sorted(
        f"would build {dataset / r}: new" for r in DATASET_FILES
    )
    assert not out.exists()


def test_dry_run_lists_exactly_the_touched_input(dataset: Path, built: Path) -> None:
    touched = dataset / "birds/deep/chirp.flac"
    touch_later(touched)
    before = snapshot(built)
    manifest_bytes = (built / "manifest.jsonl").read_bytes()

    result = mel(dataset, built, "--dry-run")

    assert result.exit_code == 0
    assert result.stdout == f"would build {touched}: input changed\n"
    assert snapshot(built) == before
    assert (built / "manifest.jsonl").read_bytes() == manifest_bytes
    assert not (built / ".melcli-journal.jsonl").exists()
    # The dry run changed nothing: the real run still rebuilds that one file.
    assert summary(mel(dataset, built)) == f"1 written, {N - 1} up to date."


# -------------------------------------------------------------------- json
@pytest.fixture
def mixed(dataset: Path) -> Path:
    """The dataset plus a file that is not audio and a README that is skipped."""
    rng = np.random.default_rng(7)
    (dataset / "dogs/broken.wav").write_bytes(
        rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    )
    (dataset / "README.txt").write_text("labels: dogs, birds\n", encoding="utf-8")
    return dataset


def test_json_summary_on_stdout_matches_the_run(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = mixed / "dogs/broken.wav"
    first = mel(mixed, out, "--json")

    assert first.exit_code == 1
    assert len(first.stdout.splitlines()) == 1
    data = json.loads(first.stdout)
    assert set(data) >= JSON_KEYS
    assert (data["written"], data["up_to_date"], data["skipped"], data["failed"]) == (
        N,
        0,
        1,
        1,
    )
    [failure] = error_lines(first)
    assert data["failures"] == [
        {"path": str(broken), "reason": failure.removeprefix(f"error: {broken}: ")}
    ]
    assert data["exit_code"] == first.exit_code
    assert isinstance(data["elapsed_seconds"], float)
    assert data["elapsed_seconds"] >= 0
    assert summary(first) == f"{N} written, 1 skipped, 1 failed."

    second = mel(mixed, out, "--json")
    data = json.loads(second.stdout)
    assert (data["written"], data["up_to_date"], data["skipped"], data["failed"]) == (
        0,
        N,
        1,
        1,
    )
    assert data["exit_code"] == second.exit_code == 1
    assert [f["path"] for f in data["failures"]] == [str(broken)]


# ---------------------------------------------------------------- manifest
def test_manifest_has_one_complete_entry_per_input(dataset: Path, built: Path) -> None:
    text = (built / "manifest.jsonl").read_text(encoding="ascii")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == N
    entries = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) for e in entries)
    by_source = {e["source"]: e for e in entries}
    assert set(by_source) == set(DATASET_FILES)
    settings = {e["settings"] for e in entries}
    assert len(settings) == 1
    for rel, entry in by_source.items():
        src, npy = dataset / rel, built / npy_rel(rel)
        info = sf.info(src)
        assert set(entry) >= MANIFEST_KEYS, MANIFEST_KEYS - set(entry)
        assert entry["key"] == entry["npy"] == npy_rel(rel)
        assert entry["source_path"] == str(src)
        assert entry["status"] == "written"
        assert entry["error"] == ""
        assert entry["stamps"] == {npy_rel(rel): stamp(npy)}
        assert entry["input"] == stamp(src)
        assert entry["samplerate"] == info.samplerate
        assert entry["channels"] == info.channels
        assert entry["duration"] == pytest.approx(info.duration, abs=1e-5)
        assert entry["shape"] == list(np.load(npy).shape)
        assert entry["sr"] == 22050
        assert entry["melcli"] == melcli.__version__
        assert entry["librosa"] == metadata.version("librosa")

    mel(dataset, built, "--n-mels", "64")
    assert {e["settings"] for e in manifest(built).values()}.isdisjoint(settings)


def test_failed_file_is_recorded_and_retried(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    """A failure is tried again even when the input's size and mtime are the same."""
    audio = tmp_path / "audio"
    write_audio("ok.wav")
    good = write_audio("later_good.wav", tone(660.0, seconds=0.5), subtype="PCM_16")
    good_bytes = good.read_bytes()
    bad = audio / "x.wav"
    rng = np.random.default_rng(3)
    bad.write_bytes(rng.integers(0, 256, len(good_bytes), dtype=np.uint8).tobytes())
    good.unlink()
    out = tmp_path / "out"

    first = mel(audio, out)

    assert first.exit_code == 1
    [line] = error_lines(first)
    entry = manifest(out)["x.npy"]
    assert entry["status"] == "failed"
    assert entry["error"]
    assert line == f"error: {bad}: {entry['error']}"
    assert entry["stamps"] == {}
    assert not (out / "x.npy").exists()
    recorded = entry["input"]
    # Now make x.wav valid audio with the very size and mtime recorded.
    bad.write_bytes(good_bytes)
    os.utime(bad, ns=(recorded[1], recorded[1]))
    assert stamp(bad) == recorded

    second = mel(audio, out)

    assert second.exit_code == 0, second.stderr
    assert summary(second) == "1 written, 1 up to date."
    assert manifest(out)["x.npy"]["status"] == "written"
    assert np.load(out / "x.npy").shape[0] == 128


@pytest.mark.parametrize(
    ("change", "options", "ending"),
    [
        ("garbage", (), "1 failed."),
        ("short", ("--min-duration", "0.5"), "1 skipped."),
    ],
)
def test_an_input_that_now_fails_or_is_skipped_leaves_no_old_outputs(
    dataset: Path, tmp_path: Path, change: str, options: tuple[str, ...], ending: str
) -> None:
    # Its old array and PNG describe audio that is gone; kept, they would be
    # files in OUT that no manifest entry records and --prune never removes.
    out = tmp_path / "out"
    assert mel(dataset, out, "--png", *options).exit_code == 0
    rel = "dogs/bark1.wav"
    before = snapshot(out)
    if change == "garbage":
        (dataset / rel).write_bytes(b"RIFF but no audio" * 50)
    else:
        sf.write(dataset / rel, tone(440.0, seconds=0.1), 22050)
    touch_later(dataset / rel)

    result = mel(dataset, out, "--png", *options)

    assert summary(result).endswith(ending), result.stderr
    after = snapshot(out)
    gone = {npy_rel(rel), Path(rel).with_suffix(".png").as_posix()}
    assert gone <= before.keys()
    assert after.keys() == before.keys() - gone
    assert all(after[k] == before[k] for k in after)
    assert manifest(out)[npy_rel(rel)]["status"] == ending.split()[1].rstrip(".")


def test_non_utf8_name_round_trips_through_the_manifest(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    plain = write_audio("plain.wav")
    raw = os.fsencode(plain.parent) + b"/caf\xe9.wav"
    try:
        os.rename(write_audio("tmp_name.wav", noise(seed=5)), os.fsdecode(raw))
    except OSError:  # pragma: no cover - e.g. macOS rejects such names
        pytest.skip("file system does not take non-UTF-8 names")
    out = tmp_path / "out"

    result = mel(plain.parent, out)

    assert result.exit_code == 0, result.stderr
    lines = (out / "manifest.jsonl").read_bytes().splitlines()
    entries = [json.loads(line) for line in lines]
    [entry] = [e for e in entries if e["source_path"] != str(plain)]
    assert os.fsencode(entry["source_path"]) == raw
    assert os.fsencode(entry["key"]) == b"caf\xe9.npy"
    assert os.path.isfile(os.fsencode(out) + b"/caf\xe9.npy")
    assert summary(mel(plain.parent, out)) == "0 written, 2 up to date."


def test_torn_journal_line_is_ignored_after_a_killed_run(
    dataset: Path, built: Path
) -> None:
    """A run killed mid-line leaves a journal whose last line is cut short."""
    before = snapshot(built)
    lines = (built / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    kept = [json.loads(line)["key"] for line in lines[:2]]
    torn = lines[2][: len(lines[2]) // 2]
    (built / ".melcli-journal.jsonl").write_bytes(lines[0] + lines[1] + torn)
    (built / "manifest.jsonl").unlink()  # as a first run killed leaves OUT
    (built / ".melcli-manifest.db").unlink()

    result = mel(dataset, built)

    assert result.exit_code == 0, result.stderr
    assert summary(result) == f"{N - 2} written, 2 up to date."
    after = snapshot(built)
    for key in kept:
        assert after[key] == before[key], key
    assert not (built / ".melcli-journal.jsonl").exists()
    entries = manifest(built)
    assert set(entries) == {npy_rel(r) for r in DATASET_FILES}
    assert summary(mel(dataset, built)) == f"0 written, {N} up to date."


# --------------------------------------------------------------- fail fast
def test_fail_fast_stops_at_the_first_failure(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    rng = np.random.default_rng(11)
    bad = [audio / f"a{i}.wav" for i in range(5)]
    for path in bad:
        path.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    for i in range(3):
        sf.write(audio / f"z{i}.wav", noise(seed=i), 22050)
    out = tmp_path / "out"

    result = mel(audio, out, "--fail-fast", "--json")

    assert result.exit_code == 1
    errors = error_lines(result)
    assert len(errors) == 1
    assert re.match(rf"error: {re.escape(str(bad[0]))}: ", errors[0])
    data = json.loads(result.stdout)
    assert data["failed"] == 1
    assert data["written"] == 0
    assert data["stopped_early"] is True
    assert data["not_tried"] == 7
    assert summary(result) == (
        "stopped at the first failure (--fail-fast): 0 written, 1 failed, 7 not tried."
    )
    assert not list(out.rglob("*.npy"))
    # Without --fail-fast every file is tried.
    result = mel(audio, out, "--json")
    assert len(error_lines(result)) == len(bad)
    assert json.loads(result.stdout)["written"] == 3


@pytest.mark.parametrize("name", ["librosa", "numpy", "soundfile", "click"])
def test_installed_version_agrees_with_importlib_metadata(name: str) -> None:
    from melcli.manifest import installed_version

    assert installed_version(name) == metadata.version(name)


def test_installed_version_of_a_missing_package_is_unknown() -> None:
    from melcli.manifest import installed_version

    assert installed_version("no_such_package_melcli") == "unknown"


def test_manifest_records_the_effective_settings(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["mel", str(dataset), "-o", str(out), "-j", "1"]
    result = CliRunner().invoke(cli, [*args, "--preset", "whisper", "--n-mels", "64"])
    assert result.exit_code == 0, result.stderr
    entries = [
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()
    ]
    written = [e for e in entries if e["status"] == "written"]
    assert written
    for entry in written:
        params = melcli.MelParams(**entry["params"])
        assert params.fingerprint() == entry["settings"]
        assert (params.sr, params.n_fft, params.n_mels) == (16000, 400, 64)
        assert (params.scale, params.drop_last_frame) == ("log10", True)
    again = CliRunner().invoke(cli, args)  # defaults: nothing differs
    assert again.exit_code == 0, again.stderr
    entries = [
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()
    ]
    assert all(e["params"] == {} for e in entries if e["status"] == "written")


# ------------------------------------- two folders of one name into one OUT
def test_an_output_another_input_made_is_replaced_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import short_tones

    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "a", n=2)
    short_tones(tmp_path / "b", n=1)
    (tmp_path / "b" / "0.wav").write_bytes((tmp_path / "a" / "1.wav").read_bytes())
    runner = CliRunner()
    first = runner.invoke(cli, ["mel", "a", "-o", "OUT", "-j", "1"])
    assert first.exit_code == 0, first.stderr
    dry = runner.invoke(cli, ["mel", "b", "-o", "OUT", "-j", "1", "--dry-run", "-v"])
    assert "would build b/0.wav: made from another input, a/0.wav, before" in dry.stdout
    said = (
        "warning: OUT/0.npy was made from a/0.wav, which is still there: this run "
        "replaces it with b/0.wav's. Folders with files of the same names need one "
        "run with all of them (each gets a folder in OUT) or an OUT each"
    )
    assert said in dry.stderr
    second = runner.invoke(cli, ["mel", "b", "-o", "OUT", "-j", "1"])
    assert second.exit_code == 0, second.stderr
    assert said in second.stderr
    assert second.stderr.endswith("1 written.\n")
    entry = next(
        json.loads(line) for line in Path("OUT/manifest.jsonl").read_text().splitlines()
    )
    assert entry["source_path"] == "b/0.wav"
    # Up to date now: nothing replaced, nothing said.
    third = runner.invoke(cli, ["mel", "b", "-o", "OUT", "-j", "1"])
    assert "warning" not in third.stderr


def test_a_moved_input_or_one_reached_through_a_link_is_not_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import short_tones

    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "a", n=1)
    (tmp_path / "link").symlink_to("a")
    runner = CliRunner()
    assert runner.invoke(cli, ["mel", "a", "-o", "OUT", "-j", "1"]).exit_code == 0
    # The same file by another path, rebuilt for new settings.
    linked = runner.invoke(
        cli, ["mel", "link", "-o", "OUT", "-j", "1", "--n-mels", "64"]
    )
    assert linked.exit_code == 0, linked.stderr
    assert "warning" not in linked.stderr
    # A folder renamed and its file changed: the old input is gone.
    (tmp_path / "a").rename(tmp_path / "moved")
    sf.write(tmp_path / "moved" / "0.wav", tone(500.0, sr=8000, seconds=0.2), 8000)
    moved = runner.invoke(cli, ["mel", "moved", "-o", "OUT", "-j", "1"])
    assert moved.exit_code == 0, moved.stderr
    assert "warning" not in moved.stderr
    assert moved.stderr.endswith("1 written.\n")
