"""Cut files of every format fail (or are kept with a warning); whole ones are written.

A sweep cuts a file of each supported format at many points of its bytes and
decodes every cut through the library (``melcli.audio.load``), with
``truncated="fail"`` and ``"keep"``. MP3s of every MPEG version, layers II and
III, mono/stereo/joint stereo, CBR and VBR, from ``lame``, ``sox`` and
libsndfile, are decoded whole and compared with ffmpeg's decode, then cut.
The other read paths (streamed, clip, segments) and the command line are
checked on a few cuts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hostile_corpus import make_m4a

from melcli import MelParams, Status, audio, containers, transform
from melcli.discover import Job
from melcli.pipeline import process_one
from melcli.segment import plan_job

SR = 22050
#: Where each file is cut, as a fraction of its bytes.
CUTS = (0.05, 0.13, 0.21, 0.29, 0.37, 0.45, 0.53, 0.61, 0.69, 0.77, 0.85, 0.93, 0.99)
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
#: What a cut file may fail with: cut short, or too little left to be audio.
CUT_REASON = re.compile(
    r"^(truncated: decoded \d+\.\d\d s(, then | of )"
    r"|corrupt or truncated: decoding stopped at"
    r"|corrupt or truncated: ffprobe cannot read it"
    r"|truncated: the stream ends without its end mark"
    r"|truncated: the file ends inside .*, before its index \('moov'\)"
    r"|cannot decode|not an audio file|no audio samples)"
)
#: The first length a message names, in seconds.
SECONDS = re.compile(r"(\d+\.\d\d) s")
#: What a kept cut file's warning says: how much was decoded.
KEPT = re.compile(
    r"(truncated: decoded|decoding stopped at) \d+\.\d\d s.*; kept what was decoded$"
)


def signal(seconds: float, sr: int, channels: int = 1) -> np.ndarray:
    """A tone with a little noise (so that lossy encoders have work to do)."""
    rng = np.random.default_rng(sr + channels)
    t = np.arange(round(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.05 * rng.standard_normal(len(t))
    y = y.astype(np.float32)
    return y if channels == 1 else np.stack([y, y[::-1]], axis=1)


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"needs the {tool} command, which is not installed")


def load(path: Path, params: MelParams) -> tuple[int, list[str]]:
    """Decode ``path``; return its length in samples and the warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(path, params)
    return wave.y.shape[-1], [str(w.message) for w in caught]


