"""The ``melcli`` command, through click's CliRunner and as a real process."""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result
from conftest import RUN_LIMIT, WriteAudio, invoke, noise, tone

import melcli
from melcli.cli import cli

TEMP_MARK = ".melcli-tmp"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATASET_FILES = (
    "birds/deep/chirp.flac",
    "birds/tweet.wav",
    "dogs/bark1.wav",
    "dogs/bark2.flac",
)


# ------------------------------------------------------------------ helpers
def stderr_lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


def npy_for(out: Path, rel: str) -> Path:
    return out / Path(rel).with_suffix(".npy")


BOOKKEEPING = {"manifest.jsonl", ".melcli.lock", ".melcli-manifest.db"}


def files_under(root: Path) -> set[str]:
    """Output files under ``root``, without the run's manifest and lock."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).as_posix() not in BOOKKEEPING
    }


def resampled_length(path: Path, sr: int = 22050) -> int:
    """Samples after resampling to ``sr``, as librosa's ``fix=True`` sizes them."""
    info = sf.info(path)
    return math.ceil(info.frames * sr / info.samplerate)


def centered_frames(n: int, hop_length: int) -> int:
    return 1 + n // hop_length


def melcli_command() -> list[str]:
    script = Path(sys.executable).with_name("melcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "melcli"]


def run_process(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*melcli_command(), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )


@pytest.fixture
def bad_batch(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """Two good files and three bad ones: random bytes, an HTML page, 0 bytes."""
    write_audio("good1.wav", tone(440.0))
    write_audio("sub/good2.flac", noise(seed=3))
    root = tmp_path / "audio"
    rng = np.random.default_rng(42)
    (root / "bad.wav").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (root / "page.mp3").write_text(
        "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
        "<body><h1>Not Found</h1></body></html>\n",
        encoding="utf-8",
    )
    (root / "empty.flac").write_bytes(b"")
    return root


BAD_NAMES = ("bad.wav", "page.mp3", "empty.flac")
GOOD_RELS = ("good1.wav", "sub/good2.flac")


def error_lines(result: Result) -> list[str]:
    return [line for line in stderr_lines(result) if line.startswith("error: ")]


def reason_for(result: Result, path: Path) -> str:
    prefix = f"error: {path}: "
    matches = [line for line in stderr_lines(result) if line.startswith(prefix)]
    assert len(matches) == 1, (prefix, result.stderr)
    return matches[0][len(prefix) :]


# ------------------------------------------------------------ help, version
def test_version_names_program_and_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert "melcli" in result.stdout
    assert melcli.__version__ in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--help",), ("mel", "info")),
        (("-h",), ("mel", "info")),
        (("mel", "--help"), ("--out", "--png", "--jobs", "--n-mels", "--no-mono")),
        (("info", "--help"), ("--json", "--ext", "--include", "--exclude")),
    ],
)
def test_help_exits_zero_and_lists_commands_or_options(
    args: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    result = invoke(*args)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage:")
    for word in expected:
        assert word in result.stdout
    assert result.stderr == ""


# ------------------------------------------------------------ mel: success
def test_mel_writes_one_float32_array_per_file_mirroring_tree(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "-j", "1")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert stderr_lines(result)[-1] == f"{len(DATASET_FILES)} written."
    assert files_under(out) == {
        Path(r).with_suffix(".npy").as_posix() for r in DATASET_FILES
    }
    for rel in DATASET_FILES:
        S_db = np.load(npy_for(out, rel))
        frames = centered_frames(resampled_length(dataset / rel), 512)
        assert S_db.dtype == np.float32
        assert S_db.shape == (128, frames)
        assert np.isfinite(S_db).all()


@pytest.mark.parametrize(
    ("rel", "freq"), [("birds/tweet.wav", 3000.0), ("birds/deep/chirp.flac", 1000.0)]
)
def test_mel_output_belongs_to_its_input(
    dataset: Path, tmp_path: Path, rel: str, freq: float
) -> None:
    """Each array carries its own tone: the loudest mel band sits at its frequency."""
    import librosa

    out = tmp_path / "out"
    assert invoke("mel", dataset, "-o", out, "-j", "1").exit_code == 0
    S_db = np.load(npy_for(out, rel))
    centres = librosa.mel_frequencies(n_mels=128 + 2, fmax=22050 / 2)[1:-1]
    peak = centres[np.argmax(S_db.mean(axis=1))]
    assert peak == pytest.approx(freq, rel=0.08)


def test_mel_png_writes_valid_png_next_to_each_array(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "-j", "1", "--png")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    for rel in DATASET_FILES:
        assert npy_for(out, rel).is_file()
        png = out / Path(rel).with_suffix(".png")
        assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]


