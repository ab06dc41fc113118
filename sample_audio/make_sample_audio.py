"""Generate the small labelled audio dataset in ``sample_audio/``.

This script makes every audio file in this folder, plus ``README.md``, from
scratch. The result is a tiny dataset that we own, laid out in nested class
folders the way a real dataset is. It is for examples, tests and smoke runs of
melcli::

    speech/                      three phrases spoken by espeak-ng
    tones/                       a stereo 440 Hz tone and a log chirp
    environment/                 a synthetic dog bark
    environment/indoor/          a synthetic fan hum
    environment/outdoor/         synthetic stereo rain

Between them the clips cover WAV, FLAC, OGG Vorbis and MP3, mono and stereo,
and sample rates of 16, 22.05, 44.1 and 48 kHz. Every clip is 1-3 s long with
a peak amplitude below 0.9.

Run it from the repository root with::

    .venv/bin/python sample_audio/make_sample_audio.py

It overwrites the files in place, then checks that every file decodes with
soundfile and ``librosa.load(path, sr=22050)`` and prints a summary table.
Pass ``--no-verify`` to skip the check.

The output is deterministic. Noise uses fixed seeds, WAV and FLAC samples are
quantised to 16 bits by numpy before they are written, and the random Ogg
stream serial number that libsndfile picks is replaced by a fixed one. With
the same versions of numpy, libsndfile (with its LAME, libvorbis and libFLAC)
and espeak-ng, two runs produce byte-identical files. Other versions of
those libraries may encode slightly different bytes.

The synthetic sounds need only numpy and soundfile (libsndfile >= 1.1 so
that it can write MP3). espeak-ng (Debian package ``espeak-ng``) is needed
only to regenerate the speech clips. If it is missing, the existing speech
clips are left as they are and a warning is printed.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import soundfile as sf

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType

OUT_DIR = Path(__file__).resolve().parent
"""Folder that holds this script and the generated files."""

PEAK = 0.8
"""Peak amplitude that every clip is normalised to (must stay below 0.9)."""

ESPEAK_VOICE = "en-us"
"""espeak-ng voice used for every speech clip."""

ESPEAK_SPEED = 150
"""espeak-ng speaking rate in words per minute."""

ESPEAK_PITCH = 50
"""espeak-ng pitch (0-99)."""

ESPEAK_RATE = 22050
"""Sample rate of the audio that espeak-ng writes."""

OGG_SERIAL = 0x6D656C63
"""Fixed Ogg logical stream serial number (ASCII ``melc``)."""

MIN_DURATION = 1.0
"""Shortest allowed clip, in seconds."""

MAX_DURATION = 3.0
"""Longest allowed clip, in seconds."""

MAX_PEAK = 0.9
"""Every clip, as written and as decoded, must peak strictly below this."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Clip:
    """Description of one generated file.

    Attributes
    ----------
    path : str
        Path relative to the output folder, using ``/`` separators.
    content : str
        Short human description of what the clip contains.
    samplerate : int
        Sample rate in Hz.
    format : str
        libsndfile major format, for example ``"WAV"`` or ``"MP3"``.
    subtype : str
        libsndfile subtype, for example ``"PCM_16"`` or ``"VORBIS"``.
    make : Callable[[int], FloatArray]
        Function that takes the sample rate and returns float samples in
        ``[-1, 1]``, shaped ``(frames,)`` or ``(frames, channels)``.
    needs_espeak : bool
        True if ``make`` runs espeak-ng.
    """

    path: str
    content: str
    samplerate: int
    format: str
    subtype: str
    make: Callable[[int], FloatArray]
    needs_espeak: bool = False


# --------------------------------------------------------------------------
# Small signal helpers
# --------------------------------------------------------------------------


def time_axis(duration: float, sr: int) -> FloatArray:
    """Return the sample times of a clip.

    Parameters
    ----------
    duration : float
        Length in seconds.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Times in seconds, shape ``(round(duration * sr),)``.
    """
    return np.arange(round(duration * sr), dtype=np.float64) / sr


