"""The benchmark's test audio: generated deterministically, cached on disk.

Synthetic stereo 44.1 kHz scenes (background noise, tones, chirps, bursts) in
class folders, one long file written block by block, and sets of hard links
over a shared pool of clips, so every workload and size reuses the same files.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
from harness import BENCH_DIR, log

DEFAULT_DATA = BENCH_DIR / ".data"

#: Bump when the generated signals change: the cache is then rebuilt beside the old.
DATA_VERSION = 1
SEED = 20_240_501
SR = 44_100
CHANNELS = 2
CLIP_SECONDS = 10
CLASSES = ("birds", "dogs", "engines", "music", "rain", "speech")
LONG_BLOCK_SECONDS = 10

#: (g) Distinct clips, hard-linked under many names.
GALLERY_DISTINCT = 120


def synthesize(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` frames of stereo test audio, float32, shape ``(n, 2)``.

    A quiet pink-ish background with tones (harmonics and vibrato), chirps and
    band-limited noise bursts scattered over it, each panned somewhere in the
    stereo field, scaled to a random peak between -20 and -3 dBFS.
    """
    mix = _background(rng, n)
    seconds = n / SR
    for make, per_10s in ((_tone, 4), (_chirp, 2), (_noise_burst, 7)):
        for _ in range(rng.poisson(per_10s * seconds / 10) + 1):
            _place(mix, rng, make(rng))
    peak = float(np.max(np.abs(mix))) or 1.0
    gain = 10 ** (rng.uniform(-20, -3) / 20) / peak
    return (mix * gain).astype(np.float32)


def _background(rng: np.random.Generator, n: int) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal((CHANNELS, n)), axis=-1)
    spectrum /= np.sqrt(np.arange(spectrum.shape[-1]) + 1.0)
    noise = np.fft.irfft(spectrum, n=n, axis=-1).T
    return 0.02 * noise / (np.max(np.abs(noise)) or 1.0)


def _place(mix: np.ndarray, rng: np.random.Generator, event: np.ndarray) -> None:
    """Add a mono ``event`` at a random start and pan, cut at the end of ``mix``."""
    start = int(rng.integers(0, mix.shape[0]))
    stop = min(mix.shape[0], start + event.shape[0])
    angle = rng.uniform(0, np.pi / 2)
    gains = np.array([np.cos(angle), np.sin(angle)]) * rng.uniform(0.2, 1.0)
    mix[start:stop] += event[: stop - start, np.newaxis] * gains


def _tone(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(rng.uniform(0.3, 4.0) * SR)) / SR
    f0 = math.exp(rng.uniform(math.log(80), math.log(2000)))
    vibrato = 1 + 0.01 * np.sin(2 * np.pi * rng.uniform(3, 7) * t)
    phase = 2 * np.pi * f0 * np.cumsum(vibrato) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, int(rng.integers(1, 6)) + 1))
    attack = np.minimum(1.0, t / rng.uniform(0.01, 0.1))
    return np.asarray(y * attack * np.exp(-t * rng.uniform(0.2, 3.0)))


def _chirp(rng: np.random.Generator) -> np.ndarray:
    duration = rng.uniform(0.2, 2.0)
    t = np.arange(int(duration * SR)) / SR
    f0, f1 = np.exp(rng.uniform(math.log(200), math.log(8000), size=2))
    rate = math.log(f1 / f0) / duration
    if abs(rate) < 1e-6:
        phase = 2 * np.pi * f0 * t
    else:
        phase = 2 * np.pi * f0 * np.expm1(rate * t) / rate
    return np.asarray(np.sin(phase) * np.hanning(t.size))


def _noise_burst(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.uniform(0.02, 0.6) * SR)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    low = math.exp(rng.uniform(math.log(100), math.log(6000)))
    spectrum[(freqs < low) | (freqs > low * rng.uniform(1.5, 8.0))] = 0
    y = np.fft.irfft(spectrum, n=n)
    y /= np.max(np.abs(y)) or 1.0
    return y * np.exp(-np.arange(n) / (n * rng.uniform(0.1, 0.5)))


def _rng(stream: int, index: int) -> np.random.Generator:
    """A generator that depends only on (stream, index): files are reproducible."""
    return np.random.default_rng([SEED, stream, index])


