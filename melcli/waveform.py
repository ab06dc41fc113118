"""A waveform at a glance: its envelope, peak, RMS and clipping, in 300 bytes.

The run computes :func:`summarize` from the samples it already holds and
records it in the input's manifest entry as ``"wave"``; ``melcli gallery``
draws it, and decodes the source file only for an entry without one (an OUT
written by an older melcli, a file too long to hold in memory). The samples
are those the spectrogram was computed from: after mixing, resampling,
``offset``/``duration`` and ``clip_duration``.

The ``"wave"`` field::

    {"env": "...", "peak": 0.8125, "rms": 0.1377, "clip": 0.0}

- ``env``: :data:`COLUMNS` stretches of the signal (fewer for a signal with
  fewer samples), each as two characters, its minimum then its maximum over
  all channels: the value ``v`` in [-1, 1] is ``round(31 * v)``, written as
  the character at ``round(31 * v) + 32`` of :data:`ALPHABET` (base64's). Six
  bits a value is more than the 40-pixel-high picture shows, in one JSON
  character each (base64 of bytes would take 1.33).
- ``peak``: the largest ``|sample|``; ``rms``: ``sqrt(mean(sample ** 2))``, over
  every channel, linear (full scale is 1), four significant digits.
- ``clip``: the fraction of samples at or beyond :data:`CLIP_LEVEL` of full
  scale (three significant digits).

Everything in it is checked by :func:`is_wave` when the manifest is read (OUT
is untrusted): a crafted ``env`` is characters of :data:`ALPHABET` only.
"""

from __future__ import annotations

import functools
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Stretches of the envelope: 256 characters.
COLUMNS = 128
#: At most this many stretches are accepted from a manifest.
MAX_COLUMNS = 512
#: The characters of the envelope, by value + 32 (base64's, in its order).
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#: Levels either side of zero.
LEVELS = 31
#: A sample this close to full scale counts as clipped.
CLIP_LEVEL = 0.99
#: The fraction of clipped samples from which an input is shown as clipped.
CLIPPED_FRACTION = 0.001

_ENVELOPE = re.compile(rf"(?:[A-Za-z0-9+/]{{2}}){{1,{MAX_COLUMNS}}}")


def envelope(y: np.ndarray, *, columns: int = COLUMNS) -> np.ndarray:
    """Return (min, max) over all channels of each stretch of ``y``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (..., n)]
        Samples, at least one.
    columns : int
        Stretches: ``min(columns, n)``, stretch ``i`` the samples from
        ``i * n // columns`` up to the next one's start.

    Returns
    -------
    np.ndarray [shape=(min(columns, n), 2)], float32
    """
    import numpy as np

    y = y.reshape(-1, y.shape[-1])
    n = y.shape[-1]
    starts = _starts(n, min(columns, n))
    out = np.empty((len(starts), 2), np.float32)
    if len(y) == 1:  # one channel: straight into the columns (a third of the time)
        np.minimum.reduceat(y[0], starts, out=out[:, 0])
        np.maximum.reduceat(y[0], starts, out=out[:, 1])
    else:
        out[:, 0] = np.minimum.reduceat(y, starts, axis=-1).min(axis=0)
        out[:, 1] = np.maximum.reduceat(y, starts, axis=-1).max(axis=0)
    return out


@functools.lru_cache(maxsize=64)
def _starts(n: int, columns: int) -> np.ndarray:
    """Return where each of ``columns`` stretches of ``n`` samples starts.

    Kept: the clips of a dataset are often all of one length.
    """
    import numpy as np

    starts = np.arange(columns) * n // columns
    starts.flags.writeable = False
    return starts


def encode(pairs: np.ndarray) -> str:
    """Return the ``env`` text of (min, max) pairs [shape=(k, 2)] (module notes)."""
    import numpy as np

    levels = np.rint(np.clip(pairs, -1.0, 1.0) * LEVELS).astype(np.int64) + 32
    table = np.frombuffer(ALPHABET.encode("ascii"), np.uint8)
    text: str = table[levels.ravel()].tobytes().decode("ascii")
    return text


def decode(text: str) -> np.ndarray:
    """Return the (min, max) pairs [shape=(k, 2)] of an ``env`` text, in [-1, 1]."""
    import numpy as np

    levels = np.array([ALPHABET.index(ch) - 32 for ch in text], np.float32)
    result: np.ndarray = levels.reshape(-1, 2) / LEVELS
    return result


def summarize(y: np.ndarray, *, columns: int = COLUMNS) -> dict[str, object] | None:
    """Return the ``"wave"`` field of samples ``y`` [shape=(n,) or (..., n)].

    None for a signal without samples. A few passes over ``y`` (about 0.3 ms
    for 5 s at 22 050 Hz): a small cost beside its spectrogram's.
    """
    import numpy as np

    if y.size == 0:
        return None
    pairs = envelope(y, columns=columns)
    flat = y.reshape(-1).astype(np.float32, copy=False)
    peak = max(-float(pairs[:, 0].min()), float(pairs[:, 1].max()), 0.0)
    rms = math.sqrt(max(float(np.dot(flat, flat)), 0.0) / flat.size)
    clipped = 0
    if peak >= CLIP_LEVEL:
        clipped = int(np.count_nonzero(flat >= CLIP_LEVEL))
        clipped += int(np.count_nonzero(flat <= -CLIP_LEVEL))
    return {
        "env": encode(pairs),
        "peak": _round(peak, 4),
        "rms": _round(rms, 4),
        "clip": _round(clipped / flat.size, 3),
    }


def is_wave(value: object) -> bool:
    """Return whether ``value`` is a ``"wave"`` field as :func:`summarize` makes.

    ``env`` is an even number of :data:`ALPHABET` characters (up to
    :data:`MAX_COLUMNS` pairs); ``peak`` and ``rms`` finite and not negative,
    ``clip`` in [0, 1]; other keys are ignored (a later melcli may add some).
    """
    if type(value) is not dict:
        return False
    if not is_envelope(value.get("env")):
        return False
    for name, top in (("peak", math.inf), ("rms", math.inf), ("clip", 1.0)):
        number = value.get(name)
        if type(number) not in (int, float):
            return False
        assert isinstance(number, int | float)
        if not (math.isfinite(number) and 0 <= number <= top):
            return False
    return True


def is_envelope(text: object) -> bool:
    """Return whether ``text`` is an ``env`` text (pairs of :data:`ALPHABET`)."""
    return type(text) is str and _ENVELOPE.fullmatch(text) is not None


def is_clipped(wave: dict[str, object]) -> bool:
    """Return whether a valid ``"wave"`` field shows a clipped input."""
    clip = wave["clip"]
    assert isinstance(clip, int | float)
    return clip >= CLIPPED_FRACTION


def _round(value: float, digits: int) -> float:
    return float(f"{value:.{digits}g}")


__all__ = [
    "ALPHABET",
    "COLUMNS",
    "decode",
    "encode",
    "envelope",
    "is_clipped",
    "is_envelope",
    "is_wave",
    "summarize",
]
