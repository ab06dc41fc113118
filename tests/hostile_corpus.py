"""A generated corpus of hostile inputs (built at test time, small, deterministic).

Each :class:`Case` makes one file (or folder, FIFO, link) under a root and says
what melcli must do with it: the final state and a pattern the one-line reason
must match. ``tests/test_hostile.py`` runs the whole corpus as one batch.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050


def tone(seconds: float = 0.5, *, sr: int = SR, channels: int = 1) -> np.ndarray:
    """A 440 Hz tone at half scale, ``(n,)`` or ``(n, channels)``."""
    t = np.arange(round(sr * seconds)) / sr
    y = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    if channels == 1:
        return y
    return np.stack([y * (1.0 - 0.02 * c) for c in range(channels)], axis=1)


def audio_bytes(
    data: np.ndarray, *, sr: int = SR, format: str = "WAV", subtype: str | None = None
) -> bytes:
    """Encode ``data`` with soundfile into bytes."""
    buf = io.BytesIO()
    sf.write(buf, data, sr, format=format, subtype=subtype)
    return buf.getvalue()


def wav_header(
    *,
    channels: int = 1,
    sr: int = SR,
    bits: int = 16,
    fmt_tag: int = 1,
    data_bytes: int,
    riff_bytes: int | None = None,
) -> bytes:
    """A canonical 44-byte RIFF/WAVE header, with whatever values it is given."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, sr, sr * block, block, bits)
    riff = 4 + (8 + len(fmt)) + 8 + data_bytes if riff_bytes is None else riff_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def pcm16(y: np.ndarray) -> bytes:
    return (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()


def float_wav(samples: np.ndarray, *, sr: int = SR) -> bytes:
    """A 32-bit float WAV holding ``samples`` verbatim (NaN and Inf included)."""
    data = np.asarray(samples, dtype="<f4").tobytes()
    return wav_header(fmt_tag=3, bits=32, sr=sr, data_bytes=len(data)) + data


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


@dataclass(frozen=True)
class Case:
    """One hostile input and what melcli must make of it."""

    rel: str
    make: Callable[[Path], None]
    #: "written", "failed" or "skipped".
    state: str
    #: A regular expression the reason (failed/skipped) or a warning must match.
    message: str = ""
    #: A warning pattern expected on a written file.
    warning: str = ""
    #: Extra manifest fields expected, e.g. {"silent": True}.
    manifest: dict[str, object] | None = None
    #: Needs an external tool (skip the case when missing).
    needs: str = ""


def _write(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data)

    return make


def _sf(data: np.ndarray, sr: int = SR, **kw: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        sf.write(path, data, sr, **kw)

    return make


def _cut(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def _mkdir_with_no_audio(path: Path) -> None:
    path.mkdir(exist_ok=True)
    (path / "notes.txt").write_text("a folder named like audio\n")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _unreadable(path: Path) -> None:
    path.write_bytes(audio_bytes(tone()))
    path.chmod(0)


def _flac_damaged_frames() -> bytes:
    data = bytearray(audio_bytes(tone(2.0), format="FLAC"))
    rng = np.random.default_rng(7)
    # Overwrite a stretch of frame data in the middle (headers stay intact).
    start = len(data) // 2
    data[start : start + 400] = rng.integers(0, 256, 400, dtype=np.uint8).tobytes()
    return bytes(data)


def _mp3_trailing_garbage() -> bytes:
    rng = np.random.default_rng(11)
    return audio_bytes(tone(1.0), format="MP3") + rng.bytes(3000)


def _lame(options: list[str], *, sr: int) -> Callable[[Path], None]:
    """Encode 1.57 s of tone with the ``lame`` command and ``options``."""

    def make(path: Path) -> None:
        wav = path.with_suffix(".src.wav")
        sf.write(wav, tone(1.57, sr=sr), sr, subtype="PCM_16")
        subprocess.run(["lame", "--quiet", *options, str(wav), str(path)], check=True)
        wav.unlink()

    return make


def make_m4a(path: Path, *, cut: float | None = None) -> None:
    """Write 2 s of AAC with ffmpeg (``cut``: keep that part).

    In an MP4 container, or as a bare ADTS stream when ``path`` ends in ``.aac``.
    """
    wav = path.with_suffix(".src.wav")
    tmp = path.with_suffix(".tmp" + path.suffix)
    sf.write(wav, tone(2.0), SR)
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(wav),
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            str(tmp),
        ],
        check=True,
    )
    wav.unlink()
    data = tmp.read_bytes()
    tmp.unlink()
    path.write_bytes(data if cut is None else _cut(data, cut))


def _nan_inf() -> bytes:
    y = tone(0.5).copy()
    y[10:111] = np.nan
    y[200:211] = np.inf
    return float_wav(y)


def _lying_flac() -> bytes:
    """A FLAC whose STREAMINFO claims 2**36 - 1 frames (about 36 days)."""
    data = bytearray(audio_bytes(tone(0.5), format="FLAC"))
    data[8 + 13] |= 0x0F  # total samples: the low 4 bits of byte 13 ...
    data[8 + 14 : 8 + 18] = b"\xff\xff\xff\xff"  # ... and the next 4 bytes
    return bytes(data)


def _rng_bytes(n: int, seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(n)


def corpus() -> list[Case]:
    """Every hostile case; the good files are added by the test module."""
    header_only = wav_header(data_bytes=0)
    full = pcm16(tone(3.0))
    return [
        # ---------------------------------------------------------- not audio
        Case("empty.wav", _write(b""), "failed", r"^empty file \(0 bytes\)$"),
        Case(
            "page.wav",
            _write(b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n" * 20),
            "failed",
            r"^not an audio file \(format not recognised\)$",
        ),
        Case(
            "noise.flac",
            _write(_rng_bytes(5000, 1)),
            "failed",
            r"^not an audio file \(",
        ),
        Case("fifo.wav", _fifo, "failed", r"^not a regular file \(a FIFO\)$"),
        # --------------------------------------------------------- broken audio
        Case(
            "zero_channels.wav",
            _write(wav_header(channels=0, data_bytes=len(full)) + full),
            "failed",
            r"^invalid header: 0 channels$",
        ),
        Case(
            "zero_rate.wav",
            _write(wav_header(sr=0, data_bytes=len(full)) + full),
            "failed",
            r"^implausible sample rate: 0 Hz \(melcli takes 1000 to 1000000 Hz\)$",
        ),
        Case(
            "garbage_fmt.wav",
            _write(
                b"RIFF"
                + struct.pack("<I", 4000)
                + b"WAVEfmt "
                + struct.pack("<I", 16)
                + _rng_bytes(16, 3)
                + b"data"
                + struct.pack("<I", 2000)
                + _rng_bytes(2000, 4)
            ),
            "failed",
            r"^cannot decode: .*Malformed 'fmt ' chunk$",
        ),
        Case(
            "header_only.wav",
            _write(header_only),
            "failed",
            r"^no audio samples \(0 frames\)$",
        ),
        Case(
            "truncated.wav",
            _write(wav_header(data_bytes=len(full)) + full[: len(full) // 2]),
            "failed",
            r"^truncated: decoded 1\.50 s of 3\.00 s",
        ),
        Case(
            # Written to a pipe: the sizes are placeholders, every sample is there.
            "piped.wav",
            _write(wav_header(data_bytes=0xFFFFFFFF, riff_bytes=0xFFFFFFFF) + full),
            "written",
        ),
        Case(
            "cut_flac.flac",
            _write(_cut(audio_bytes(tone(3.0), format="FLAC"), 0.5)),
            "failed",
            r"^corrupt or truncated: decoding stopped at 1\.[0-9]+ s of 3\.00 s "
            r"\(flac decoder lost sync\)$",
        ),
        Case(
            "cut_ogg.ogg",
            _write(_cut(audio_bytes(tone(3.0), format="OGG"), 0.5)),
            "failed",
            r"^truncated: the stream ends without its end mark",
        ),
        Case(
            "cut_mp3.mp3",
            _write(_cut(audio_bytes(tone(3.0), format="MP3"), 0.5)),
            "failed",
            r"^truncated: decoded 1\.\d\d s of 3\.00 s$",
        ),
        # Containers whose frame count is no claim (see melcli/containers.py).
        Case(
            "cut_late_ogg.ogg",
            _write(_cut(audio_bytes(tone(10.0), format="OGG"), 0.9)),
            "failed",
            r"^truncated: decoded 7\.\d\d s, then the Ogg stream ends in the middle "
            r"of a page$",
        ),
        Case(
            "cut_opus.opus",
            _write(
                _cut(
                    audio_bytes(
                        tone(3.0, sr=48000), sr=48000, format="OGG", subtype="OPUS"
                    ),
                    0.6,
                )
            ),
            "failed",
            r"^truncated: decoded \d\.\d\d s, then the Ogg stream ends",
        ),
        Case(
            "cut_w64.w64",
            _write(_cut(audio_bytes(tone(3.0), format="W64"), 0.5)),
            "failed",
            r"^truncated: decoded 1\.50 s of 3\.00 s$",
        ),
        Case(
            "cut_rf64.rf64",
            _write(_cut(audio_bytes(tone(3.0), format="RF64"), 0.5)),
            "failed",
            r"^truncated: decoded 1\.50 s of 3\.00 s$",
        ),
        Case(
            # MPEG-2 mono without a Xing header: libsndfile's count is an
            # estimate beyond what decodes; the file is whole.
            "mpeg2_mono.mp3",
            _lame(["-m", "m"], sr=22050),
            "written",
            needs="lame",
        ),
        Case(
            "damaged.flac",
            _write(_flac_damaged_frames()),
            "failed",
            r"^corrupt or truncated: decoding stopped at \d\.\d\d s of 2\.00 s "
            r"\(flac decoder lost sync\)$",
        ),
        Case(
            "liar.flac",
            _write(_lying_flac()),
            "failed",
            r"^(cannot decode|corrupt or truncated|truncated)",
        ),
        Case(
            "garbage_tail.mp3",
            _write(_mp3_trailing_garbage()),
            "written",
        ),
        # ------------------------------------------------------- extreme values
        Case(
            "nan_inf.wav",
            _write(_nan_inf()),
            "failed",
            r"^non-finite samples: 101 NaN, 11 Inf$",
        ),
        Case(
            "huge.wav",
            _write(float_wav(tone(0.5) * np.float32(3e38))),
            "failed",
            r"too large",
        ),
        Case("loud.wav", _write(float_wav(tone(0.5) * 8)), "written"),
        Case(
            "silence.wav",
            _sf(np.zeros(SR // 2, np.float32)),
            "written",
            warning=r"digital silence",
            manifest={"silent": True},
        ),
        Case(
            "subnormal.wav",
            _write(
                float_wav(
                    np.full(SR // 2, 1e-42, np.float32) * np.sign(tone(0.5) + 1e-9)
                )
            ),
            "written",
        ),
        Case(
            "dc.wav", _write(float_wav(np.full(SR // 2, 0.25, np.float32))), "written"
        ),
        # ------------------------------------------------------- extreme shapes
        Case(
            "one_sample.wav",
            _write(float_wav(np.array([0.5], np.float32))),
            "written",
            warning=r"n_fft=2048 is too large for input signal of length=1",
        ),
        Case(
            "short.wav",
            _write(float_wav(tone(0.5)[:1000])),
            "written",
            warning=r"n_fft=2048 is too large for input signal of length=1000",
        ),
        Case("exact_nfft.wav", _write(float_wav(tone(0.5)[:2048])), "written"),
        Case(
            "rate_1hz.wav",
            _write(wav_header(sr=1, data_bytes=8000) + pcm16(tone(8000 / SR))[:8000]),
            "failed",
            r"^implausible sample rate: 1 Hz",
        ),
        Case("rate_8k.wav", _sf(tone(0.5, sr=8000), 8000), "written"),
        Case("rate_192k.flac", _sf(tone(0.2, sr=192000), 192000), "written"),
        Case("ch32.wav", _sf(tone(0.2, channels=32)), "written"),
        # ------------------------------------------------------------ encodings
        Case("u8.wav", _sf(tone(), subtype="PCM_U8"), "written"),
        Case("pcm24.wav", _sf(tone(), subtype="PCM_24"), "written"),
        Case("pcm32.wav", _sf(tone(), subtype="PCM_32"), "written"),
        Case("double.wav", _sf(tone(), subtype="DOUBLE"), "written"),
        Case("ulaw.wav", _sf(tone(), subtype="ULAW"), "written"),
        Case("alaw.wav", _sf(tone(), subtype="ALAW"), "written"),
        Case("ima_adpcm.wav", _sf(tone(), subtype="IMA_ADPCM"), "written"),
        Case("ms_adpcm.wav", _sf(tone(), subtype="MS_ADPCM"), "written"),
        Case("gsm.wav", _sf(tone(0.5, sr=8000), 8000, subtype="GSM610"), "written"),
        Case("bigendian.aiff", _sf(tone(), format="AIFF"), "written"),
        Case("rifx.wav", _sf(tone(), format="WAV", endian="BIG"), "written"),
        Case("pcm.au", _sf(tone(), format="AU"), "written"),
        Case("apple.caf", _sf(tone(), format="CAF"), "written"),
        Case("pcm24_flac.flac", _sf(tone(), subtype="PCM_24"), "written"),
        Case(
            "voice.opus",
            _sf(tone(0.5, sr=48000), 48000, format="OGG", subtype="OPUS"),
            "written",
        ),
        Case("mp3_named.wav", _write(audio_bytes(tone(), format="MP3")), "written"),
        Case("aac.m4a", make_m4a, "written", needs="ffmpeg"),
        Case("adts.aac", make_m4a, "written", needs="ffmpeg"),
        Case(
            "cut_adts.aac",
            lambda p: make_m4a(p, cut=0.5),
            "failed",
            # In its frames' words, as one cut between two frames is.
            r"^truncated: decoded \d+\.\d\d s, then the last ADTS frame is cut off$",
            needs="ffmpeg",
        ),
        Case(
            "cut_m4a.m4a",
            lambda p: make_m4a(p, cut=0.5),
            "failed",
            r"^(truncated|corrupt or truncated)",
            needs="ffmpeg",
        ),
        # ----------------------------------------------------------- file system
        Case(
            "x.wav/notes.txt",
            lambda p: _mkdir_with_no_audio(p.parent),
            "skipped",
            r"not an audio extension",
        ),
        Case(
            "._apple.wav",
            _write(b"\x00\x05\x16\x07" + bytes(200)),
            "skipped",
            r"^hidden$",
        ),
        Case(
            "dangling.wav",
            lambda p: p.symlink_to(p.parent / "nowhere.wav"),
            "skipped",
            r"^dangling symlink$",
        ),
    ]