def cut(src: Path, fraction: float, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def assert_cut_is_caught(path: Path, *, whole: int) -> None:
    """A cut fails with a reason; with ``keep`` it is written with how much."""
    with pytest.raises(audio.AudioError) as failed:
        load(path, FAIL)
    assert CUT_REASON.search(str(failed.value)), (path.name, str(failed.value))
    try:
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always")
            wave = audio.load(path, KEEP)
    except audio.AudioError as exc:  # nothing decodable at all
        reason = str(exc)
    else:
        reason = ""
    if reason:
        assert CUT_REASON.search(reason), (path.name, reason)
        return
    caught = [str(w.message) for w in recorded]
    kept = [m for w in caught if (m := KEPT.search(w))]
    assert kept, (path.name, caught)
    n = wave.y.shape[-1]
    assert n < whole, f"{path.name}: kept {n} samples of a {whole}-sample file"
    # One account of the cut: the failure and the warning name the same
    # point, what is kept reaches it, and the file's length is what it held.
    said = SECONDS.search(str(failed.value))
    warned = SECONDS.search(kept[0].group(0))
    assert said is not None, str(failed.value)
    assert warned is not None, kept[0]
    assert warned.group(1) == said.group(1), (path.name, str(failed.value), kept[0])
    assert abs(n / wave.sr - float(said.group(1))) <= 0.005, (path.name, n, said)
    assert wave.info.duration == n / wave.sr, (path.name, wave.info)


# ------------------------------------------------------------------ the sweep
def _soundfile(fmt: str, subtype: str | None, sr: int = SR) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        sf.write(path, signal(3.0, sr), sr, format=fmt, subtype=subtype)

    return make


def _m4a(path: Path) -> None:
    need("ffmpeg")
    make_m4a(path)


FORMATS: dict[str, Callable[[Path], None]] = {
    "wav": _soundfile("WAV", "PCM_16"),
    "aiff": _soundfile("AIFF", "PCM_16"),
    "au": _soundfile("AU", "PCM_16"),
    "caf": _soundfile("CAF", "PCM_16"),
    "flac": _soundfile("FLAC", "PCM_16"),
    "w64": _soundfile("W64", "PCM_16"),
    "rf64": _soundfile("RF64", "PCM_16"),
    "ogg": _soundfile("OGG", "VORBIS"),
    "opus": _soundfile("OGG", "OPUS", sr=48000),
    "mp3": _soundfile("MP3", "MPEG_LAYER_III"),
    "m4a": _m4a,
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
@pytest.mark.slow
def test_every_cut_of_every_format_fails_or_is_kept_with_a_warning(
    tmp_path: Path, ext: str
) -> None:
    whole = tmp_path / f"whole.{ext}"
    FORMATS[ext](whole)
    n_whole, caught = load(whole, FAIL)
    assert not [w for w in caught if "truncated" in w], caught
    cuts = CUTS if ext != "m4a" else CUTS[1::4]  # each m4a decode runs ffmpeg
    for fraction in cuts:
        assert_cut_is_caught(
            cut(whole, fraction, tmp_path / f"cut.{ext}"), whole=n_whole
        )


# -------------------------------------------------------------------- MP3s
RATES = {"MPEG-2.5": (8000, 11025), "MPEG-2": (16000, 22050), "MPEG-1": (44100, 48000)}
#: lame's channel modes and bitrate modes: (name, options, channels).
LAME = [
    ("mono_cbr", ["-m", "m"], 1),
    ("mono_vbr", ["-m", "m", "-V", "4"], 1),
    ("joint_cbr", ["-m", "j"], 2),
    ("stereo_vbr", ["-m", "s", "-V", "2"], 2),
]


def _encode(tool: list[str], src: Path, dst: Path) -> None:
    subprocess.run([*tool, str(src), str(dst)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def mp3s(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """MPEG-1/2/2.5 layer III from lame and sox, layer II from sox, libsndfile's."""
    need("lame")
    need("sox")
    root = tmp_path_factory.mktemp("mp3")
    made = []
    for rates in RATES.values():
        for sr in rates:
            for channels in (1, 2):
                sf.write(
                    root / f"src{sr}_{channels}.wav", signal(1.57, sr, channels), sr
                )
            for name, options, channels in LAME:
                dst = root / f"lame_{name}_{sr}.mp3"
                _encode(
                    ["lame", "--quiet", *options], root / f"src{sr}_{channels}.wav", dst
                )
                made.append(dst)
            for channels in (1, 2):
                dst = root / f"sox_{channels}ch_{sr}.mp3"
                _encode(["sox"], root / f"src{sr}_{channels}.wav", dst)
                made.append(dst)
    for sr, channels in ((44100, 2), (22050, 1)):  # MPEG-1 and MPEG-2 layer II
        dst = root / f"sox_layer2_{channels}ch_{sr}.mp2"
        _encode(["sox"], root / f"src{sr}_{channels}.wav", dst)
        made.append(dst)
    libsndfile = root / "libsndfile_22050.mp3"
    sf.write(libsndfile, signal(1.57, SR), SR, format="MP3")
    return [*made, libsndfile]


def ffmpeg_samples(paths: list[Path]) -> dict[Path, int]:
    """Samples per channel that ffmpeg decodes from each of ``paths`` (one run)."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for path in paths:
        command += ["-i", str(path)]
    for i, path in enumerate(paths):
        command += ["-map", f"{i}:a", "-ac", "1", "-f", "f32le", f"{path}.f32"]
    subprocess.run(command, capture_output=True, check=True)
    return {path: Path(f"{path}.f32").stat().st_size // 4 for path in paths}


def frame_ends(path: Path) -> list[int]:
    """Byte offsets where ffprobe says the audio frames of ``path`` end."""
    command = ["ffprobe", "-v", "error", "-of", "json"]
    command += ["-show_entries", "packet=pos,size", str(path)]
    text = subprocess.run(command, capture_output=True, check=True, text=True).stdout
    return sorted(int(p["pos"]) + int(p["size"]) for p in json.loads(text)["packets"])


def samples_per_frame(path: Path) -> int:
    info = sf.info(str(path))
    if info.subtype == "MPEG_LAYER_III" and info.samplerate < 32000:
        return 576  # MPEG-2 and 2.5 layer III
    return 1152  # layer II, MPEG-1 layer III


def lists_its_frames(data: bytes) -> bool:
    """Whether an MP3 starts with a Xing/Info header (which counts its frames)."""
    return b"Xing" in data[:2000] or b"Info" in data[:2000]


def test_mp3_corpus_covers_every_mpeg_version_layer_and_mode(mp3s: list[Path]) -> None:
    infos = [sf.info(str(p)) for p in mp3s]
    rates = {i.samplerate for i in infos}
    assert all(set(rs) <= rates for rs in RATES.values())
    assert {"MPEG_LAYER_II", "MPEG_LAYER_III"} <= {i.subtype for i in infos}
    assert {1, 2} <= {i.channels for i in infos}
    # Some with a Xing/Info header, some without (libsndfile's count estimated).
    assert len({lists_its_frames(p.read_bytes()) for p in mp3s}) == 2


def test_valid_mp3s_are_written_with_ffmpegs_length(mp3s: list[Path]) -> None:
    need("ffmpeg")
    reference = ffmpeg_samples(mp3s)
    for path in mp3s:
        n, caught = load(path, FAIL)
        assert not any("truncated" in w for w in caught), (path.name, caught)
        assert abs(n - reference[path]) <= samples_per_frame(path), (
            path.name,
            n,
            reference[path],
        )


@pytest.mark.slow
def test_cut_mp3s_fail_unless_cut_between_frames_of_a_headerless_stream(
    mp3s: list[Path], tmp_path: Path
) -> None:
    """A cut file fails; only a stream without a length header cut exactly
    between two frames cannot be told from a whole shorter file (it is one)."""
    need("ffprobe")
    caught = whole_streams = 0
    for path in mp3s:
        data = path.read_bytes()
        n_whole, _ = load(path, FAIL)
        ends = [] if lists_its_frames(data) else frame_ends(path)
        for fraction in CUTS[1::4]:
            at = int(len(data) * fraction)
            piece = cut(path, fraction, tmp_path / f"cut{path.suffix}")
            if at in ends:  # a whole stream of the frames before ``at``
                n, _ = load(piece, FAIL)
                assert n == sum(e <= at for e in ends) * samples_per_frame(path)
                whole_streams += 1
                continue
            assert_cut_is_caught(piece, whole=n_whole)
            caught += 1
    assert caught > 3 * whole_streams, (caught, whole_streams)


def test_mp3_cut_between_frames_fails_when_its_header_lists_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vbr.mp3"
    sf.write(path, signal(3.0, SR), SR, format="MP3")
    ends = sorted(e for e in _walk_frame_ends(path.read_bytes()))
    piece = tmp_path / "cut.mp3"
    piece.write_bytes(path.read_bytes()[: ends[len(ends) // 2]])
    with pytest.raises(
        audio.AudioError, match=r"^truncated: decoded 1\.\d\d s of 3\.00 s$"
    ):
        load(piece, FAIL)


def _walk_frame_ends(data: bytes) -> list[int]:
    """Frame ends of a simple MPEG-2 layer III stream (no ID3), for the test above."""
    ends, pos = [], 0
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        bitrate = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
        kbps = bitrate[data[pos + 2] >> 4]
        pos += 72 * kbps * 1000 // SR + (data[pos + 2] >> 1 & 1)
        ends.append(pos)
    assert len(ends) > 10, "not an MPEG-2 layer III stream from the first byte"
    return ends


def test_mp3_with_trailing_tag_or_junk_is_whole(tmp_path: Path) -> None:
    whole = tmp_path / "a.mp3"
    sf.write(whole, signal(1.0, SR), SR, format="MP3")
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(whole.read_bytes() + b"TAG" + b"\0" * 125)
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(whole.read_bytes() + np.random.default_rng(3).bytes(3000))
    for path in (tagged, junk):
        assert containers.claim(path, format="MP3", frames=SR).cut == ""
        load(path, FAIL)


# ----------------------------------------------------------- container notes
def test_ogg_without_end_of_stream_flag_is_cut_even_on_a_page_boundary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.ogg"
    sf.write(path, signal(3.0, SR), SR, format="OGG")
    data = path.read_bytes()
    path.write_bytes(data[: data.rfind(b"OggS")])  # without the last page
    claim = containers.claim(path, format="OGG", frames=0)
    assert claim.cut == "the Ogg stream ends without its end-of-stream page"
    message = r"^truncated: decoded 2\.\d\d s, then the Ogg stream ends without"
    with pytest.raises(audio.AudioError, match=message):
        load(path, FAIL)


def test_ogg_with_junk_after_its_last_page_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    sf.write(path, signal(2.0, SR), SR, format="OGG")
    path.write_bytes(path.read_bytes() + b"\0" * 300)
    frames = sf.info(str(path)).frames  # its last page's granule: whole
    assert containers.claim(path, format="OGG", frames=frames) == containers.Claim()
    load(path, FAIL)


def test_rf64_and_w64_with_placeholder_sizes_claim_nothing(tmp_path: Path) -> None:
    for fmt in ("W64", "RF64"):
        path = tmp_path / f"a.{fmt.lower()}"
        sf.write(path, signal(1.0, SR), SR, format=fmt)
        info = sf.info(str(path))
        assert containers.claim(path, format=fmt, frames=info.frames).frames is None


# ------------------------------------------------------------ other read paths
@pytest.fixture
def cut_files(tmp_path: Path) -> dict[str, Path]:
    """A Vorbis and a W64 file of 4 s, cut at 70 %."""
    files = {}
    for fmt, ext in (("OGG", "ogg"), ("W64", "w64")):
        whole = tmp_path / f"whole.{ext}"
        sf.write(whole, signal(4.0, SR), SR, format=fmt)
        files[ext] = cut(whole, 0.7, tmp_path / f"cut.{ext}")
    return files


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"clip_duration": 1.0},
        {"clip_duration": 1.0, "crop": "center"},
        {"segment": 1.0, "segment_layout": "files"},
        {"segment": 1.0},
    ],
    ids=["whole", "clip", "clip_center", "segment_files", "segment_stack"],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["in_memory", "streamed"])
def test_every_read_path_fails_a_cut_file_and_writes_nothing(
    cut_files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, object],
    streamed: bool,
) -> None:
    from melcli import stream

    if streamed:
        monkeypatch.setattr(stream, "STREAM_SECONDS", 0.5)
    out = tmp_path / "out"
    for ext, path in cut_files.items():
        job = plan_job(
            Job(path, path.name, out / f"{ext}.npy"), params=MelParams(**settings)
        )
        failed = process_one(job, params=MelParams(**settings).validate())
        assert failed.status is Status.FAILED, (ext, failed)
        assert failed.reason.startswith("truncated: decoded "), failed.reason
        assert not list(out.glob(f"{ext}*")), list(out.iterdir())
        kept = process_one(
            job, params=MelParams(truncated="keep", **settings).validate()
        )
        assert kept.status is Status.WRITTEN, kept.reason
        assert any(re.search(KEPT, w) for w in kept.warnings), kept.warnings


def test_command_line_fails_cut_files_and_keeps_them_when_asked(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from melcli.cli import cli

    src = tmp_path / "src"
    src.mkdir()
    for fmt, ext in (("OGG", "ogg"), ("RF64", "rf64")):
        sf.write(src / f"{ext}_whole.{ext}", signal(4.0, SR), SR, format=fmt)
        cut(src / f"{ext}_whole.{ext}", 0.8, src / f"{ext}_cut.{ext}")
    runner = CliRunner()
    out = tmp_path / "out"
    failed = runner.invoke(cli, ["mel", str(src), "-o", str(out)])
    assert failed.exit_code == 1, failed.stderr
    assert "2 written, 2 failed." in failed.stderr
    ogg = r"^error: .*ogg_cut\.ogg: truncated: decoded \d\.\d\d s, then the Ogg stream"
    rf64 = r"^error: .*rf64_cut\.rf64: truncated: decoded 3\.20 s of 4\.00 s$"
    assert re.search(ogg, failed.stderr, re.MULTILINE), failed.stderr
    assert re.search(rf64, failed.stderr, re.MULTILINE), failed.stderr
    assert sorted(p.name for p in out.glob("*.npy")) == [
        "ogg_whole.npy",
        "rf64_whole.npy",
    ]
    kept = runner.invoke(cli, ["mel", str(src), "-o", str(out), "--truncated", "keep"])
    assert kept.exit_code == 0, kept.stderr
    assert kept.stderr.count("; kept what was decoded") == 2, kept.stderr
    assert np.load(out / "rf64_cut.npy").shape == (128, 1 + round(3.2 * SR) // 512)
    # The manifest gives a kept file's length as what it held, as the warning did.
    durations = {
        e["key"]: e["duration"]
        for e in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
    }
    assert durations["rf64_cut.npy"] == pytest.approx(3.2, abs=1e-3)
    said = re.search(r"ogg_cut\.ogg: truncated: decoded (\d\.\d\d) s", kept.stderr)
    assert said is not None, kept.stderr
    assert durations["ogg_cut.npy"] == pytest.approx(float(said.group(1)), abs=5e-3)
    assert durations["ogg_whole.npy"] == pytest.approx(4.0)


# -------------------------------------------------------------- min_duration
def test_min_duration_must_not_be_negative() -> None:
    from melcli import ParameterError

    with pytest.raises(ParameterError, match=r"^min_duration=-1 must not be negative"):
        MelParams(min_duration=-1).validate()


def test_files_shorter_than_min_duration_are_skipped_not_failed(tmp_path: Path) -> None:
    import melcli

    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "three.wav", np.array([0.1, 0.2, 0.3], np.float32), SR)
    sf.write(src / "one_second.wav", signal(1.0, SR), SR)
    report = melcli.run(
        [src], tmp_path / "out", params=MelParams(min_duration=0.5), jobs=1
    )
    by_name = {r.src.name: r for r in report.results}
    assert by_name["three.wav"].status is Status.SKIPPED
    assert by_name["three.wav"].reason == "shorter than min_duration=0.5 s (0.000136 s)"
    assert by_name["one_second.wav"].status is Status.WRITTEN
    assert report.exit_code == 0
    assert not (tmp_path / "out" / "three.npy").exists()
    with pytest.raises(audio.TooShort):
        melcli.mel_spectrogram(src / "three.wav", params=MelParams(min_duration=0.5))
    # Without a minimum, the 3-sample file is still written (librosa's behaviour).
    with pytest.warns(UserWarning, match="n_fft=2048 is too large"):
        assert melcli.mel_spectrogram(src / "three.wav").shape == (128, 1)


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3"])
def test_a_file_cut_short_is_as_long_as_its_header_says_for_min_duration(
    tmp_path: Path, ext: str
) -> None:
    # --min-duration takes a file's length "as its header says": a 2-s file
    # cut to a quarter is not skipped as a short file (an honest state for a
    # short one, not for a broken one); it fails as cut, or is kept as such.
    import melcli

    src = tmp_path / "src"
    src.mkdir()
    whole = tmp_path / "whole.wav"
    sf.write(whole, signal(2.0, SR), SR)
    if ext != "wav":
        need("ffmpeg")
        codec = ["-c:a", "libmp3lame", "-b:a", "64k"] if ext == "mp3" else []
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", whole, *codec, tmp_path / f"whole.{ext}"],
            check=True,
        )
        whole = tmp_path / f"whole.{ext}"
    cut(whole, 0.25, src / f"cut.{ext}")
    params = MelParams(min_duration=1.0)
    report = melcli.run([src], tmp_path / "out", params=params, jobs=1)
    (result,) = report.results
    assert result.status is Status.FAILED, result.reason
    assert "truncated" in (result.reason or ""), result.reason
    kept = melcli.run(
        [src],
        tmp_path / "kept",
        params=MelParams(min_duration=1.0, truncated="keep"),
        jobs=1,
    )
    assert kept.results[0].status is Status.WRITTEN, kept.results[0].reason


def test_min_duration_from_the_command_line_and_the_environment(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from melcli.cli import cli

    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "short.wav", signal(0.2, SR), SR)
    sf.write(src / "long.wav", signal(1.0, SR), SR)
    runner = CliRunner()
    run = runner.invoke(
        cli,
        ["mel", str(src), "-o", str(tmp_path / "a"), "--min-duration", "0.5", "-v"],
    )
    assert run.exit_code == 0, run.stderr
    assert "1 written, 1 skipped." in run.stderr
    manifest = (tmp_path / "a" / "manifest.jsonl").read_text().splitlines()
    entries = {e["key"]: e for e in map(json.loads, manifest)}
    assert entries["short.npy"]["status"] == "skipped"
    assert entries["short.npy"]["error"].startswith("shorter than min_duration=0.5 s")
    assert entries["long.npy"]["status"] == "written"
    assert re.search(
        r"skipped .*short\.wav: shorter than --min-duration 0\.5 s \(0\.2 s\)",
        run.stderr,
    )
    env = runner.invoke(
        cli,
        ["mel", str(src), "-o", str(tmp_path / "b")],
        env={"MELCLI_MIN_DURATION": "0.5"},
    )
    assert "1 written, 1 skipped." in env.stderr


# ------------------------------------------------------ non-finite attribution
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("path", ["in_memory", "streamed", "segment"])
def test_log_of_silence_with_an_amin_float32_cannot_hold_names_amin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dtype: str, path: str
) -> None:
    from melcli import stream

    src = tmp_path / "silent.wav"
    sf.write(src, np.zeros(SR, np.float32), SR)
    settings: dict[str, object] = {"scale": "log", "amin": 1e-300, "dtype": dtype}
    if path == "streamed":
        monkeypatch.setattr(stream, "STREAM_SECONDS", 0.5)
    if path == "segment":
        settings["segment"] = 0.5
    job = Job(src, src.name, tmp_path / "out" / "silent.npy")
    result = process_one(job, params=MelParams(**settings).validate())
    assert result.status is Status.FAILED
    assert result.reason.startswith("amin=1e-300 is 0 in float32"), result.reason
    assert not (tmp_path / "out" / "silent.npy").exists()


def test_values_beyond_float16_still_name_float16() -> None:
    y = signal(1.0, SR) * np.float32(100.0)
    params = MelParams(scale="none", dtype="float16").validate()
    assert transform.why_not_finite(y, sr=SR, params=params).startswith(
        "spectrogram values beyond the range of float16"
    )
    loud = MelParams(dtype="float32").validate()
    assert transform.why_not_finite(
        y * np.float32(1e30), sr=SR, params=loud
    ).startswith("sample values too large (peak 4.81e+31)")
