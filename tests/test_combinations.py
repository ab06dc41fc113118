"""The features together, as a user combines them on the command line.

Storage (``--format webdataset``) with segments, statistics and PNG settings;
statistics over every kind of array; segments and clips with ``--kind`` and
``--preset``, long files included; ``--dry-run`` with each. Every check is
against an independent reference: an ``npy`` run of the same data, numpy
over the arrays, the per-window in-memory computation, or transformers'
Whisper front end.
"""

from __future__ import annotations

import gc
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner, Result
from conftest import WriteAudio, mel, noise, speechlike, tone, whisper_features

import melcli
from melcli import audio, clip, segment, stream
from melcli import transform as tf
from melcli.cli import cli
from melcli.data import SpectrogramDataset
from melcli.params import MelParams
from melcli.render import read_image
from melcli.storage.tarshards import Slice
from melcli.storage.webdataset import entry_samples, key_to_path, read_npy, sample_key

SR = 16000
FILES = {
    "dogs/bark1.wav": noise(sr=SR, seconds=1.3, seed=1),
    "dogs/bark.v2.wav": noise(sr=SR, seconds=0.3, seed=2),  # under one segment
    "birds/tweet.wav": tone(3000.0, sr=SR, seconds=2.1, channels=2),
}
#: Small shards: an input's samples, or several inputs, per shard.
WDS = ("--format", "webdataset", "--shard-size", "40kB")
SMALL = ("--sr", str(SR), "--n-mels", "24", "--n-fft", "512")
SEGMENTS = ("--segment", "0.5", "--segment-hop", "0.4")


pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(write_audio: WriteAudio, tmp_path: Path) -> Path:
    for rel, y in FILES.items():
        write_audio(rel, y, sr=SR)
    return tmp_path / "audio"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def samples(out: Path) -> dict[str, dict[str, bytes]]:
    """Every sample in the shards of ``out``: ``{key: {suffix: bytes}}``.

    Keys and suffixes are split as WebDataset splits them (at the first dot
    of the base name); a key found twice fails the test.
    """
    found: dict[str, dict[str, bytes]] = {}
    for shard in sorted(out.glob("shard-*.tar")):
        with tarfile.open(shard) as tar:
            for info in tar:
                f = tar.extractfile(info)
                assert f is not None
                folder, _, base = info.name.rpartition("/")
                stem, _, suffix = base.partition(".")
                key = f"{folder}/{stem}" if folder else stem
                assert suffix not in found.get(key, {}), f"{key}.{suffix} twice"
                found.setdefault(key, {})[suffix] = f.read()
    return found


def manifest(out: Path) -> dict[str, dict[str, object]]:
    lines = (out / "manifest.jsonl").read_text(encoding="ascii").splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


def npy_tree(out: Path) -> dict[str, Path]:
    """``{relative path without .npy: path}`` of the arrays of an npy run."""
    return {
        p.relative_to(out).as_posix()[: -len(".npy")]: p
        for p in sorted(out.rglob("*.npy"))
    }


def frames_of(array: np.ndarray) -> np.ndarray:
    """(..., bands, frames) -> (bands, all frames), as stats.py documents."""
    moved = np.moveaxis(array.astype(np.float64), -2, 0)
    return moved.reshape(array.shape[-2], -1)


def assert_stats_of(saved: Path, arrays: list[np.ndarray]) -> None:
    """``saved`` (a stats.npz) holds numpy's statistics over ``arrays``."""
    x = np.concatenate([frames_of(a) for a in arrays], axis=1)
    with np.load(saved) as got:
        assert int(got["count"]) == x.shape[1]
        for name, want in [
            ("mean", x.mean(axis=1)),
            ("std", x.std(axis=1)),
            ("min", x.min(axis=1)),
            ("max", x.max(axis=1)),
        ]:
            np.testing.assert_allclose(got[name], want, rtol=1e-12, atol=1e-9)