def fade(x: FloatArray, sr: int, seconds: float = 0.01) -> FloatArray:
    """Apply raised-cosine fade-in and fade-out to avoid clicks.

    Parameters
    ----------
    x : numpy.ndarray
        Samples, shape ``(frames,)`` or ``(frames, channels)``.
    sr : int
        Sample rate in Hz.
    seconds : float, optional
        Length of each fade in seconds.

    Returns
    -------
    numpy.ndarray
        Faded copy of ``x``.
    """
    n = min(round(seconds * sr), x.shape[0] // 2)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    if x.ndim > 1:
        ramp = ramp[:, None]
    y = x.copy()
    y[:n] *= ramp
    y[x.shape[0] - n :] *= ramp[::-1]
    return y


def normalise(x: FloatArray, peak: float = PEAK) -> FloatArray:
    """Scale samples so that the largest absolute value equals ``peak``.

    Parameters
    ----------
    x : numpy.ndarray
        Samples of any shape.
    peak : float, optional
        Target peak amplitude.

    Returns
    -------
    numpy.ndarray
        Scaled copy of ``x``.
    """
    return x * (peak / float(np.max(np.abs(x))))


def band_noise(
    rng: np.random.Generator,
    n: int,
    sr: int,
    band: tuple[float, float],
    slope: float = 0.0,
) -> FloatArray:
    """Make Gaussian noise band-limited in the frequency domain.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded random generator.
    n : int
        Number of samples.
    sr : int
        Sample rate in Hz.
    band : tuple of float
        Pass band edges ``(low, high)`` in Hz.
    slope : float, optional
        Spectral tilt: amplitude is multiplied by ``f ** -slope``
        (0 is white, 0.5 is pink, 1 is brown).

    Returns
    -------
    numpy.ndarray
        Noise with unit standard deviation, shape ``(n,)``.
    """
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    gain = ((freqs >= band[0]) & (freqs <= band[1])).astype(np.float64)
    gain[1:] *= freqs[1:] ** -slope
    noise = np.fft.irfft(spectrum * gain, n)
    return noise / np.std(noise)


def resample(x: FloatArray, sr_in: int, sr_out: int) -> FloatArray:
    """Resample a mono signal with an ideal FFT low-pass.

    The signal is treated as periodic, so it should start and end in
    silence (speech clips are padded with silence before this is called).

    Parameters
    ----------
    x : numpy.ndarray
        Mono samples, shape ``(frames,)``.
    sr_in, sr_out : int
        Input and output sample rates in Hz.

    Returns
    -------
    numpy.ndarray
        Resampled samples, shape ``(round(frames * sr_out / sr_in),)``.
    """
    if sr_in == sr_out:
        return x.copy()
    n_out = round(x.shape[0] * sr_out / sr_in)
    spectrum = np.fft.rfft(x)
    n_bins = n_out // 2 + 1
    if n_bins <= spectrum.shape[0]:
        spectrum = spectrum[:n_bins]
    else:
        spectrum = np.pad(spectrum, (0, n_bins - spectrum.shape[0]))
    out: FloatArray = np.fft.irfft(spectrum, n_out) * (n_out / len(x))
    return out


# --------------------------------------------------------------------------
# Speech, spoken by espeak-ng
# --------------------------------------------------------------------------


def espeak(text: str) -> FloatArray:
    """Synthesise ``text`` with espeak-ng at a fixed voice, speed and pitch.

    Parameters
    ----------
    text : str
        Words to speak.

    Returns
    -------
    numpy.ndarray
        Mono samples at ``ESPEAK_RATE`` Hz, shape ``(frames,)``.

    Raises
    ------
    RuntimeError
        If espeak-ng does not write audio at the expected sample rate.
    """
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                ESPEAK_VOICE,
                "-s",
                str(ESPEAK_SPEED),
                "-p",
                str(ESPEAK_PITCH),
                "-a",
                "100",
                "-w",
                str(wav),
                text,
            ],
            check=True,
            capture_output=True,
        )
        raw, sr = sf.read(wav, dtype="float64", always_2d=False)
    data = np.asarray(raw, dtype=np.float64)
    if sr != ESPEAK_RATE or data.ndim != 1:
        msg = f"unexpected espeak-ng output: {sr} Hz, {data.shape}"
        raise RuntimeError(msg)
    return data


