"""Audio files cut short or damaged, format by format: never written as whole.

Each format judges its own cut (libsndfile's frame count is a header's claim),
and what goes through ffmpeg (MP4/AAC, a FLAC or CAF written to a pipe) is
judged as strictly. ``--truncated keep`` keeps what decoded, with a warning.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import ffmpeg_tone, tone

import melcli
from melcli import AudioError, MelParams, audio, containers
from melcli.cli import cli

pytestmark = pytest.mark.usefixtures("isolated")

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)


# -----------------------------------------------------------------------------
# Formats libsndfile decodes by content whose cut files looked whole.
#
# A file named on the command line is taken whatever its extension, and decoded
# by its content: a NIST SPHERE, 16SV (IFF), Psion WVE or Akai MPC 2000 file
# named ``x.wav`` reaches melcli as any WAV does. libsndfile reports the frames
# such a file still holds, so one cut short was written as if it were whole; its
# header's claim (SPHERE's ``sample_count``, the ``BODY`` size, WVE's data
# length, MPC 2000's frame count) now judges it, as the data size of a WAV does.


#: (libsndfile format, subtype, channels): each must judge its own cut.
FORMATS = [
    ("NIST", "PCM_16", 2),
    ("NIST", "PCM_24", 1),
    ("SVX", "PCM_16", 1),
    ("WVE", "ALAW", 1),
    ("MPC2K", "PCM_16", 2),
]
CUTS = (0.2, 0.5, 0.9, 0.99)
TRUNCATED = r"^truncated: decoded [\d.]+ s of 2\.00 s"


def _write(path: Path, fmt: str, subtype: str, channels: int) -> int:
    sr = 8000  # WVE holds only 8 kHz
    rng = np.random.default_rng(0)
    y = rng.uniform(-0.5, 0.5, (sr * 2, channels))
    sf.write(path, y, sr, format=fmt, subtype=subtype)
    return len(y)


@pytest.mark.parametrize(("fmt", "subtype", "channels"), FORMATS)
def test_a_cut_file_of_each_format_fails_and_a_whole_one_does_not(
    tmp_path: Path, fmt: str, subtype: str, channels: int
) -> None:
    whole = tmp_path / "whole.wav"
    frames = _write(whole, fmt, subtype, channels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wave = audio.load(whole, MelParams(sr=None, mono=False))
    assert wave.y.shape == (channels, frames)

    data = whole.read_bytes()
    for fraction in CUTS:
        cut = tmp_path / "cut.wav"
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(AudioError, match=TRUNCATED):
            audio.load(cut, MelParams(sr=None))
        with pytest.warns(UserWarning, match="kept what was decoded"):
            kept = audio.load(cut, MelParams(sr=None, truncated="keep"))
        assert 0 < kept.y.shape[-1] < frames


def test_the_command_fails_a_cut_sphere_named_wav(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _write(src / "whole.wav", "NIST", "PCM_16", 1)
    data = (src / "whole.wav").read_bytes()
    (src / "cut.wav").write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out), "-j", "1"])

    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {src}/cut.wav: truncated: decoded 0.9")
    assert lines[-1] == "1 written, 1 failed."
    assert sorted(p.name for p in out.glob("*.npy")) == ["whole.npy"]


# -----------------------------------------------------------------------------
# Cut files of the formats libsndfile decodes without a word: AVR, VOC, MAT4/5.
#
# libsndfile reports the frames such a file still holds and decodes them as
# if the file were whole (AVR's header count is cut down to what is there, a
# VOC or MAT block running past the end is read to the end). Each claims its
# length in its own bytes, which :mod:`melcli.containers` now reads: a cut
# file fails as truncated, also when named ``.wav``, and a whole one (written
# by libsndfile, or by sox, whose VOC block lengths are 8 bytes short) is
# written. IRCAM, PAF, PVF and XI hold no length at all and are not judged.


CASES = [
    ("AVR", "PCM_16", 1),
    ("AVR", "PCM_S8", 2),
    ("VOC", "PCM_16", 1),
    ("VOC", "ULAW", 2),
    ("MAT4", "PCM_16", 1),
    ("MAT4", "DOUBLE", 2),
    ("MAT5", "PCM_16", 1),
    ("MAT5", "FLOAT", 2),
]


def cut(path: Path, dest: Path, keep: float = 0.6) -> Path:
    data = path.read_bytes()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


@pytest.mark.parametrize(("fmt", "subtype", "channels"), CASES)
def test_a_cut_file_fails_and_the_whole_one_is_written(
    tmp_path: Path, fmt: str, subtype: str, channels: int
) -> None:
    whole = tmp_path / "whole" / f"{fmt.lower()}.wav"  # decoded by content
    whole.parent.mkdir()
    y = tone(440.0, sr=8000, seconds=2.0, channels=channels)
    sf.write(whole, y, 8000, format=fmt, subtype=subtype)
    short = cut(whole, tmp_path / "cut" / "short.wav")
    report = melcli.run([whole, short], tmp_path / "out", jobs=1)
    assert [r.src for r in report.with_status(melcli.Status.WRITTEN)] == [whole]
    (failure,) = report.failures
    assert failure.src == short
    assert failure.reason.startswith("truncated: decoded 1.")
    npys = sorted(p.name for p in (tmp_path / "out").glob("*.npy"))
    assert npys == [f"{fmt.lower()}.npy"]


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_a_whole_voc_from_sox_is_written_and_a_cut_one_fails(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    sf.write(wav, tone(440.0, sr=8000, seconds=2.0), 8000, subtype="PCM_16")
    voc = tmp_path / "whole" / "sox.voc"
    voc.parent.mkdir()
    subprocess.run(["sox", str(wav), str(voc)], check=True)
    short = cut(voc, tmp_path / "cut" / "short.voc")
    report = melcli.run([voc, short], tmp_path / "out", jobs=1)
    assert [r.src for r in report.with_status(melcli.Status.WRITTEN)] == [voc]
    assert [f.reason for f in report.failures] == [
        "truncated: decoded 1.20 s, then the last VOC block is cut off"
    ]


def test_truncated_keep_writes_what_a_cut_mat_file_holds(tmp_path: Path) -> None:
    whole = tmp_path / "a.mat"
    sf.write(whole, tone(440.0, sr=8000, seconds=2.0), 8000, format="MAT5")
    short = cut(whole, tmp_path / "cut" / "a.mat")
    params = melcli.MelParams(truncated="keep")
    report = melcli.run([short], tmp_path / "out", jobs=1, params=params)
    assert report.count(melcli.Status.WRITTEN) == 1
    (written,) = report.with_status(melcli.Status.WRITTEN)
    assert any("kept what was decoded" in w for w in written.warnings)
    assert np.load(tmp_path / "out" / "a.npy").shape[0] == 128


# -----------------------------------------------------------------------------
# Files cut inside their last frame or packet, which looked whole.
#
# - CAF holding ALAC: libsndfile reports the frames of the whole packets
#   present, so a file cut anywhere in its last packet (up to 4096 frames, a
#   tenth of a 2-s clip) decoded "fine", shorter. The packet table (``pakt``)
#   says how many frames all the packets hold: that is now the claim.
# - WAV, AIFF, AU, W64, RF64, CAF cut by a few bytes, inside their last sample
#   frame: the frames claimed were scaled from the bytes and *rounded*, back to
#   the frames held. Any byte missing is now a frame missing, and the message
#   says how many when the lengths in seconds read the same.


SR = 16000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
#: (libsndfile format, subtype, bytes of one frame of the stereo signal; 0: packets)
LAST_FRAME_FORMATS = [
    ("WAV", "PCM_24", 6),
    ("AIFF", "PCM_16", 4),
    ("AU", "PCM_24", 6),
    ("W64", "PCM_16", 4),
    ("RF64", "PCM_24", 6),
    ("CAF", "PCM_16", 4),
    ("CAF", "ALAC_16", 0),
    ("CAF", "ALAC_24", 0),
]


def whole(path: Path, fmt: str, subtype: str) -> Path:
    rng = np.random.default_rng(7)
    y = (0.3 * rng.standard_normal((2 * SR, 2))).astype(np.float32)
    sf.write(path, y, SR, format=fmt, subtype=subtype)
    return path


def load(path: Path, params: MelParams) -> tuple[int, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(path, params)
    return wave.y.shape[-1], [str(w.message) for w in caught]


@pytest.mark.parametrize(("fmt", "subtype", "frame_bytes"), LAST_FRAME_FORMATS)
def test_a_file_cut_inside_its_last_frame_or_packet_fails(
    tmp_path: Path, fmt: str, subtype: str, frame_bytes: int
) -> None:
    path = whole(tmp_path / f"whole.{fmt.lower()}", fmt, subtype)
    assert load(path, FAIL)[0] == 2 * SR
    data = path.read_bytes()
    # Inside the last frame; for packets, near the end of the file (inside the
    # last packet, or a cut libsndfile then finds malformed: either fails).
    cuts = range(1, frame_bytes) if frame_bytes else (1, 7, 50, 200)
    for n in cuts:
        cut = tmp_path / f"cut{n}.{fmt.lower()}"
        cut.write_bytes(data[:-n])
        said = r"^truncated: decoded \d\.\d\d s of 2\.00" if n < 8 else None
        with pytest.raises(AudioError, match=said):
            load(cut, FAIL)


def test_a_few_frames_missing_are_counted_in_the_message(tmp_path: Path) -> None:
    path = whole(tmp_path / "whole.wav", "WAV", "PCM_24")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(path.read_bytes()[:-7])  # one frame and a byte of another
    with pytest.raises(AudioError) as caught:
        load(cut, FAIL)
    assert str(caught.value) == (
        "truncated: decoded 2.00 s of 2.00 s (2 sample frames missing)"
    )


def test_keep_writes_the_whole_packets_of_a_cut_alac_file(tmp_path: Path) -> None:
    path = whole(tmp_path / "whole.caf", "CAF", "ALAC_16")
    cut = tmp_path / "cut.caf"
    cut.write_bytes(path.read_bytes()[:-1])
    frames, said = load(cut, KEEP)
    assert frames == 7 * 4096  # ALAC's packets hold 4096 frames
    assert any(re.match(r"truncated: decoded 1\.79 s of 2\.00 s", s) for s in said)


# -----------------------------------------------------------------------------
# A FLAC cut so short that libsndfile decodes none of it is said as every cut
# file is, ``corrupt or truncated: decoding stopped at 0.00 s of 3.00 s (...)``,
# not ``cannot decode: unknown error in flac decoder``.


METADATA = r"the file ends inside its metadata, before any audio frame"


def flac_bytes() -> tuple[bytes, int]:
    """Three seconds of a tone as FLAC, and where its first audio frame starts."""
    t = np.arange(22050 * 3) / 22050
    buffer = io.BytesIO()
    sf.write(buffer, 0.5 * np.sin(2 * np.pi * 440 * t), 22050, format="FLAC")
    data = buffer.getvalue()
    pos, last = 4, False
    while not last:
        last = bool(data[pos] & 0x80)
        pos += 4 + int.from_bytes(data[pos + 1 : pos + 4], "big")
    return data, pos


@pytest.mark.parametrize(
    ("cut", "cause"),
    [
        (lambda audio: 43, METADATA),  # just after STREAMINFO
        (lambda audio: audio - 10, METADATA),  # inside the last metadata block
        (lambda audio: audio + 100, r"flac decoder lost sync"),  # first frame
    ],
)
def test_a_small_cut_flac_is_said_as_cut(tmp_path: Path, cut, cause: str) -> None:
    data, audio = flac_bytes()
    src = tmp_path / "cut.flac"
    src.write_bytes(data[: cut(audio)])
    expected = (
        rf"corrupt or truncated: decoding stopped at 0\.00 s of 3\.00 s \({cause}\)"
    )

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])

    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert re.fullmatch(rf"error: {re.escape(str(src))}: {expected}", line), line
    assert "unknown error" not in result.stderr

    info = CliRunner().invoke(cli, ["info", str(src)])
    if info.exit_code:  # cut before libsndfile can open it: info says the same
        assert re.fullmatch(
            rf"error: {re.escape(str(src))}: {expected}",
            info.stderr.splitlines()[0],
        ), info.stderr


@pytest.mark.parametrize("cut", [4, 5, 30, 41])
def test_a_flac_cut_inside_its_streaminfo_is_said_as_cut(
    tmp_path: Path, cut: int
) -> None:
    """Its length is not known: said without one (review6: 'unimplemented format')."""
    data, _ = flac_bytes()
    src = tmp_path / "cut.flac"
    src.write_bytes(data[:cut])

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(tmp_path / "out")])

    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    expected = rf"error: {re.escape(str(src))}: corrupt or truncated: {METADATA}"
    assert re.fullmatch(expected, line), line


def test_a_flac_of_endless_metadata_blocks_is_not_walked_to_its_end(
    tmp_path: Path,
) -> None:
    """Millions of empty blocks: the walk stops at a bound (review6: 5 s of CPU)."""
    data, _ = flac_bytes()
    empty = b"\x01\x00\x00\x00"  # PADDING, not last, of no bytes
    streaminfo = bytes([data[4] & 0x7F]) + data[5:42]  # no longer the last block
    made_up = data[:4] + streaminfo + empty * 2_000_000
    src = tmp_path / "blocks.flac"
    src.write_bytes(made_up)
    reads = 0
    real_open = open

    class Counting(io.FileIO):
        def read(self, size: int = -1) -> bytes:  # type: ignore[override]
            nonlocal reads
            reads += 1
            return super().read(size)

    def counting_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if mode == "rb" and str(file) == str(src):
            return Counting(file, "r")
        return real_open(file, mode, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(containers, "open", counting_open, raising=False)
        header = containers.flac_header(src)

    assert header is not None
    assert header.frames == 22050 * 3
    assert reads <= containers._MAX_BLOCKS + 1


# -----------------------------------------------------------------------------
# A CAF written to a pipe (its data size -1, "to the end of the file", as the
# CAF specification allows) is valid: libsndfile calls it malformed, so it is
# decoded through ffmpeg, to the same array as the same audio written to a file.


def caf(path: Path, codec: str, *, piped: bool) -> None:
    """Three seconds of a tone as CAF, written to a pipe or to a seekable file."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
        "sine=frequency=440:duration=3", "-ar", "22050", "-c:a", codec, "-f", "caf",
    ]  # fmt: skip
    if piped:
        with open(path, "wb") as out:
            subprocess.run([*command, "pipe:"], check=True, stdout=out)
    else:
        subprocess.run([*command, "-y", str(path)], check=True)