# ---------------------------------------------- webdataset and segments
@pytest.mark.parametrize("layout", ["stack", "files"])
def test_segments_in_shards_are_the_npy_runs_arrays(
    src: Path, tmp_path: Path, layout: str
) -> None:
    options = (*SMALL, *SEGMENTS, "--segment-layout", layout)
    ok(mel(src, tmp_path / "npy", *options))
    result = ok(mel(src, tmp_path / "wds", *options, *WDS))
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    arrays = npy_tree(tmp_path / "npy")
    found = samples(tmp_path / "wds")
    # One sample per array of the npy run (per segment with "files"), keyed
    # by that array's path: dogs/bark1.000.npy -> dogs/bark1%2E000.
    assert set(found) == {sample_key(rel) for rel in arrays}
    if layout == "files":
        assert "dogs/bark1%2E002" in found
        assert len(found) > len(FILES)
    entries = manifest(tmp_path / "npy")
    for rel, path in arrays.items():
        sample = found[sample_key(rel)]
        assert set(sample) == {"npy", "json"}
        assert sample["npy"] == path.read_bytes(), rel
        meta = json.loads(sample["json"])
        assert meta["key"] == sample_key(rel)
        if layout == "stack":
            assert meta["segments"] == entries[f"{rel}.npy"]["segments"]
        else:
            base, k = rel.rsplit(".", 1)
            starts = entries[f"{base}.000.npy"]["segments"]
            assert meta["segment"] == int(k)
            assert meta["start"] == starts[int(k)]  # type: ignore[index]
            assert meta["source"] == entries[f"{base}.000.npy"]["source"]