class Dataset:
    """The generated test audio under ``root``, made on first use and then reused.

    Every file is written under a hidden temporary name and renamed into place,
    so a file that exists is complete; one with the wrong length is remade.
    ``clip_set(n)`` is a folder holding the first ``n`` clips (hard links into
    a shared pool), so the same clips serve every workload and size.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / f"v{DATA_VERSION}"

    def clip_set(self, n: int, *, start: int = 0) -> Path:
        """A folder with ``n`` clips (the first, or from ``start``) in class folders."""
        self._mark_ignored()
        self._make_clips(start + n)
        view = self.base / "sets" / (f"n{n}" if start == 0 else f"n{n}-from{start}")
        for index in range(start, start + n):
            clip = self.base / "clips" / _clip_rel(index)
            linked = view / _clip_rel(index)
            if not (linked.exists() and os.path.samefile(clip, linked)):
                linked.parent.mkdir(parents=True, exist_ok=True)
                linked.unlink(missing_ok=True)
                _link_or_copy(clip, linked)
        return view

    def one_second(self) -> Path:
        """One 1-second stereo 44.1 kHz WAV."""
        self._mark_ignored()
        path = self.base / "single" / "one_second.wav"
        if not _is_complete(path, SR):
            _write_wav(path, synthesize(_rng(1, 0), SR))
            _flush_to_disk()
        return path

    def long_file(self, minutes: float) -> Path:
        """One ``minutes``-long stereo 44.1 kHz WAV, written block by block."""
        self._mark_ignored()
        frames = round(minutes * 60 * SR)
        path = self.base / "long" / f"long_{minutes:g}min.wav"
        if not _is_complete(path, frames):
            log(f"generating a {minutes:g}-minute file: {path}")
            _write_long_wav(path, frames)
            _flush_to_disk()
        return path

    def linked_set(self, n: int) -> Path:
        """A folder of ``n`` clips in class folders: hard links to a few distinct.

        :data:`GALLERY_DISTINCT` clips (the first of the pool), each under many
        names: a large output without gigabytes of audio (each name is still
        decoded and written by the run, and read by the gallery). Only the
        clips it links are made (fewer than that many names link fewer).
        """
        self._mark_ignored()
        self._make_clips(min(n, GALLERY_DISTINCT))
        view = self.base / "sets" / f"linked{n}"
        for index in range(n):
            clip = self.base / "clips" / _clip_rel(index % GALLERY_DISTINCT)
            linked = view / _clip_rel(index).parent / f"clip_{index:05d}.wav"
            if not (linked.exists() and os.path.samefile(clip, linked)):
                linked.parent.mkdir(parents=True, exist_ok=True)
                linked.unlink(missing_ok=True)
                _link_or_copy(clip, linked)
        return view

    def pooled_set(
        self,
        pool: str,
        n: int,
        make: Callable[[int, Path], bool],
        *,
        suffix: str,
        start: int = 0,
    ) -> Path:
        """``pool/sets/nN``: hard links to the first ``n`` files of ``pool/clips``.

        ``make(index, path)`` makes pool file ``index`` at ``path`` where it is
        missing or incomplete (under a temporary name, then renamed) and says
        whether it wrote it. Every size is a view of one pool, as
        :meth:`clip_set` is of the clips: N/2 files are the first half of N's,
        made once, not encoded a second time. With ``start``, the ``n`` files
        from that one on (``pool/sets/nN-fromS``).
        """
        self._mark_ignored()
        root = self.base / pool
        made = 0
        for index in range(start, start + n):
            rel = _clip_rel(index).with_suffix(suffix)
            made += make(index, root / "clips" / rel)
        if made:
            log(f"generated {made} files in {root / 'clips'}")
            _flush_to_disk()
        view = root / "sets" / (f"n{n}" if start == 0 else f"n{n}-from{start}")
        for index in range(start, start + n):
            rel = _clip_rel(index).with_suffix(suffix)
            clip, linked = root / "clips" / rel, view / rel
            if not (linked.exists() and os.path.samefile(clip, linked)):
                linked.parent.mkdir(parents=True, exist_ok=True)
                linked.unlink(missing_ok=True)
                _link_or_copy(clip, linked)
        return view

    def _make_clips(self, n: int) -> None:
        """Make whichever of the first ``n`` clips are missing or incomplete."""
        frames = CLIP_SECONDS * SR
        pool = self.base / "clips"
        missing = [i for i in range(n) if not _is_complete(pool / _clip_rel(i), frames)]
        if missing:
            log(f"generating {len(missing)} clips in {pool}")
        for index in missing:
            _write_wav(pool / _clip_rel(index), synthesize(_rng(0, index), frames))
        if missing:
            _flush_to_disk()

    def _mark_ignored(self) -> None:
        """Keep the cache out of git wherever it lives (as .pytest_cache does)."""
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.root / ".gitignore"
        if not marker.exists():
            marker.write_text("# generated by bench/bench.py\n*\n")


def _clip_rel(index: int) -> Path:
    return Path(CLASSES[index % len(CLASSES)]) / f"clip_{index:04d}.wav"


def _is_complete(path: Path, frames: int) -> bool:
    try:
        info = sf.info(str(path))
    except (OSError, RuntimeError):  # missing or unreadable: remake it
        return False
    return (info.frames, info.channels, info.samplerate) == (frames, CHANNELS, SR)


def _temp_name(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.tmp")


def _write_wav(path: Path, data: np.ndarray) -> None:
    temp = _temp_name(path)
    sf.write(str(temp), data, SR, format="WAV", subtype="PCM_16")
    os.replace(temp, path)


def _write_long_wav(path: Path, frames: int) -> None:
    """Write block by block, so generating even an hour takes little memory."""
    temp = _temp_name(path)
    block = LONG_BLOCK_SECONDS * SR
    with sf.SoundFile(
        str(temp), "w", SR, CHANNELS, format="WAV", subtype="PCM_16"
    ) as f:
        for index, start in enumerate(range(0, frames, block)):
            f.write(synthesize(_rng(2, index), min(block, frames - start)))
    os.replace(temp, path)


def _flush_to_disk() -> None:
    """Finish writing new data now, so the write-back does not slow a measurement."""
    if hasattr(os, "sync"):
        os.sync()


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # no hard links on this file system
        shutil.copyfile(src, dst)


def warm_page_cache(src: Path) -> None:
    """Read the inputs once, so no contender pays for the first disk read."""
    paths = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    for path in paths:
        with path.open("rb") as f:
            while f.read(1 << 22):
                pass


#: The child that holds a workload's inputs in memory (:func:`held_in_cache`):
#: maps every file named on stdin, locks its mappings, says ``ready`` (or why
#: not) and waits for stdin's end.
_HOLDER = r"""
import ctypes, mmap, os, sys
maps = []
for line in sys.stdin.readline().rstrip("\n").split("\0"):
    if not line:
        continue
    with open(line, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size:
            maps.append(mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ))
