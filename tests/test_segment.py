"""Segments: the window policy, both layouts, start times, incremental runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import noise, tone

import melcli
from melcli import MelParams, ParameterError, Status, segment, stream
from melcli import transform as tf
from melcli.audio import load
from melcli.cli import cli
from melcli.discover import Job
from melcli.pipeline import process_one


def brute_force_starts(n: int, size: int, hop: int) -> list[int]:
    """The documented policy, spelled out: a window at every multiple of hop
    before the end, kept if it holds a sample the window before it does not."""
    starts = [0]
    k = 1
    while k * hop < n:
        if (k - 1) * hop + size < n:
            starts.append(k * hop)
        k += 1
    return starts


@pytest.mark.parametrize("size", [1, 4, 10])
@pytest.mark.parametrize("hop", [1, 3, 4, 10, 17])
def test_windows_follow_the_policy(size: int, hop: int) -> None:
    rng = np.random.default_rng(size * 100 + hop)
    for n in [1, 2, 3, size - 1, size, size + 1, 2 * size + 3, 37, 64]:
        if n < 1:
            continue
        y = rng.normal(size=(2, n)).astype(np.float32)
        got = list(segment.windows([y], size=size, hop=hop))
        starts = brute_force_starts(n, size, hop)
        assert [s for s, _ in got] == starts
        assert len(got) == segment.n_segments(n, size=size, hop=hop)
        if hop <= size:
            assert len(got) == 1 + int(np.ceil(max(0, n - size) / hop))
            covered = np.zeros(n, dtype=bool)
            for s, _ in got:
                covered[s : s + size] = True
            assert covered.all()
        for start, w in got:
            assert w.shape == (2, size)
            want = np.zeros((2, size), dtype=np.float32)
            part = y[:, start : start + size]
            want[:, : part.shape[1]] = part
            np.testing.assert_array_equal(w, want)
        # Fed in uneven blocks, the windows are the same.
        cuts = sorted(rng.choice(np.arange(1, n), size=min(3, n - 1), replace=False))
        blocks = np.split(y, cuts, axis=1) if n > 1 else [y]
        again = list(segment.windows(blocks, size=size, hop=hop))
        assert [s for s, _ in again] == starts
        for (_, a), (_, b) in zip(got, again, strict=True):
            np.testing.assert_array_equal(a, b)


def test_segment_names() -> None:
    assert segment.segment_path(Path("o/a.npy"), 0) == Path("o/a.000.npy")
    assert segment.segment_path(Path("o/take.2.npy"), 7) == Path("o/take.2.007.npy")
    assert segment.segment_path(Path("o/a.npy"), 1234) == Path("o/a.1234.npy")


def write(path: Path, y: np.ndarray, sr: int = 22050) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, subtype="FLOAT" if path.suffix == ".wav" else None)
    return path


def expected_stack(y: np.ndarray, sr: int, params: MelParams) -> np.ndarray:
    size, hop = segment.sizes(params, sr)
    out = []
    for start in brute_force_starts(y.shape[-1], size, hop):
        w = np.zeros(size, dtype=np.float32)
        part = y[start : start + size]
        w[: len(part)] = part
        out.append(tf.mel_spectrogram_db(w, sr=sr, params=params))
    return np.stack(out)


@pytest.mark.parametrize(
    ("seconds", "segment_s", "hop_s"),
    [(2.3, 0.5, None), (2.3, 0.5, 0.25), (0.3, 1.0, None), (3.0, 0.4, 0.7)],
)
def test_stacked_segments_shape_values_and_starts(
    tmp_path: Path, seconds: float, segment_s: float, hop_s: float | None
) -> None:
    y = noise(seconds=seconds, seed=3)
    src = write(tmp_path / "a.wav", y)
    params = MelParams(n_mels=24, segment=segment_s, segment_hop=hop_s).validate()
    job = Job(src=src, rel="a.wav", npy=tmp_path / "out" / "a.npy")
    result = process_one(job, params=params)
    assert result.status is Status.WRITTEN, result.reason
    S = np.load(job.npy)
    size, hop = round(segment_s * 22050), round((hop_s or segment_s) * 22050)
    n_seg = segment.n_segments(len(y), size=size, hop=hop)
    assert S.shape == (n_seg, 24, 1 + size // 512) == result.shape
    np.testing.assert_allclose(S, expected_stack(y, 22050, params), atol=1e-4)
    assert result.segments == tuple(round(k * hop / 22050, 6) for k in range(n_seg))
    assert result.outputs == (job.npy,)


def test_short_file_gives_one_padded_segment(tmp_path: Path) -> None:
    y = tone(seconds=0.2)
    src = write(tmp_path / "s.wav", y)
    params = MelParams(segment=1.0, n_mels=16).validate()
    S = process_one(Job(src, "s.wav", tmp_path / "s.npy"), params=params)
    assert S.shape == (1, 16, 1 + 22050 // 512)


def test_channels_and_offset(tmp_path: Path) -> None:
    y = tone(seconds=2.0, channels=2)
    src = write(tmp_path / "st.wav", y)
    params = MelParams(segment=0.5, mono=False, offset=0.25, n_mels=16).validate()
    result = process_one(Job(src, "st.wav", tmp_path / "st.npy"), params=params)
    # 1.75 s left after the offset: 4 segments, the last padded.
    assert result.shape == (4, 2, 16, 1 + round(0.5 * 22050) // 512)
    assert result.segments == (0.25, 0.75, 1.25, 1.75)


def test_long_files_are_cut_block_by_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    y = tone(330.0, sr=44100, seconds=4.0) + noise(sr=44100, seconds=4.0) * 0.1
    src = write(tmp_path / "long.wav", y, sr=44100)
    params = MelParams(segment=0.7, segment_hop=0.5, n_mels=32).validate()
    whole = process_one(Job(src, "long.wav", tmp_path / "a.npy"), params=params)
    monkeypatch.setattr(stream, "STREAM_SECONDS", 1.0)
    monkeypatch.setattr(stream, "DECODE_BLOCK", 7919)
    calls = []
    real = stream.resampled_blocks

    def spy(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(1)
        yield from real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stream, "resampled_blocks", spy)
    streamed = process_one(Job(src, "long.wav", tmp_path / "b.npy"), params=params)
    assert calls
    assert streamed.shape == whole.shape
    assert streamed.segments == whole.segments
    np.testing.assert_allclose(
        np.load(tmp_path / "b.npy"), np.load(tmp_path / "a.npy"), atol=1e-3
    )
    wave = load(src, params)
    np.testing.assert_allclose(
        np.load(tmp_path / "a.npy"), expected_stack(wave.y, 22050, params), atol=1e-4
    )


# ------------------------------------------------------- one file per segment
def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["mel", "-j", "1", "--n-mels", "16", *args])
    return result.exit_code, result.stdout, result.stderr


def manifest(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def test_files_layout_names_manifest_and_incremental_runs(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    write(audio / "a.wav", noise(seconds=2.2, seed=1))
    write(audio / "d" / "take.2.wav", noise(seconds=0.4, seed=2))
    out = tmp_path / "out"
    opts = [str(audio), "-o", str(out), "--segment", "1", "--segment-layout", "files"]
    code, _, err = run(*opts)
    assert code == 0, err
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.npy"))
    assert names == ["a.000.npy", "a.001.npy", "a.002.npy", "d/take.2.000.npy"]
    entries = manifest(out)
    assert set(entries) == {"a.000.npy", "d/take.2.000.npy"}
    assert entries["a.000.npy"]["segments"] == [0.0, 1.0, 2.0]
    assert sorted(entries["a.000.npy"]["stamps"]) == names[:3]
    assert entries["d/take.2.000.npy"]["segments"] == [0.0]
    want = expected_stack(
        noise(seconds=2.2, seed=1), 22050, MelParams(n_mels=16, segment=1.0)
    )
    for k in range(3):
        np.testing.assert_allclose(np.load(out / f"a.00{k}.npy"), want[k], atol=1e-4)

    # Nothing changed: nothing rebuilt, also in a dry run.
    code, _, err = run(*opts)
    assert code == 0
    assert "0 written, 2 up to date" in err
    code, stdout, _ = run(*opts, "--dry-run")
    assert stdout == ""
    # A segment file deleted by hand is noticed.
    (out / "a.001.npy").unlink()
    code, stdout, _ = run(*opts, "--dry-run")
    assert "a.wav: output missing or changed" in stdout
    # The input shrinks to one segment: the two extra files go.
    write(audio / "a.wav", noise(seconds=0.5, seed=1))
    code, _, err = run(*opts)
    assert code == 0, err
    assert sorted(p.name for p in out.glob("a.*.npy")) == ["a.000.npy"]
    assert manifest(out)["a.000.npy"]["segments"] == [0.0]
    # The input is deleted: --prune removes its segments.
    (audio / "d" / "take.2.wav").unlink()
    code, _, err = run(*opts, "--prune")
    assert code == 0, err
    assert not (out / "d" / "take.2.000.npy").exists()
    assert "d/take.2.000.npy" not in manifest(out)


def test_files_layout_collisions_are_found(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    write(audio / "a.wav", noise(seconds=1.5))
    write(audio / "a.flac", noise(seconds=1.5))
    write(audio / "b.wav", noise(seconds=1.5))
    out = tmp_path / "out"
    code, _, err = run(str(audio), "-o", str(out), "--segment", "1",
                       "--segment-layout", "files")  # fmt: skip
    assert code == 1
    assert "a.flac: output" in err
    assert "would also be written by" in err
    assert sorted(p.name for p in out.glob("*.npy")) == ["b.000.npy", "b.001.npy"]


def test_stack_manifest_records_starts(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    write(audio / "a.wav", noise(seconds=1.2))
    out = tmp_path / "out"
    code, _, err = run(str(audio), "-o", str(out), "--segment", "0.5",
                       "--segment-hop", "0.25", "--stats")  # fmt: skip
    assert code == 0, err
    entry = manifest(out)["a.npy"]
    hop = round(0.25 * 22050)  # 5512: starts are whole samples
    assert entry["segments"] == [round(k * hop / 22050, 6) for k in range(4)]
    assert entry["shape"] == [4, 16, 1 + round(0.5 * 22050) // 512]
    with np.load(out / "stats.npz") as s:
        assert int(s["count"]) == 4 * (1 + round(0.5 * 22050) // 512)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--segment", "1", "--png"], "--segment 1 cannot be combined with --png"),
        (["--segment", "1", "--clip-duration", "2"], "combined with --clip-duration"),
        (
            ["--segment-hop", "1"],
            "--segment-hop 1 needs a segment length too: no --segment",
        ),
        (["--segment", "0"], "--segment 0 must be positive"),
    ],
)
def test_bad_combinations_are_usage_errors(
    tmp_path: Path, args: list[str], text: str
) -> None:
    src = write(tmp_path / "a.wav", noise(seconds=0.5))
    code, _, err = run(str(src), "-o", str(tmp_path / "out"), *args)
    assert code == 2
    assert text in err
    assert not (tmp_path / "out").exists()


def test_python_api_rejects_png_with_segments(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="png"):
        melcli.run([tmp_path], tmp_path / "o", params=MelParams(segment=1.0), png=True)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_changing_the_layout_replaces_the_earlier_outputs(
    tmp_path: Path, jobs: str
) -> None:
    audio = tmp_path / "audio"
    write(audio / "a.wav", noise(seconds=1.5, seed=4))
    write(audio / "a.000.wav", noise(seconds=0.5, seed=5))  # its own a.000.npy
    out = tmp_path / "out"
    code, _, err = run(str(audio), "-o", str(out), "-j", jobs)
    assert code == 0, err
    assert sorted(p.name for p in out.glob("*.npy")) == ["a.000.npy", "a.npy"]

    opts = [str(audio), "-o", str(out), "-j", jobs, "--segment", "1"]
    code, _, err = run(*opts, "--segment-layout", "files")
    assert code == 0, err
    names = sorted(p.name for p in out.glob("*.npy"))
    assert names == ["a.000.000.npy", "a.000.npy", "a.001.npy"]
    assert set(manifest(out)) == {"a.000.000.npy", "a.000.npy"}

    code, _, err = run(*opts)  # back to one stacked array per file
    assert code == 0, err
    assert sorted(p.name for p in out.glob("*.npy")) == ["a.000.npy", "a.npy"]
    assert set(manifest(out)) == {"a.000.npy", "a.npy"}
    assert manifest(out)["a.000.npy"]["source"] == "a.000.wav"
    result = CliRunner().invoke(cli, ["stats", str(out)])
    assert "from 2 arrays" in result.stderr


def test_python_api_stacks_segments(tmp_path: Path) -> None:
    y = noise(seconds=1.7, seed=8)
    src = write(tmp_path / "a.wav", y)
    params = MelParams(segment=0.5, segment_hop=0.4, n_mels=20)
    want = expected_stack(y, 22050, params)
    np.testing.assert_allclose(
        melcli.mel_spectrogram(y, sr=22050, params=params), want, atol=1e-4
    )
    np.testing.assert_allclose(
        melcli.mel_spectrogram(src, params=params), want, atol=1e-4
    )


def test_segment_settings_are_validated_and_fingerprinted() -> None:
    with pytest.raises(ParameterError, match="segment_layout='rows' must be one of"):
        MelParams(segment=1.0, segment_layout="rows").validate()
    with pytest.raises(ParameterError, match="segment_hop=1e-09 is less than one"):
        MelParams(segment=1.0, segment_hop=1e-9).validate()
    base = MelParams()
    prints = {
        base.replace(**c).fingerprint()
        for c in (
            {"segment": 1.0},
            {"segment": 2.0},
            {"segment": 1.0, "segment_hop": 0.5},
            {"segment": 1.0, "segment_layout": "files"},
        )
    }
    assert len(prints) == 4
    assert base.fingerprint() not in prints


@pytest.mark.parametrize("layout", ["stack", "files"])
def test_digital_silence_is_flagged_in_the_manifest(
    tmp_path: Path, layout: str
) -> None:
    audio = tmp_path / "audio"
    write(audio / "quiet.wav", np.zeros(22050, np.float32))
    write(audio / "sound.wav", noise(seconds=1.0))
    out = tmp_path / "out"
    code, _, err = run(str(audio), "-o", str(out), "--segment", "0.5",
                       "--segment-layout", layout)  # fmt: skip
    assert code == 0, err
    assert "digital silence: every sample is zero" in err
    silent = {e["source"]: e["silent"] for e in manifest(out).values()}
    assert silent == {"quiet.wav": True, "sound.wav": False}