# webdataset 1.0 leaves the last shard's file for the garbage collector.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_webdataset_library_yields_one_example_per_segment(
    src: Path, tmp_path: Path
) -> None:
    wds = pytest.importorskip("webdataset")
    out = tmp_path / "wds"
    ok(mel(src, out, *SMALL, *SEGMENTS, "--segment-layout", "files", *WDS))
    urls = [str(p) for p in sorted(out.glob("shard-*.tar"))]
    dataset = wds.WebDataset(urls, shardshuffle=False).decode()
    shapes = {}
    for sample in dataset:
        assert sample["json"]["key"] == sample["__key__"]
        shapes[sample["__key__"]] = sample["npy"].shape
    del dataset
    gc.collect()
    assert set(shapes.values()) == {(24, 1 + 8000 // 128)}
    # bark1: 1.3 s in 0.5-s windows every 0.4 s; bark.v2: one padded window.
    assert sum(k.startswith("dogs/bark1%2E") for k in shapes) == 3
    assert [k for k in shapes if k.startswith("dogs/bark%2Ev2")] == [
        "dogs/bark%2Ev2%2E000"
    ]


def test_segment_samples_rerun_change_and_prune(
    src: Path, tmp_path: Path, write_audio: WriteAudio
) -> None:
    out = tmp_path / "wds"
    options = (*SMALL, *SEGMENTS, "--segment-layout", "files", *WDS)
    ok(mel(src, out, *options))
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.tar")}
    # Nothing changed: nothing written.
    result = ok(mel(src, out, *options))
    assert result.stderr.splitlines()[-1] == f"0 written, {len(FILES)} up to date."
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.tar")} == first
    # bark1 now gives fewer segments: its new samples replace the old ones.
    write_audio("dogs/bark1.wav", noise(sr=SR, seconds=0.7, seed=9), sr=SR)
    ok(mel(src, out, *options))
    entry = manifest(out)["dogs/bark1.000.npy"]
    assert entry["segments"] == [0.0, 0.4]
    assert set(entry["samples"]) == {"dogs/bark1%2E000", "dogs/bark1%2E001"}  # type: ignore[arg-type]
    # --prune rewrites the shards: each current segment exactly once, and
    # the copies the manifest points at are the arrays of a fresh npy run.
    ok(mel(src, out, *options, "--prune"))
    ref = tmp_path / "ref"
    ok(mel(src, ref, *SMALL, *SEGMENTS, "--segment-layout", "files"))
    arrays = npy_tree(ref)
    found = samples(out)
    assert set(found) == {sample_key(rel) for rel in arrays}
    for rel, path in arrays.items():
        assert found[sample_key(rel)]["npy"] == path.read_bytes(), rel
    for mkey, entry in manifest(out).items():
        assert mkey.endswith(".000.npy")
        shard = (out / str(entry["shard"])).read_bytes()
        for key, members in entry_samples(entry).items():
            offset, size = members["npy"]
            array = np.load(io.BytesIO(shard[offset : offset + size]))
            np.testing.assert_array_equal(array, np.load(arrays[key_to_path(key)]))


def test_switching_the_segment_layout_in_shards_replaces_the_samples(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    ok(mel(src, out, *SMALL, *SEGMENTS, *WDS))  # stack
    old_shards = sorted(p.name for p in out.glob("shard-*.tar"))
    files = (*SMALL, *SEGMENTS, "--segment-layout", "files", *WDS)
    dry = ok(mel(src, out, *files, "--dry-run"))
    for name in old_shards:
        assert f"would delete {name}: it holds no current sample" in dry.stdout
    ok(mel(src, out, *files, "--stats"))
    # Only the files layout's entries and samples are left.
    assert all(k.endswith(".000.npy") for k in manifest(out))
    assert not set(old_shards) & {p.name for p in out.glob("shard-*.tar")}
    assert all("%2E0" in key for key in samples(out))
    with np.load(out / "stats.npz") as saved:
        one_per_segment = sum(len(e["segments"]) for e in manifest(out).values())  # type: ignore[arg-type]
        assert int(saved["count"]) == one_per_segment * (1 + 8000 // 128)


# ------------------------------------------------------ webdataset stats
@pytest.mark.parametrize(
    "options",
    [
        (),
        ("--no-mono",),
        ("--kind", "mfcc", "--n-mfcc", "13"),
        ("--kind", "stft", "--dtype", "float16"),
        SEGMENTS,
        (*SEGMENTS, "--no-mono"),
        (*SEGMENTS, "--segment-layout", "files"),
    ],
    ids=repr,
)
def test_stats_of_shards_and_files_equal_numpy_over_the_arrays(
    src: Path, tmp_path: Path, options: tuple[str, ...]
) -> None:
    ok(mel(src, tmp_path / "npy", *SMALL, *options, "--stats"))
    arrays = [np.load(p) for p in npy_tree(tmp_path / "npy").values()]
    assert_stats_of(tmp_path / "npy" / "stats.npz", arrays)
    out = tmp_path / "wds"
    result = ok(mel(src, out, *SMALL, *options, *WDS, "--stats"))
    assert "no arrays" not in result.stderr
    assert f"from {len(arrays)} arrays" in result.stderr
    assert_stats_of(out / "stats.npz", arrays)
    # melcli stats OUT reads the same members, again.
    (out / "stats.npz").unlink()
    result = CliRunner().invoke(cli, ["stats", str(out)])
    assert result.exit_code == 0, result.stderr
    assert_stats_of(out / "stats.npz", arrays)


def test_stats_follow_the_manifest_after_a_change_and_prune(
    src: Path, tmp_path: Path, write_audio: WriteAudio
) -> None:
    out = tmp_path / "wds"
    ok(mel(src, out, *SMALL, *WDS))
    write_audio("dogs/bark1.wav", noise(sr=SR, seconds=0.9, seed=7), sr=SR)
    (src / "birds/tweet.wav").unlink()
    ok(mel(src, out, *SMALL, *WDS, "--stats"))  # superseded and stale copies remain
    ref = tmp_path / "npy"
    ok(mel(src, ref, *SMALL))
    arrays = [np.load(p) for p in npy_tree(ref).values()]
    assert_stats_of(out / "stats.npz", arrays)
    ok(mel(src, out, *SMALL, *WDS, "--prune"))  # samples copied to new shards
    assert CliRunner().invoke(cli, ["stats", str(out)]).exit_code == 0
    assert_stats_of(out / "stats.npz", arrays)


def test_stats_name_a_broken_member(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "wds"
    ok(mel(src, out, *SMALL, *WDS))
    entry = manifest(out)["dogs/bark1.npy"]
    offset, _size = entry["members"]["npy"]  # type: ignore[index]
    shard = out / str(entry["shard"])
    with open(shard, "r+b") as f:  # overwrite the npy magic
        f.seek(offset)
        f.write(b"garbage!")
    result = CliRunner().invoke(cli, ["stats", str(out)])
    assert result.exit_code == 1
    assert f"{entry['shard']}/dogs/bark1.npy:" in result.stderr
    assert not (out / "stats.npz").exists()


@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.float32).reshape(4, 6),
        np.asfortranarray(np.arange(24, dtype=np.float64).reshape(4, 6)),
        np.ones((2, 3, 5), dtype=np.float16),
        np.zeros((3, 0), dtype=np.float32),
    ],
    ids=["float32", "fortran", "float16", "empty"],
)
@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_read_npy_maps_a_member_in_place(
    tmp_path: Path, array: np.ndarray, version: tuple[int, int]
) -> None:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version)
    data = buf.getvalue()
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 1000 + data + b"y" * 512)
    got = read_npy(Slice(path, 1000, len(data)))
    assert got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)
    with pytest.raises(ValueError, match="does not hold"):
        read_npy(Slice(path, 1000, len(data) + 1))
    with pytest.raises(ValueError, match="magic string"):
        read_npy(Slice(path, 999, len(data)))