libc = ctypes.CDLL(None, use_errno=True)
if libc.mlockall(1) != 0:  # MCL_CURRENT: reads every page in, keeps it
    print("not held: mlockall: " + os.strerror(ctypes.get_errno()), flush=True)
else:
    print("ready", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def held_in_cache(src: Path) -> Iterator[str]:
    """Keep the files under ``src`` in the page cache while the block runs.

    This VM pages out file pages left unused for a second or so (DAMON's
    ``pageout``, ``/sys/kernel/mm/damon/admin``): a workload's inputs, read
    once by :func:`warm_page_cache`, were read again from the disk in the
    middle of its runs (bench/README.md, issue 19, twenty-second round), at
    waits of milliseconds that vary with the host's disk, in every
    contender alike. A child process maps every file and locks the mappings
    (``mlockall``), so their pages stay cached (root, or a large enough
    ``ulimit -l``), as on a machine whose page cache keeps a dataset it just
    read. Yields a line saying whether they are held, or why not (then they
    are only warmed).
    """
    warm_page_cache(src)
    paths = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        child.stdin.write("\0".join(map(str, paths)) + "\n")
        child.stdin.flush()
        said = child.stdout.readline().strip() or "not held: the holder ended"
        yield (
            f"inputs held in the page cache ({len(paths)} files, mlockall)"
            if said == "ready"
            else f"inputs {said}"
        )
    finally:
        child.stdin.close()
        child.wait()
        child.stdout.close()