@needs_ffmpeg
@pytest.mark.parametrize("codec", ["pcm_s16be", "pcm_f32be", "pcm_s24le"])
def test_a_piped_caf_decodes_as_a_seekable_one(tmp_path: Path, codec: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    caf(src / "piped.caf", codec, piped=True)
    caf(src / "seekable.caf", codec, piped=False)
    data = (src / "piped.caf").read_bytes()
    assert data[data.index(b"data") + 4 :][:8] == b"\xff" * 8  # size -1
    out = tmp_path / "out"

    result = CliRunner().invoke(cli, ["mel", str(src), "-o", str(out)])

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "2 written."
    piped, seekable = np.load(out / "piped.npy"), np.load(out / "seekable.npy")
    assert piped.shape == seekable.shape == (128, 130)
    np.testing.assert_allclose(piped, seekable, atol=1e-3)

    info = CliRunner().invoke(cli, ["info", str(src / "piped.caf"), "--json"])
    assert info.exit_code == 0, info.stderr
    assert '"frames": 66150' in info.stdout


# -----------------------------------------------------------------------------
# ``--truncated keep`` keeps what ffmpeg decoded before a cut, as it does for
# what libsndfile decodes; a cut that leaves nothing decodable says none is kept.


def cut_in_half(path: Path, *options: str) -> None:
    """Three seconds of a tone, encoded by ffmpeg with ``options``, then cut."""
    data = ffmpeg_tone(path, *options)
    path.write_bytes(data[: len(data) // 2])


def flac_of_unknown_length(path: Path) -> None:
    """A FLAC written to a pipe (no length in its header), cut mid-frame."""
    data = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "anoisesrc=duration=3:seed=1", "-ar", "22050", "-f", "flac", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    path.write_bytes(data[: len(data) // 2 + 7])


@needs_ffmpeg
@pytest.mark.parametrize(
    ("name", "make", "said"),
    [
        (
            "fast.m4a",
            lambda p: cut_in_half(p, "-c:a", "aac", "-movflags", "+faststart"),
            r"truncated: decoded (1\.\d\d) s, then the file ends inside its 'mdat' box",
        ),
        (
            "bare.aac",
            lambda p: cut_in_half(p, "-c:a", "aac", "-f", "adts"),
            r"truncated: decoded (1\.\d\d) s, then the last ADTS frame is cut off",
        ),
        (
            "piped.flac",
            flac_of_unknown_length,
            r"corrupt or truncated: decoding stopped at (1\.\d\d) s \(ffmpeg: .+\)",
        ),
    ],
)
def test_keep_writes_what_ffmpeg_decoded(tmp_path: Path, name, make, said) -> None:
    src = tmp_path / name
    make(src)
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(out), "--truncated", "keep"]
    )

    assert result.exit_code == 0, result.stderr
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"warning: {src}: "), line
    message = line.split(": ", 2)[2]
    match = re.fullmatch(said + "; kept what was decoded", message)
    assert match, line
    kept = float(match.group(1))
    S_db = np.load(out / (src.stem + ".npy"))
    # The frames held are those of the audio kept (hop 512 at 22050 Hz).
    assert S_db.shape[1] == pytest.approx(1 + kept * 22050 / 512, abs=2)
    entry = json.loads((out / "manifest.jsonl").read_text().splitlines()[0])
    assert entry["duration"] == pytest.approx(kept, abs=0.01)
    assert entry["warnings"] == [message]


@needs_ffmpeg
def test_keep_says_when_nothing_decodes(tmp_path: Path) -> None:
    """An MP4 cut before its index holds no audio ffmpeg can find."""
    src = tmp_path / "plain.m4a"
    cut_in_half(src, "-c:a", "aac")

    result = CliRunner().invoke(
        cli, ["mel", str(src), "-o", str(tmp_path / "out"), "--truncated", "keep"]
    )

    assert result.exit_code == 1
    assert re.fullmatch(
        rf"error: {re.escape(str(src))}: truncated: the file ends inside its"
        r" 'mdat' box, before its index \('moov'\); no audio decodes, so none is"
        r" kept",
        result.stderr.splitlines()[0],
    ), result.stderr


# -----------------------------------------------------------------------------
# A file damaged in the middle whose decoder fails on the first block read,
# and then reports no position (libsndfile's MP3 reader says 0): where
# decoding stopped is found by decoding again, not said as 0.00 s, and
# ``--truncated keep`` keeps what decodes before the damage.


def _damaged_mp3(path: Path) -> float:
    """Four seconds of a tone as MP3, zeroed in the middle; return its length."""
    sr = 22050
    sf.write(path, tone(440.0, sr=sr, seconds=4.0), sr, format="MP3")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = bytes(2000)
    path.write_bytes(bytes(data))
    return 4.0


def test_a_file_damaged_in_the_middle_says_where_decoding_stopped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "damaged.mp3"
    _damaged_mp3(path)
    with pytest.raises(AudioError) as caught:
        audio.load(path, MelParams(sr=None).validate())
    said = str(caught.value)
    match = re.match(
        r"corrupt or truncated: decoding stopped at ([\d.]+) s of 4.00 s", said
    )
    assert match, said
    assert 1.0 < float(match[1]) < 3.0, said  # in the middle, where it is damaged


def test_keep_keeps_what_decodes_before_damage_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "damaged.mp3"
    _damaged_mp3(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(path, MelParams(sr=None, truncated="keep").validate())
    assert 1.0 < len(wave.y) / wave.sr < 3.0
    assert any("kept what was decoded" in str(w.message) for w in caught)


# An Ogg Vorbis or Opus file damaged inside: libsndfile takes its length from
# the last page it reaches in order, decodes that much, and the file looked
# whole, though its last page's granule position (the stream's length) says
# more.


@pytest.mark.parametrize(
    ("subtype", "sr", "at"),
    [
        ("VORBIS", 22050, 0.2),
        ("VORBIS", 22050, 0.5),
        ("OPUS", 16000, 0.1),
        ("OPUS", 48000, 0.9),
    ],
)
def test_an_ogg_stream_damaged_inside_fails_as_short_of_its_last_page(
    tmp_path: Path, subtype: str, sr: int, at: float
) -> None:
    rng = np.random.default_rng(0)
    y = tone(440.0, sr=sr, seconds=4.0) + 0.1 * rng.standard_normal(4 * sr)
    path = tmp_path / "damaged.ogg"
    sf.write(path, y.astype(np.float32), sr, format="OGG", subtype=subtype)
    assert audio.load(path, MelParams(sr=None).validate()).y.shape == (4 * sr,)
    data = bytearray(path.read_bytes())
    place = int(len(data) * at)
    data[place : place + 20] = bytes(20)
    path.write_bytes(bytes(data))

    with pytest.raises(
        AudioError, match=r"^corrupt: .* at byte \d+.*; decoded [\d.]+ s of 4\.00 s$"
    ):
        audio.load(path, MelParams(sr=None).validate())