# ------------------------------------------------- webdataset and PNGs
def _png(out: Path, key: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{key.replace('/', '_')}.png"
    path.write_bytes(samples(out)[key]["png"])
    return path


def test_changing_png_settings_rewrites_the_samples(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "wds"
    image = ("--png", "--png-style", "image")
    ok(mel(src, out, *SMALL, *WDS, *image))
    ref = tmp_path / "npy"
    ok(mel(src, ref, *SMALL))
    want = np.load(ref / "dogs/bark1.npy")
    grey = read_image(_png(out, "dogs/bark1", tmp_path))
    assert np.abs(grey - want).max() <= 180 / 65535 + 1e-6

    # The same settings: up to date. Another colormap: every sample rewritten.
    result = ok(mel(src, out, *SMALL, *WDS, *image))
    assert result.stderr.splitlines()[-1] == f"0 written, {len(FILES)} up to date."
    dry = ok(mel(src, out, *SMALL, *WDS, *image, "--cmap", "magma", "--dry-run"))
    assert dry.stdout.count(": PNG style changed\n") == len(FILES)
    result = ok(mel(src, out, *SMALL, *WDS, *image, "--cmap", "magma"))
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    png = _png(out, "dogs/bark1", tmp_path)
    from PIL import Image

    with Image.open(png) as img:
        assert img.mode == "RGB"
        assert img.size == (want.shape[1], want.shape[0])
    assert np.abs(read_image(png) - want).max() <= 180 / 255 + 1e-6
    # The arrays did not change; a figure with a waveform panel replaces the
    # image, and then the run is up to date again.
    for key, sample in samples(out).items():
        assert sample["npy"] == (ref / f"{key_to_path(key)}.npy").read_bytes()
    result = ok(mel(src, out, *SMALL, *WDS, "--png", "--waveform"))
    assert result.stderr.splitlines()[-1] == f"{len(FILES)} written."
    with Image.open(_png(out, "dogs/bark1", tmp_path)) as img:
        assert img.size != (want.shape[1], want.shape[0])  # a figure
    result = ok(mel(src, out, *SMALL, *WDS, "--png", "--waveform"))
    assert result.stderr.splitlines()[-1] == f"0 written, {len(FILES)} up to date."


# ------------------------------------------ segments with kinds, presets
@pytest.mark.parametrize(
    ("options", "params"),
    [
        (("--kind", "stft"), MelParams(kind="stft")),
        (("--kind", "mfcc", "--n-mfcc", "13"), MelParams(kind="mfcc", n_mfcc=13)),
        (("--preset", "whisper"), melcli.preset_params("whisper")),
        (("--preset", "hifigan"), melcli.preset_params("hifigan", sr=SR)),
    ],
    ids=["stft", "mfcc", "whisper", "hifigan"],
)
def test_each_segment_is_its_window_computed_alone(
    src: Path, tmp_path: Path, options: tuple[str, ...], params: MelParams
) -> None:
    out = tmp_path / "out"
    params = params.replace(sr=SR, segment=0.5, segment_hop=0.4).validate()
    ok(mel(src, out, *options, "--sr", str(SR), *SEGMENTS))
    size, hop = segment.sizes(params, SR)
    for rel in FILES:
        y = audio.load(src / rel, params).y  # decoded whole, in memory
        got = np.load(out / Path(rel).with_suffix(".npy"))
        n = segment.n_segments(len(y), size=size, hop=hop)
        assert got.shape[0] == n
        for k in range(n):
            window = clip.pad_to(y[k * hop : k * hop + size], size, pad="zeros")
            want = tf.features(window, sr=SR, params=params)
            assert got[k].shape == want.shape
            np.testing.assert_allclose(got[k], want, rtol=0, atol=1e-4)
        if options == ("--preset", "whisper"):  # 0.5 s: 50 frames, the last dropped
            assert got.shape[1:] == (80, 50)


def test_clip_shapes_count_drop_last_frame_and_pad_length() -> None:
    whisper = melcli.preset_params("whisper", clip_duration=30.0)
    assert clip.clip_frames(whisper, 16000) == 3000
    hifigan = melcli.preset_params("hifigan", clip_duration=1.0)
    y = noise(sr=22050, seconds=0.4)
    S = melcli.mel_spectrogram(y, sr=22050, params=hifigan)
    assert S.shape == (80, clip.clip_frames(hifigan, 22050))
    assert clip.clip_frames(hifigan, 22050) == 1 + (22050 + 2 * 384 - 1024) // 256


# -------------------------------------------------- Whisper, end to end
@pytest.mark.parametrize(("name", "n_mels"), [("whisper", 80), ("whisper-v3", 128)])
@pytest.mark.slow
def test_whisper_preset_with_30_s_clips_is_whisper_from_the_cli(
    tmp_path: Path, name: str, n_mels: int
) -> None:
    folder = tmp_path / "speech"
    folder.mkdir()
    waves = {"short": speechlike(16000, seconds=4.0), "long": speechlike(16000, 33.0)}
    for stem, y in waves.items():
        sf.write(folder / f"{stem}.wav", y, 16000, subtype="FLOAT")
    out = tmp_path / name
    ok(mel(folder, out, "--preset", name, "--clip-duration", "30"))
    for stem, y in waves.items():
        # Whisper pads or trims the waveform to 30 s, then returns 3000 frames.
        want = whisper_features(y, n_mels=n_mels)
        got = np.load(out / f"{stem}.npy")
        assert got.shape == want.shape == (n_mels, 3000)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


# ----------------------------------------------- long files (over 600 s)
@pytest.fixture(scope="module")
def long_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """601 s at 8 kHz (streamed: over STREAM_SECONDS), a glide and noise."""
    sr = 8000
    t = np.arange(601 * sr) / sr
    glide = np.sin(2 * np.pi * (300 + 200 * np.sin(2 * np.pi * 0.01 * t)) * t)
    rng = np.random.default_rng(3)
    y = (0.3 * glide + 0.05 * (rng.random(t.size) - 0.5)).astype(np.float32)
    path = tmp_path_factory.mktemp("long") / "in" / "long.wav"
    path.parent.mkdir()
    sf.write(path, y, sr, subtype="PCM_16")
    return path


@pytest.mark.parametrize(
    ("options", "params"),
    [
        (
            ("--clip-duration", "5", "--kind", "stft", "--crop", "center"),
            MelParams(clip_duration=5.0, kind="stft", crop="center"),
        ),
        (
            ("--preset", "whisper", "--clip-duration", "30", "--crop", "random"),
            melcli.preset_params("whisper", clip_duration=30.0, crop="random"),
        ),
        (
            ("--segment", "120", "--kind", "mfcc", "--sr", "16000"),
            MelParams(segment=120.0, kind="mfcc", sr=16000),
        ),
    ],
    ids=["clip-stft", "clip-whisper", "segment-mfcc"],
)
@pytest.mark.slow
def test_long_files_stream_and_give_the_in_memory_answer(
    long_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: tuple[str, ...],
    params: MelParams,
) -> None:
    assert not stream.can_stream(params)  # not on the mel streaming path
    assert sf.info(long_file).duration > stream.STREAM_SECONDS
    read = []
    real = stream.resampled_blocks

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        for item in real(*args, **kwargs):
            read.append(item[0].shape[-1])
            yield item

    monkeypatch.setattr(stream, "resampled_blocks", counting)
    out = tmp_path / "out"
    ok(mel(long_file.parent, out, *options))
    assert read, "the long file was decoded whole"
    got = np.load(out / "long.npy")

    # In memory: the whole file decoded and resampled at once, then clipped
    # (the file's key is its name) or cut into windows by hand.
    y, native = sf.read(long_file, dtype="float32")
    sr = params.sr or native
    y, _ = audio.to_rate(y, native, params)
    if params.clip_duration is not None:
        y = clip.clip_waveform(y, sr=sr, params=params, key="long.wav")
        want = tf.features(y, sr=sr, params=params)
    else:
        size, hop = segment.sizes(params, sr)
        windows = [
            clip.pad_to(y[start : start + size], size, pad="zeros")
            for start in range(0, len(y), hop)
        ]
        want = np.stack([tf.features(w, sr=sr, params=params) for w in windows])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


# ------------------------------------------------------------ --dry-run
@pytest.mark.parametrize(
    "options",
    [
        ("--kind", "mfcc", "--stats"),
        ("--preset", "whisper", "--clip-duration", "1"),
        (*SEGMENTS, "--segment-layout", "files", "--stats"),
        (*SEGMENTS, *WDS, "--stats"),
        (*SEGMENTS, "--segment-layout", "files", *WDS),
        ("--png", "--png-style", "image", "--cmap", "magma", *WDS),
        ("--png", "--waveform", "--clip-duration", "1", "--no-mono"),
    ],
    ids=repr,
)
@pytest.mark.slow
def test_dry_run_writes_nothing_and_agrees_with_the_run(
    src: Path, tmp_path: Path, options: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    dry = ok(mel(src, out, *SMALL, *options, "--dry-run"))
    assert not out.exists()
    assert sorted(dry.stdout.splitlines()) == sorted(
        f"would build {src / rel}: new" for rel in FILES
    )
    ok(mel(src, out, *SMALL, *options))
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.rglob("*"))
    again = ok(mel(src, out, *SMALL, *options, "--dry-run"))
    assert again.stdout == ""
    assert f"0 to build, {len(FILES)} up to date" in again.stderr
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.rglob("*")) == before


# ------------------------------------------------ PNG figures and clips
def test_waveform_panel_shows_the_clip_the_spectrogram_is_of(
    write_audio: WriteAudio,
) -> None:
    from melcli.render import waveform_envelope

    quiet = np.zeros(SR, dtype=np.float32)
    loud = tone(500.0, sr=SR, seconds=1.0)
    path = write_audio("middle.wav", np.concatenate([quiet, loud, quiet]), sr=SR)
    whole, seconds = waveform_envelope(path, MelParams(sr=SR), columns=30)
    assert seconds == pytest.approx(3.0)
    assert np.abs(whole[0, :, :10]).max() == 0.0  # the file starts silent
    # Centre crop: the panel is the loud second, as the spectrogram is.
    centred = MelParams(sr=SR, clip_duration=1.0, crop="center")
    envelope, seconds = waveform_envelope(path, centred, columns=30)
    assert seconds == pytest.approx(1.0)
    assert (envelope[0, 1] > 0.4).all()
    assert (envelope[0, 0] < -0.4).all()
    # Padded to 4 s: the end of the panel is the padding.
    padded = MelParams(sr=SR, clip_duration=4.0)
    envelope, seconds = waveform_envelope(path, padded, columns=40)
    assert seconds == pytest.approx(4.0)
    assert np.abs(envelope[0, :, 31:]).max() == 0.0
    assert envelope[0, 1, 12:18].min() > 0.4


def test_a_task_that_did_not_finish_leaves_no_staged_segments(tmp_path: Path) -> None:
    from melcli.discover import Job, Task
    from melcli.manifest import Manifest
    from melcli.storage.webdataset import SampleStore

    out = tmp_path / "out"
    out.mkdir()
    params = MelParams(segment=1.0, segment_layout="files")
    store = SampleStore(
        Manifest.load(out), params=params, shard_size=10**6, record=print
    )
    job = Job(src=tmp_path / "a.wav", rel="a.wav", npy=out / "a.000.npy")
    staged = store.stage(Task(job)).job
    assert staged.npy.name == ".stage-0.000.npy.melcli-tmp"
    ours = [
        ".stage-0.000.npy.melcli-tmp",
        ".stage-0.001.npy.melcli-tmp",
        "..stage-0.002.npy.melcli-tmp.k3j9x2q1.melcli-tmp",  # killed mid-write
    ]
    others = [".stage-01.000.npy.melcli-tmp", ".stage-1.000.npy.melcli-tmp", "a.npy"]
    for name in ours + others:
        (out / name).write_bytes(b"x")
    store.discard(staged)
    assert sorted(p.name for p in out.iterdir()) == sorted(others)
    assert store.original(staged) == job


# ------------------------------------------------------- the Python API
def test_python_api_runs_the_features_as_the_command_line_does(
    src: Path, tmp_path: Path
) -> None:
    """melcli.run with a preset, clips, the image style; segments; write_stats."""
    from melcli.render import RenderParams

    out = tmp_path / "api"
    params = melcli.preset_params("whisper", clip_duration=1.0, crop="center")
    render = RenderParams(style="image")
    report = melcli.run([src], out, params=params, png=True, jobs=1, render=render)
    assert report.exit_code == 0, report.summary()
    cli_out = tmp_path / "cli"
    ok(mel(src, cli_out, "--preset", "whisper", "--clip-duration", "1",
           "--crop", "center", "--png", "--png-style", "image"))  # fmt: skip
    for rel in FILES:
        stem = rel[: -len(".wav")]
        got = np.load(out / f"{stem}.npy")
        assert got.shape == (80, clip.clip_frames(params, SR))
        np.testing.assert_array_equal(got, np.load(cli_out / f"{stem}.npy"))
        # The image is the array, within one grey level of Whisper's range.
        lo, hi = (-12 + 4) / 4, (6 + 4) / 4
        level = (hi - lo) / 65535
        assert np.abs(read_image(out / f"{stem}.png") - got).max() <= level
    stats = melcli.write_stats(out)
    assert_stats_of(out / "stats.npz", [np.load(p) for p in sorted(out.rglob("*.npy"))])
    assert stats.count == len(FILES) * clip.clip_frames(params, SR)

    segs = tmp_path / "segs"
    seg_params = MelParams(sr=SR, n_mels=24, n_fft=512, segment=0.5, segment_hop=0.4)
    report = melcli.run([src], segs, params=seg_params, jobs=1)
    assert report.exit_code == 0, report.summary()
    by_src = {r.src.relative_to(src).as_posix(): r for r in report.results}
    for rel, y in FILES.items():
        n = len(y)
        size, hop = round(0.5 * SR), round(0.4 * SR)
        count = 1 + -(-max(0, n - size) // hop)  # docs/segments.md: hop <= size
        assert by_src[rel].segments == tuple(
            round(k * hop / SR, 6) for k in range(count)
        )
        assert np.load(segs / rel.replace(".wav", ".npy")).shape[0] == count


# ------------------------------------------------ --files-from with the rest
def write_table(src: Path, rows: dict[str, str], name: str = "meta.csv") -> Path:
    """A table beside ``src``: one row per file, its class in 'category'."""
    table = src.parent / name
    lines = ["filename,category,fold"]
    lines += [f"{rel},{category},{1 + len(rel) % 5}" for rel, category in rows.items()]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table


CATEGORIES = {
    "dogs/bark1.wav": "dog",
    "dogs/bark.v2.wav": "dog",
    "birds/tweet.wav": "bird",
}


def listed(table: Path, src: Path, out: Path, *options: object) -> Result:
    args = ["mel", "--files-from", table, "--root", src, "-o", out, "-j", "1", *SMALL]
    argv = [str(a) for a in (*args, *options)]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["npy", "webdataset"])
def test_files_from_reruns_prunes_and_keeps_meta_current(
    src: Path, tmp_path: Path, fmt: str
) -> None:
    table = write_table(src, CATEGORIES)
    out = tmp_path / "out"
    storage = WDS if fmt == "webdataset" else ()
    first = ok(listed(table, src, out, *storage))
    assert first.stderr.splitlines()[-1] == "3 written."
    folder_run = tmp_path / "folder"
    ok(mel(src, folder_run, *SMALL))
    for entry in manifest(out).values():
        assert entry["meta"]["category"] == CATEGORIES[entry["source"]]
        assert set(entry["meta"]) == {"category", "fold"}
    for x, info in SpectrogramDataset(out, label_column="category"):
        reference = np.load(folder_run / info["path"])
        np.testing.assert_array_equal(x, reference)
        assert info["class"] == CATEGORIES[info["source"]]

    # A re-run: up to date. A corrected label goes into the manifest; a
    # shard's KEY.json holds it too, so that sample is rewritten.
    assert ok(listed(table, src, out, *storage)).stderr.splitlines()[-1] == (
        "0 written, 3 up to date."
    )
    fixed = {**CATEGORIES, "dogs/bark.v2.wav": "wolf"}
    write_table(src, fixed)
    again = ok(listed(table, src, out, *storage))
    rewritten = 1 if fmt == "webdataset" else 0
    assert again.stderr.splitlines()[-1] == (
        f"{rewritten} written, {3 - rewritten} up to date."
    )
    got = {e["source"]: e["meta"]["category"] for e in manifest(out).values()}
    assert got == fixed
    if fmt == "webdataset":  # the KEY.json each entry points at (not a stale copy)
        for entry in manifest(out).values():
            offset, size = entry["members"]["json"]
            with open(out / entry["shard"], "rb") as f:
                f.seek(offset)
                described = json.loads(f.read(size))
            assert described["meta"] == entry["meta"]
            assert described["meta"]["category"] == fixed[entry["source"]]

    # A file changed, one gone (its row too): rebuilt, and pruned.
    sf.write(src / "birds/tweet.wav", tone(500.0, sr=SR, seconds=0.4), SR)
    (src / "dogs/bark1.wav").unlink()
    del fixed["dogs/bark1.wav"]
    write_table(src, fixed)
    pruned = ok(listed(table, src, out, *storage, "--prune"))
    assert pruned.stderr.splitlines()[-1] == (
        "1 written, 1 up to date, 1 stale output removed."
    )
    assert sorted(e["source"] for e in manifest(out).values()) == sorted(fixed)
    ds = SpectrogramDataset(out, label_column="category")
    assert sorted(info["source"] for _, info in ds) == sorted(fixed)
    assert ds.classes == ["bird", "wolf"]


def test_files_from_shards_merge_into_one_manifest_with_meta(
    src: Path, tmp_path: Path
) -> None:
    table = write_table(src, CATEGORIES)
    out = tmp_path / "out"
    counts = []
    for i in range(2):
        result = ok(listed(table, src, out, "--shard", f"{i}/2"))
        counts.append(int(result.stderr.splitlines()[-1].split()[0]))
    assert sum(counts) == len(CATEGORIES)
    merged = CliRunner().invoke(cli, ["merge", str(out)], catch_exceptions=False)
    assert merged.exit_code == 0, merged.stderr
    entries = manifest(out)
    assert {e["source"]: e["meta"]["category"] for e in entries.values()} == CATEGORIES
    whole = ok(listed(table, src, out))
    assert whole.stderr.splitlines()[-1] == "0 written, 3 up to date."


def test_files_from_on_a_local_dask_cluster(src: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    table = write_table(src, CATEGORIES)
    local = ok(listed(table, src, tmp_path / "local"))
    dask = ok(listed(table, src, tmp_path / "dask", "--scheduler", "local"))
    assert dask.stderr.splitlines()[-1] == local.stderr.splitlines()[-1] == "3 written."
    for key, entry in manifest(tmp_path / "dask").items():
        assert entry["meta"] == manifest(tmp_path / "local")[key]["meta"]
        np.testing.assert_array_equal(
            np.load(tmp_path / "dask" / key), np.load(tmp_path / "local" / key)
        )