def test_mel_parallel_matches_serial_byte_for_byte(
    dataset: Path, tmp_path: Path
) -> None:
    serial, parallel = tmp_path / "j1", tmp_path / "j2"
    r1 = invoke("mel", dataset, "-o", serial, "-j", "1")
    r2 = invoke("mel", dataset, "-o", parallel, "-j", "2")

    assert (r1.exit_code, r2.exit_code) == (0, 0)
    assert stderr_lines(r2)[-1] == f"{len(DATASET_FILES)} written."
    assert files_under(serial) == files_under(parallel)
    assert len(files_under(serial)) == len(DATASET_FILES)
    for rel in files_under(serial):
        assert (serial / rel).read_bytes() == (parallel / rel).read_bytes(), rel


def test_mel_file_given_directly_maps_to_its_stem(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    src = write_audio("deep/down/clip.wav")
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1")
    assert result.exit_code == 0
    assert files_under(out) == {"clip.npy"}


# ---------------------------------------------------------- mel: bad files
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_mel_bad_files_fail_alone(bad_batch: Path, tmp_path: Path, jobs: str) -> None:
    out = tmp_path / "out"
    result = invoke("mel", bad_batch, "-o", out, "-j", jobs)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(error_lines(result)) == len(BAD_NAMES)
    for name in BAD_NAMES:
        reason = reason_for(result, bad_batch / name)
        assert re.search(r"[a-z]{3,} [a-z]{2,}", reason), reason  # words
        assert name not in reason  # the path is said once, before the reason
        assert "Traceback" not in reason
    assert reason_for(result, bad_batch / "empty.flac").startswith("empty file")
    assert "not an audio file" in reason_for(result, bad_batch / "bad.wav")
    assert (
        stderr_lines(result)[-1]
        == f"{len(GOOD_RELS)} written, {len(BAD_NAMES)} failed."
    )
    assert files_under(out) == {
        Path(r).with_suffix(".npy").as_posix() for r in GOOD_RELS
    }
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]


def test_mel_html_named_mp3_reason_does_not_claim_file_is_missing(
    bad_batch: Path, tmp_path: Path
) -> None:
    result = invoke("mel", bad_batch, "-o", tmp_path / "out", "-j", "1")
    reason = reason_for(result, bad_batch / "page.mp3")
    assert "not exist" not in reason
    assert "pipe" not in reason
    assert "not an audio file" in reason or "cannot decode" in reason


def test_mel_quiet_still_prints_errors(bad_batch: Path, tmp_path: Path) -> None:
    result = invoke("mel", bad_batch, "-o", tmp_path / "out", "-j", "1", "-q")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert stderr_lines(result) == error_lines(result)
    assert len(error_lines(result)) == len(BAD_NAMES)