def speech(text: str, sr: int, min_duration: float = 1.2) -> FloatArray:
    """Speak ``text``, trim silence, pad, resample and normalise.

    Parameters
    ----------
    text : str
        Words to speak.
    sr : int
        Output sample rate in Hz.
    min_duration : float, optional
        The clip is padded with silence to at least this many seconds.

    Returns
    -------
    numpy.ndarray
        Mono samples at ``sr`` Hz, shape ``(frames,)``.
    """
    x = espeak(text)
    loud = np.flatnonzero(np.abs(x) > 0.01 * np.max(np.abs(x)))
    x = x[loud[0] : loud[-1] + 1]
    pad = round(0.15 * ESPEAK_RATE)
    pad_total = max(2 * pad, round(min_duration * ESPEAK_RATE) - x.shape[0])
    x = np.pad(x, (pad_total // 2, pad_total - pad_total // 2))
    return normalise(resample(x, ESPEAK_RATE, sr))


# --------------------------------------------------------------------------
# Tones
# --------------------------------------------------------------------------


def stereo_tone(sr: int) -> FloatArray:
    """Make a 1.5 s 440 Hz tone panned left.

    The left channel has amplitude 0.8 and the right 0.3, so the two
    channels differ and a naive mono downmix gives amplitude 0.55.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Stereo samples, shape ``(frames, 2)``.
    """
    tone = np.sin(2 * np.pi * 440.0 * time_axis(1.5, sr))
    return fade(np.stack([PEAK * tone, 0.3 * tone], axis=1), sr)


def log_chirp(sr: int) -> FloatArray:
    """Make a 2 s exponential (log-frequency) sweep from 100 Hz to 8 kHz.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Mono samples, shape ``(frames,)``.
    """
    f0, f1, duration = 100.0, 8000.0, 2.0
    t = time_axis(duration, sr)
    k = np.log(f1 / f0)
    phase = 2 * np.pi * f0 * duration / k * (np.exp(k * t / duration) - 1.0)
    # 0.7 rather than PEAK: Vorbis decoding overshoots the source peak a little.
    return fade(0.7 * np.sin(phase), sr)


# --------------------------------------------------------------------------
# Environmental sounds
# --------------------------------------------------------------------------


def rain(sr: int) -> FloatArray:
    """Make 2 s of stereo rain: pinkish hiss plus random droplet clicks.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Stereo samples, shape ``(frames, 2)``.
    """
    rng = np.random.default_rng(20240101)
    n = round(2.0 * sr)
    hiss = np.stack(
        [band_noise(rng, n, sr, (200.0, 12000.0), slope=0.5) for _ in range(2)],
        axis=1,
    )
    out = 0.08 * hiss
    drop_len = round(0.03 * sr)
    td = np.arange(drop_len) / sr
    n_drops = rng.poisson(60 * 2.0)
    for start in rng.integers(0, n - drop_len, n_drops):
        freq = rng.uniform(1500.0, 6000.0)
        amp = rng.uniform(0.05, 0.4)
        pan = rng.uniform(0.0, 1.0)
        drop = amp * np.exp(-td / 0.004) * np.sin(2 * np.pi * freq * td)
        out[start : start + drop_len, 0] += np.sqrt(1.0 - pan) * drop
        out[start : start + drop_len, 1] += np.sqrt(pan) * drop
    return fade(normalise(out), sr, 0.05)


def dog_bark(sr: int) -> FloatArray:
    """Make a 2 s pattern of three dog-bark-like harmonic bursts.

    Each bark is a harmonic series whose pitch glides down, shaped by two
    broad formants, mixed with some breath noise and given a fast attack and
    exponential decay.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Mono samples, shape ``(frames,)``.
    """
    rng = np.random.default_rng(20240102)
    n = round(2.0 * sr)
    out = 0.004 * band_noise(rng, n, sr, (50.0, 4000.0), slope=1.0)
    for onset, f_start, length in (
        (0.12, 520.0, 0.22),
        (0.55, 480.0, 0.18),
        (1.25, 560.0, 0.26),
    ):
        t = time_axis(length, sr)
        f0 = f_start * (0.6 + 0.4 * np.exp(-t / (0.4 * length)))
        f0 *= 1.0 + 0.01 * rng.standard_normal()
        phase = 2 * np.pi * np.cumsum(f0) / sr
        bark = np.zeros_like(t)
        for h in range(1, 16):
            f_h = h * f_start
            formants = np.exp(-(((f_h - 900.0) / 500.0) ** 2)) + 0.6 * np.exp(
                -(((f_h - 2500.0) / 800.0) ** 2)
            )
            bark += (formants + 0.05) / h * np.sin(h * phase)
        bark /= np.max(np.abs(bark))
        bark += 0.25 * band_noise(rng, t.shape[0], sr, (300.0, 5000.0)) / 3.0
        envelope = (1.0 - np.exp(-t / 0.008)) * np.exp(-t / (0.3 * length))
        start = round(onset * sr)
        out[start : start + t.shape[0]] += envelope * bark
    return fade(normalise(out), sr)


def fan_hum(sr: int) -> FloatArray:
    """Make 1.5 s of an indoor fan: low rumble, blade tone and mains hum.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Mono samples, shape ``(frames,)``.
    """
    rng = np.random.default_rng(20240103)
    t = time_axis(1.5, sr)
    rumble = band_noise(rng, t.shape[0], sr, (30.0, 3000.0), slope=1.0)
    hum = sum(
        a * np.sin(2 * np.pi * f * t)
        for f, a in ((50.0, 0.5), (100.0, 0.3), (150.0, 0.15))
    )
    blade = (1.0 + 0.3 * np.sin(2 * np.pi * 4.0 * t)) * np.sin(2 * np.pi * 120.0 * t)
    return fade(normalise(rumble + 0.6 * hum + 0.4 * blade), sr, 0.05)


# --------------------------------------------------------------------------
# The dataset
# --------------------------------------------------------------------------

CLIPS: tuple[Clip, ...] = (
    Clip(
        "speech/quick_brown_fox.wav",
        'espeak-ng (en-us, 150 wpm): "the quick brown fox"',
        16000,
        "WAV",
        "PCM_16",
        lambda sr: speech("the quick brown fox", sr),
        needs_espeak=True,
    ),
    Clip(
        "speech/one_two_three.flac",
        'espeak-ng (en-us, 150 wpm): "one two three"',
        16000,
        "FLAC",
        "PCM_16",
        lambda sr: speech("one two three", sr),
        needs_espeak=True,
    ),
    Clip(
        "speech/hello_world.mp3",
        'espeak-ng (en-us, 150 wpm): "hello world"',
        22050,
        "MP3",
        "MPEG_LAYER_III",
        lambda sr: speech("hello world", sr),
        needs_espeak=True,
    ),
    Clip(
        "tones/tone_440hz_stereo.wav",
        "440 Hz sine, left channel 0.8, right channel 0.3",
        44100,
        "WAV",
        "PCM_16",
        stereo_tone,
    ),
    Clip(
        "tones/chirp_100hz_8khz.ogg",
        "log sine sweep 100 Hz to 8 kHz over 2 s",
        44100,
        "OGG",
        "VORBIS",
        log_chirp,
    ),
    Clip(
        "environment/dog_bark.mp3",
        "three synthetic dog-bark-like harmonic bursts",
        22050,
        "MP3",
        "MPEG_LAYER_III",
        dog_bark,
    ),
    Clip(
        "environment/indoor/fan_hum.flac",
        "synthetic fan: brown-noise rumble, 120 Hz blade tone, 50 Hz hum",
        48000,
        "FLAC",
        "PCM_16",
        fan_hum,
    ),
    Clip(
        "environment/outdoor/rain.ogg",
        "synthetic rain: pink hiss plus random droplet clicks, stereo",
        44100,
        "OGG",
        "VORBIS",
        rain,
    ),
)
"""Every clip this script makes, in README order."""


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _ogg_crc_table() -> list[int]:
    """Return the lookup table for the Ogg page CRC-32 (polynomial 0x04C11DB7).

    Returns
    -------
    list of int
        256 table entries.
    """
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_OGG_CRC_TABLE = _ogg_crc_table()


def ogg_crc(data: bytes | bytearray) -> int:
    """Compute the CRC-32 used in Ogg page headers.

    Parameters
    ----------
    data : bytes or bytearray
        The whole page with its checksum field set to zero.

    Returns
    -------
    int
        The checksum.
    """
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def fix_ogg_serial(path: Path, serial: int = OGG_SERIAL) -> None:
    """Replace the random Ogg stream serial number with a fixed one.

    libsndfile seeds each Ogg stream's serial number from the clock, which
    makes otherwise identical files differ. This rewrites the serial number in
    every page header and recomputes each page checksum.

    Parameters
    ----------
    path : pathlib.Path
        Ogg file with a single logical stream, rewritten in place.
    serial : int, optional
        Serial number to store.

    Raises
    ------
    ValueError
        If the file is not a sequence of well-formed Ogg pages.
    """
    data = path.read_bytes()
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS":
            msg = f"{path}: no Ogg page at byte {pos}"
            raise ValueError(msg)
        n_segments = data[pos + 26]
        body = sum(data[pos + 27 : pos + 27 + n_segments])
        page = bytearray(data[pos : pos + 27 + n_segments + body])
        page[14:18] = serial.to_bytes(4, "little")
        page[22:26] = bytes(4)
        page[22:26] = ogg_crc(page).to_bytes(4, "little")
        out += page
        pos += len(page)
    path.write_bytes(bytes(out))


def write_clip(clip: Clip, out_dir: Path) -> Path:
    """Synthesise one clip and write it with soundfile.

    WAV and FLAC clips are quantised to 16-bit integers here, so that the
    stored samples do not depend on libsndfile's float conversion.

    Parameters
    ----------
    clip : Clip
        What to make.
    out_dir : pathlib.Path
        Dataset root.

    Returns
    -------
    pathlib.Path
        Path of the written file.

    Raises
    ------
    ValueError
        If the synthesised clip is not 1-3 s long or its peak is not below 0.9.
    """
    path = out_dir / clip.path
    data = clip.make(clip.samplerate)
    duration = data.shape[0] / clip.samplerate
    peak = float(np.max(np.abs(data)))
    if not MIN_DURATION <= duration <= MAX_DURATION or not peak < MAX_PEAK:
        msg = f"{clip.path}: duration {duration:.2f} s, peak {peak:.3f}"
        raise ValueError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    if clip.subtype == "PCM_16":
        samples: npt.NDArray[np.int16] | npt.NDArray[np.float32] = np.round(
            data * 32767.0
        ).astype(np.int16)
    else:
        samples = data.astype(np.float32)
    kwargs: dict[str, float | str] = {}
    if clip.format in ("MP3", "OGG"):
        kwargs["compression_level"] = 0.5
    if clip.format == "MP3":
        kwargs["bitrate_mode"] = "CONSTANT"
    sf.write(
        path,
        samples,
        clip.samplerate,
        subtype=clip.subtype,
        format=clip.format,
        **kwargs,
    )
    if clip.format == "OGG":
        fix_ogg_serial(path)
    return path


def write_readme(clips: Sequence[Clip], out_dir: Path) -> Path:
    """Write ``README.md`` describing every clip as read back from disk.

    Parameters
    ----------
    clips : sequence of Clip
        Clips to list.
    out_dir : pathlib.Path
        Dataset root; the clips must already exist there.

    Returns
    -------
    pathlib.Path
        Path of the README.
    """
    rows = []
    for clip in clips:
        info = sf.info(out_dir / clip.path)
        fmt = clip.format if clip.format != "OGG" else "OGG Vorbis"
        if clip.subtype == "PCM_16":
            fmt += " (16-bit)"
        channels = {1: "mono", 2: "stereo"}.get(info.channels, "multichannel")
        rows.append(
            f"| `{clip.path}` | {clip.content} | {fmt} | {info.samplerate} Hz "
            f"| {info.channels} ({channels}) | {info.duration:.2f} s |"
        )
    text = "\n".join(
        [
            "# sample_audio",
            "",
            "A small labelled audio dataset for melcli examples and tests. The",
            "class of each clip is its folder (`speech`, `tones`, `environment`,",
            "with `environment/indoor` and `environment/outdoor` nested below).",
            "",
            "| File | Content | Format | Sample rate | Channels | Duration |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "All clips peak below 0.9. Durations are as reported by soundfile.",
            "MP3 clips are constant bit rate and Vorbis clips use libsndfile",
            "compression level 0.5; WAV and FLAC clips are 16-bit PCM.",
            "",
            "## Regenerating",
            "",
            "This file and every clip are generated; do not edit them by hand.",
            "From the repository root run:",
            "",
            "```sh",
            ".venv/bin/python sample_audio/make_sample_audio.py",
            "```",
            "",
            "The synthetic clips need only numpy and soundfile. The speech clips",
            "also need espeak-ng (Debian package `espeak-ng`); without it they are",
            "left unchanged. Output is byte-identical between runs with the same",
            "library versions.",
            "",
            "## License",
            "",
            "License: made by make_sample_audio.py in this repository; free to use.",
            "",
        ]
    )
    path = out_dir / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------


def verify(clips: Sequence[Clip], out_dir: Path) -> bool:
    """Decode every clip with soundfile and librosa and print a summary.

    Parameters
    ----------
    clips : sequence of Clip
        Clips to check.
    out_dir : pathlib.Path
        Dataset root.

    Returns
    -------
    bool
        True if every clip decoded, is 1-3 s long and peaks below 0.9.
    """
    librosa: ModuleType | None
    try:
        librosa = importlib.import_module("librosa")
    except ImportError:
        librosa = None
        print("librosa is not installed; checking with soundfile only")
    header = (
        f"{'file':<36} {'format':<6} {'subtype':<14} {'sr':>6} {'ch':>2} "
        f"{'dur/s':>5} {'peak':>5} {'bytes':>7}  status"
    )
    print(header)
    print("-" * len(header))
    ok = True
    total = 0
    for clip in clips:
        path = out_dir / clip.path
        status = "ok"
        try:
            info = sf.info(path)
            data, _ = sf.read(path, dtype="float32")
            if librosa is not None:
                y, _ = librosa.load(path, sr=22050)
                if y.size == 0 or not np.all(np.isfinite(y)):
                    status = "librosa decoded nothing or non-finite"
            peak = float(np.max(np.abs(data)))
            if not MIN_DURATION <= info.duration <= MAX_DURATION:
                status = f"duration {info.duration:.2f} s out of range"
            elif peak >= MAX_PEAK:
                status = f"peak {peak:.3f} too high"
        except Exception as exc:  # any decoder failure is reported, not raised
            print(f"{clip.path:<36} FAILED: {exc}")
            ok = False
            continue
        size = path.stat().st_size
        total += size
        ok = ok and status == "ok"
        print(
            f"{clip.path:<36} {info.format:<6} {info.subtype:<14} "
            f"{info.samplerate:>6} {info.channels:>2} {info.duration:>5.2f} "
            f"{peak:>5.3f} {size:>7}  {status}"
        )
    print(f"total audio size: {total} bytes ({total / 1024:.1f} KiB)")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the dataset, then verify it unless told not to.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Process exit status: 0 on success, 1 if verification failed.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=OUT_DIR,
        help="dataset root (default: the folder holding this script)",
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the decode check"
    )
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir

    have_espeak = shutil.which("espeak-ng") is not None
    for clip in CLIPS:
        if clip.needs_espeak and not have_espeak:
            print(
                f"warning: espeak-ng not found; keeping {clip.path} unchanged",
                file=sys.stderr,
            )
            continue
        print(f"writing {clip.path}")
        write_clip(clip, out_dir)

    present = [clip for clip in CLIPS if (out_dir / clip.path).exists()]
    write_readme(present, out_dir)
    if args.no_verify:
        return 0
    return 0 if verify(present, out_dir) else 1


if __name__ == "__main__":
    sys.exit(main())