def test_mel_collision_fails_both_and_names_the_other(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    a_wav = write_audio("a.wav")
    a_flac = write_audio("a.flac", noise())
    write_audio("b.wav")
    out = tmp_path / "out"
    result = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(error_lines(result)) == 2
    assert str(a_flac) in reason_for(result, a_wav)
    assert str(a_wav) in reason_for(result, a_flac)
    assert files_under(out) == {"b.npy"}
    assert stderr_lines(result)[-1] == "1 written, 2 failed."


def test_mel_shorter_than_n_fft_writes_and_warns(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    src = write_audio("short.wav", tone(seconds=500 / 22050))
    assert sf.info(src).frames == 500
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1")

    assert result.exit_code == 0
    assert result.stdout == ""
    warnings = [
        line for line in stderr_lines(result) if line.startswith(f"warning: {src}: ")
    ]
    assert len(warnings) == 1
    assert len(warnings[0]) > len(f"warning: {src}: ")
    assert stderr_lines(result)[-1] == "1 written."
    assert np.load(out / "short.npy").shape == (128, centered_frames(500, 512))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_mel_settings_warning_is_printed_once_not_pinned_on_a_file(
    write_audio: WriteAudio, tmp_path: Path, jobs: str
) -> None:
    # 128 mels over 65 FFT bins leave some filters empty: a fact about the settings,
    # the same for every file. A fresh process, so the filterbank is not cached.
    for name in ("a.wav", "b.wav", "c.wav"):
        write_audio(name, tone(sr=8000), sr=8000)
    args = ["mel", tmp_path / "audio", "-o", tmp_path / "out", "-j", jobs]
    args += ["--sr", "8000", "--n-mels", "128", "--n-fft", "128"]
    done = subprocess.run(
        [sys.executable, "-m", "melcli", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [line for line in lines if "Empty filters" in line] == [
        next(line for line in lines if line.startswith("warning: settings: Empty"))
    ]
    assert lines[-1] == "3 written."
    again = subprocess.run(
        [sys.executable, "-m", "melcli", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.stderr.splitlines() == ["0 written, 3 up to date."]


# ------------------------------------------------------------- usage errors
@pytest.mark.parametrize(
    ("options", "named"),
    [
        (("--win-length", "4096", "--n-fft", "2048"), "--win-length"),
        (("--n-mels", "0"), "--n-mels"),
        (("--fmax", "20000"), "--fmax"),
        (("--sr", "abc"), "--sr"),
        (("--hop-length", "0"), "--hop-length"),
    ],
)
def test_mel_bad_option_is_usage_error_naming_it(
    dataset: Path, tmp_path: Path, options: tuple[str, ...], named: str
) -> None:
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, *options)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert named in result.stderr
    assert not out.exists()


def test_mel_fmax_above_nyquist_message_says_nyquist(
    dataset: Path, tmp_path: Path
) -> None:
    result = invoke("mel", dataset, "-o", tmp_path / "out", "--fmax", "20000")
    assert result.exit_code == 2
    assert "nyquist" in result.stderr.lower()
    assert str(22050 // 2) in result.stderr


def test_mel_missing_source_is_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_folder"
    out = tmp_path / "out"
    result = invoke("mel", missing, "-o", out)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(missing) in result.stderr
    assert not out.exists()


def test_mel_without_out_is_usage_error(dataset: Path, tmp_path: Path) -> None:
    result = invoke("mel", dataset)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--out" in result.stderr
    assert not [p for p in tmp_path.rglob("*.npy")]


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink"])
def test_mel_out_equal_to_source_is_usage_error(
    dataset: Path, tmp_path: Path, spelling: str
) -> None:
    before = files_under(dataset)
    if spelling == "same":
        out = dataset
    elif spelling == "dot":
        out = dataset / "dogs" / ".."
    else:
        out = tmp_path / "link"
        out.symlink_to(dataset, target_is_directory=True)
    result = invoke("mel", dataset, "-o", out)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--out" in result.stderr
    assert files_under(dataset) == before


# ----------------------------------------------------------- mel: settings
def test_mel_no_mono_keeps_channels(write_audio: WriteAudio, tmp_path: Path) -> None:
    write_audio("stereo.wav", tone(channels=2))
    write_audio("mono.wav", tone())
    out = tmp_path / "out"
    result = invoke("mel", tmp_path / "audio", "-o", out, "-j", "1", "--no-mono")

    assert result.exit_code == 0
    frames = centered_frames(22050, 512)
    assert np.load(out / "stereo.npy").shape == (2, 128, frames)
    assert np.load(out / "mono.npy").shape == (1, 128, frames)


def test_mel_dtype_float16(write_audio: WriteAudio, tmp_path: Path) -> None:
    src = write_audio("x.wav")
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1", "--dtype", "float16")

    assert result.exit_code == 0
    S_db = np.load(out / "x.npy")
    assert S_db.dtype == np.float16
    assert np.isfinite(S_db).all()


@pytest.mark.parametrize(("sr", "seconds"), [(22050, 1.0), (16000, 0.5), (44100, 0.3)])
def test_mel_n_mels_and_hop_length_set_shape(
    write_audio: WriteAudio, tmp_path: Path, sr: int, seconds: float
) -> None:
    src = write_audio("x.wav", tone(sr=sr, seconds=seconds), sr=sr)
    out = tmp_path / "out"
    result = invoke(
        "mel", src, "-o", out, "-j", "1", "--n-mels", "64", "--hop-length", "256"
    )

    assert result.exit_code == 0
    n = math.ceil(int(sr * seconds) * 22050 / sr)
    assert np.load(out / "x.npy").shape == (64, 1 + n // 256)


def test_mel_quiet_prints_nothing_on_success(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "-j", "1", "-q")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""
    assert len(files_under(out)) == len(DATASET_FILES)


def test_mel_verbose_lists_written_and_skipped(dataset: Path, tmp_path: Path) -> None:
    readme = dataset / "README.txt"
    readme.write_text("not audio\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "-j", "1", "-v")

    assert result.exit_code == 0
    assert result.stdout == ""
    lines = stderr_lines(result)
    wrote = {line for line in lines if line.startswith("wrote ")}
    assert wrote == {f"wrote {npy_for(out, rel)}" for rel in DATASET_FILES}
    skipped = [line for line in lines if line.startswith(f"skipped {readme}: ")]
    assert len(skipped) == 1
    assert "extension" in skipped[0]
    assert lines[-1] == f"{len(DATASET_FILES)} written, 1 skipped."


def test_mel_verbose_lists_png_too(write_audio: WriteAudio, tmp_path: Path) -> None:
    src = write_audio("x.wav")
    out = tmp_path / "out"
    result = invoke("mel", src, "-o", out, "-j", "1", "-v", "--png")
    assert result.exit_code == 0
    assert f"wrote {out / 'x.npy'}, {out / 'x.png'}" in stderr_lines(result)


# --------------------------------------------------------------- selection
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--ext", "wav"), ("birds/tweet.wav", "dogs/bark1.wav")),
        (("--ext", ".FLAC"), ("birds/deep/chirp.flac", "dogs/bark2.flac")),
        (("--ext", "wav,flac"), DATASET_FILES),
        (("--include", "dogs/*"), ("dogs/bark1.wav", "dogs/bark2.flac")),
        (("--exclude", "dogs/*"), ("birds/deep/chirp.flac", "birds/tweet.wav")),
        (("--include", "birds/*", "--exclude", "*.flac"), ("birds/tweet.wav",)),
        (
            ("--include", "*.wav", "--include", "*/deep/*"),
            ("birds/deep/chirp.flac", "birds/tweet.wav", "dogs/bark1.wav"),
        ),
    ],
)
def test_mel_selection_options(
    dataset: Path, tmp_path: Path, options: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    result = invoke("mel", dataset, "-o", out, "-j", "1", *options)

    assert result.exit_code == 0
    assert files_under(out) == {
        Path(r).with_suffix(".npy").as_posix() for r in expected
    }
    assert stderr_lines(result)[-1].startswith(f"{len(expected)} written")


# --------------------------------------------------------------------- info
def test_info_table(dataset: Path) -> None:
    result = invoke("info", dataset)

    assert result.exit_code == 0
    assert result.stderr == ""
    header, *rows = result.stdout.splitlines()
    for column in ("path", "format", "subtype", "sr", "channels", "frames", "duration"):
        assert column in header.split()
    assert len(rows) == len(DATASET_FILES)
    by_path = {row.split()[0]: row.split() for row in rows}
    for rel in DATASET_FILES:
        path = dataset / rel
        expected = sf.info(path)
        cells = by_path[str(path)]
        assert cells[1] == expected.format
        assert cells[2] == expected.subtype
        assert int(cells[3]) == expected.samplerate
        assert int(cells[4]) == expected.channels
        assert int(cells[5]) == expected.frames
        assert float(cells[6]) == pytest.approx(expected.duration, abs=1e-3)


def test_info_json(dataset: Path) -> None:
    result = invoke("info", dataset, "--json")

    assert result.exit_code == 0
    assert result.stderr == ""
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["path"] for row in rows) == [
        str(dataset / r) for r in DATASET_FILES
    ]
    for row in rows:
        assert set(row) == {
            "path",
            "format",
            "subtype",
            "samplerate",
            "channels",
            "frames",
            "duration",
        }
        expected = sf.info(row["path"])
        assert row["format"] == expected.format
        assert row["subtype"] == expected.subtype
        assert row["samplerate"] == expected.samplerate
        assert row["channels"] == expected.channels
        assert row["frames"] == expected.frames
        assert row["duration"] == pytest.approx(expected.duration, abs=1e-6)


@pytest.mark.parametrize("as_json", [False, True])
def test_info_bad_file_reports_error_and_keeps_good_rows(
    bad_batch: Path, as_json: bool
) -> None:
    result = invoke("info", bad_batch, *(["--json"] if as_json else []))

    assert result.exit_code == 1
    assert len(error_lines(result)) == len(BAD_NAMES)
    assert stderr_lines(result) == error_lines(result)
    for name in BAD_NAMES:
        assert reason_for(result, bad_batch / name)
    if as_json:
        paths = [json.loads(line)["path"] for line in result.stdout.splitlines()]
    else:
        paths = [row.split()[0] for row in result.stdout.splitlines()[1:]]
    assert sorted(paths) == [str(bad_batch / r) for r in GOOD_RELS]


# -------------------------------------------------------- non-UTF-8 names
@pytest.fixture
def non_utf8_folder(write_audio: WriteAudio, tmp_path: Path) -> Path:
    """A folder holding ok.wav and a valid WAV whose name is not UTF-8."""
    ok = write_audio("ok.wav")
    raw = os.fsencode(ok.parent) + b"/b\xffd.wav"
    try:
        os.link(os.fsencode(ok), raw)
    except OSError:  # pragma: no cover - e.g. macOS rejects such names
        pytest.skip("file system does not take non-UTF-8 names")
    return ok.parent


def test_info_non_utf8_file_name(non_utf8_folder: Path) -> None:
    result = invoke("info", non_utf8_folder, "--json")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


def test_mel_non_utf8_file_name(non_utf8_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("mel", non_utf8_folder, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert len(list(out.glob("*.npy"))) == 2


# ----------------------------------------------------------- real process
def test_python_m_melcli_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "melcli", "--version"],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "melcli" in proc.stdout
    assert melcli.__version__ in proc.stdout


def test_import_melcli_pulls_in_neither_matplotlib_nor_click_nor_numpy() -> None:
    code = (
        "import melcli, sys; "
        "print(*(m in sys.modules for m in ('matplotlib', 'click', 'numpy')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False", "False"]


def test_melcli_names_that_need_numpy_load_on_first_use() -> None:
    assert "run" in dir(melcli)
    assert "mel_spectrogram" in melcli.__all__
    assert melcli.run is melcli.session.run
    from melcli import mel_spectrogram, probe

    assert mel_spectrogram is melcli.pipeline.mel_spectrogram
    assert probe is melcli.audio.probe
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        melcli.nothing  # noqa: B018


def test_process_stderr_not_a_terminal_has_no_progress_bar(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = run_process("mel", dataset, "-o", out, "-j", "1", "-v")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "\r" not in proc.stderr
    assert "\x1b" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == f"{len(DATASET_FILES)} written."
    assert len(files_under(out)) == len(DATASET_FILES)


def test_process_stderr_has_only_melcli_lines(bad_batch: Path, tmp_path: Path) -> None:
    proc = run_process("mel", bad_batch, "-o", tmp_path / "out", "-j", "1")

    assert proc.returncode == 1
    *lines, summary = proc.stderr.splitlines()
    assert summary == f"{len(GOOD_RELS)} written, {len(BAD_NAMES)} failed."
    assert len(lines) == len(BAD_NAMES)
    assert all(line.startswith("error: ") for line in lines), proc.stderr


def test_scheduler_without_dask_says_what_to_install(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Here, not in test_cluster.py (skipped without Dask): it must also pass
    # where Dask is really missing. With Dask installed, its import is made
    # to fail.
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(
        cli, ["mel", str(dataset), "-o", str(tmp_path / "out"), "--scheduler", "local"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "--scheduler needs dask.distributed, which is not installed: "
        "pip install 'melcli[dask]'"
    )
    assert not (tmp_path / "out").exists()


# ------------------------------------------------- several SRC, CI logs
def test_two_folders_with_the_same_names_each_get_a_subfolder(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    voices = tmp_path / "data/voices"
    for name in ("Pirate", "Robot"):
        for i, rel in enumerate(("hello.wav", "sub/bye.wav", "yes.flac")):
            write_audio(rel, noise(seed=i, seconds=0.3), root=voices / name)
    out = tmp_path / "out"
    result = invoke("mel", voices / "Pirate", voices / "Robot", "-o", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert stderr_lines(result)[-1] == "6 written."
    assert files_under(out) == {
        f"{name}/{rel}"
        for name in ("Pirate", "Robot")
        for rel in ("hello.npy", "sub/bye.npy", "yes.npy")
    }
    np.testing.assert_array_equal(
        np.load(out / "Pirate/sub/bye.npy"), np.load(out / "Robot/sub/bye.npy")
    )
    again = invoke("mel", voices / "Pirate", voices / "Robot", "-o", out, "-j", "1")
    assert stderr_lines(again)[-1] == "0 written, 6 up to date."


def test_an_out_from_before_subfolders_moves_its_outputs_on_the_next_run(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # Written by a run that merged both folders into OUT's root (as before
    # each SRC folder had a subfolder): simulated by one run per folder.
    a = write_audio("a.wav", root=tmp_path / "src/one")
    b = write_audio("b.wav", noise(), root=tmp_path / "src/two")
    out = tmp_path / "out"
    assert invoke("mel", tmp_path / "src/one", "-o", out, "-j", "1").exit_code == 0
    assert invoke("mel", tmp_path / "src/two", "-o", out, "-j", "1").exit_code == 0
    assert files_under(out) == {"a.npy", "b.npy"}

    both = (tmp_path / "src/one", tmp_path / "src/two")
    dry = invoke("mel", *both, "-o", out, "--dry-run")
    assert dry.stdout.splitlines() == [
        f"would build {a}: new place in OUT (was a.npy)",
        f"would build {b}: new place in OUT (was b.npy)",
    ]
    assert files_under(out) == {"a.npy", "b.npy"}

    moved = invoke("mel", *both, "-o", out, "-j", "1")
    assert moved.exit_code == 0, moved.stderr
    assert stderr_lines(moved)[-1] == "2 written."
    assert files_under(out) == {"one/a.npy", "two/b.npy"}
    lines = (out / "manifest.jsonl").read_text().splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    assert keys == ["one/a.npy", "two/b.npy"]


def test_ci_log_progress_lines_and_a_sorted_recap_of_the_failures(
    bad_batch: Path, tmp_path: Path
) -> None:
    (bad_batch / "notes.txt").write_text("passed over, and counted")
    result = invoke(
        "mel", bad_batch, "-o", tmp_path / "out", "-j", "1",
        "--progress-interval", "0.000001",
    )  # fmt: skip
    assert result.exit_code == 1
    lines = stderr_lines(result)
    progress = [line for line in lines if line.startswith("progress: ")]
    total = len(BAD_NAMES) + len(GOOD_RELS) + 1
    assert len(progress) == total  # every file is past so short an interval
    assert progress[-1].startswith(f"progress: {total}/{total} files (100%), ")
    assert re.fullmatch(
        r"progress: 1/6 files \(16%\), [\d.]+ files/s, \d+s elapsed, about \d+s left",
        progress[0],
    )
    summary = lines.index("2 written, 1 skipped, 3 failed.")
    assert lines[summary + 1] == "3 failed, by path:"
    recap = lines[summary + 2 :]
    assert recap == sorted(recap)
    assert [line.split(": ")[0].strip() for line in recap] == [
        str(bad_batch / name) for name in sorted(BAD_NAMES)
    ]
    for line in recap:  # the reasons are those given when each failed
        path, _, reason = line.strip().partition(": ")
        assert reason_for(result, Path(path)) == reason

    quiet_log = invoke(
        "mel", bad_batch, "-o", tmp_path / "out2", "-j", "1",
        "--progress-interval", "0",
    )  # fmt: skip
    assert not [x for x in stderr_lines(quiet_log) if x.startswith("progress")]
    assert stderr_lines(quiet_log)[-1] == "2 written, 1 skipped, 3 failed."  # no recap


def test_info_summary_totals_for_a_dataset_card(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav", tone(sr=16000, seconds=1.5), sr=16000)
    write_audio("b/c.flac", tone(sr=44100, seconds=0.5, channels=2), sr=44100)
    write_audio("b/d.wav", tone(sr=16000, seconds=3.0), sr=16000)
    (tmp_path / "audio/broken.wav").write_bytes(b"nope" * 10)
    result = invoke("info", tmp_path / "audio", "--summary", "--json")
    assert result.exit_code == 1
    totals = json.loads(result.stdout)
    audio = tmp_path / "audio"
    assert totals == {
        "files": 3,
        "unreadable": 1,
        "missing": 0,
        "seconds": 5.0,
        "hours": round(5 / 3600, 4),
        "samplerates": {"16000": 2, "44100": 1},
        "channels": {"1": 2, "2": 1},
        "formats": {"WAV": 2, "FLAC": 1},
        "subtypes": {"PCM_16": 3},
        "shortest": {"path": str(audio / "b/c.flac"), "duration": 0.5},
        "longest": {"path": str(audio / "b/d.wav"), "duration": 3.0},
    }
    assert stderr_lines(result)[0].startswith(f"error: {audio / 'broken.wav'}: ")
    listing = tmp_path / "list.txt"
    listing.write_text("b/c.flac\na.wav\n")
    listed = invoke(
        "info", "--files-from", listing, "--root", audio, "--summary", "--json"
    )
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)["seconds"] == 2.0
    text = invoke("info", tmp_path / "audio", "--summary")
    assert text.stdout.splitlines() == [
        "files         3 (1 unreadable, not counted)",
        "duration      0.00 h (5.0 s)",
        "sample rates  16000 Hz: 2, 44100 Hz: 1",
        "channels      1: 2, 2: 1",
        "formats       WAV: 2, FLAC: 1",
        "encodings     PCM_16: 3",
        f"shortest      0.500 s  {audio / 'b/c.flac'}",
        f"longest       3.000 s  {audio / 'b/d.wav'}",
    ]


def test_files_from_with_the_wrong_root_says_where_it_looked(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("dogs/a.wav")
    table = tmp_path / "meta/list.csv"
    table.parent.mkdir()
    table.write_text("filename,label\ndogs/a.wav,dog\n")
    out = tmp_path / "out"
    wrong = invoke("mel", "--files-from", table, "-o", out, "-j", "1")
    assert wrong.exit_code == 1
    # ESC-50's layout, meta/ beside audio/: the hint finds the right root.
    hint = (
        f"warning: no file listed in {table} was found; its paths are taken "
        f"relative to {table.parent}, and they are in {tmp_path / 'audio'}: "
        f"give --root {tmp_path / 'audio'}"
    )
    # Last, before the summary: a long list's first lines are far above.
    assert stderr_lines(wrong) == [
        f"error: {table.parent / 'dogs/a.wav'}: line 2 of {table}: "
        "no such file or directory",
        hint,
        "0 written, 1 failed.",
    ]
    summary = invoke("mel", "--files-from", table, "-o", out, "--json").stdout
    assert json.loads(summary)["warnings"] == [hint.removeprefix("warning: ")]
    plan = invoke("mel", "--files-from", table, "-o", out, "--dry-run")
    assert stderr_lines(plan)[-2:] == [
        hint,
        "0 to build, 0 up to date, 1 would fail (dry run: "
        "nothing written, nothing decoded).",
    ]
    info = invoke("info", "--files-from", table)
    assert info.exit_code == 1
    assert stderr_lines(info)[-1] == hint
    right = invoke(
        "mel", "--files-from", table, "--root", tmp_path / "audio", "-o", out, "-j", "1"
    )
    assert right.exit_code == 0, right.stderr
    assert files_under(out) == {"dogs/a.npy"}
    usage = invoke("mel", tmp_path / "audio", "--root", tmp_path, "-o", out)
    assert usage.exit_code == 2
    assert "needs --files-from" in usage.stderr


def test_files_from_standard_input_in_a_real_pipeline(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("dogs/bark 1.wav", noise(seed=1, seconds=0.3))
    write_audio("cats/meow.wav", noise(seed=2, seconds=0.3))
    (tmp_path / "audio/notes.txt").write_text("not audio")
    melcli_bin = shlex.join(melcli_command())
    proc = subprocess.run(
        ["sh", "-c", f"find audio -name '*.wav' | {melcli_bin} mel --files-from - "
         "-o out -j 1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == "2 written."
    assert files_under(tmp_path / "out") == {
        "audio/dogs/bark 1.npy",
        "audio/cats/meow.npy",
    }
