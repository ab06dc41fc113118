"""Where a mel filterbank's filters fall, in plain Python: no numpy.

The run asks whether its settings make an empty mel filter (too many mels for
the rate) before any file is read (:func:`melcli.pipeline.settings_warnings`).
The filterbank itself needs numpy, which the run's own process does not
import otherwise when its workers come from a fork server (melcli._zygote):
this answers the common case, every filter surely covers an FFT bin, without
it. Anything it cannot answer so is left to the filterbank.
"""

from __future__ import annotations

import math

from .params import MelParams

#: A filter's largest weight (before Slaney's normalisation) at least this is
#: non-zero whatever the rounding: ``librosa.filters.mel``'s weights peak at 1.
SURE_WEIGHT = 1e-6


def hz_to_mel(f: float, *, htk: bool = False) -> float:
    """Convert Hz to mels, as :func:`melcli.transform.hz_to_mel`."""
    if htk:
        return 2595.0 * math.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    if f >= 1000.0:
        return 1000.0 / f_sp + math.log(f / 1000.0) / (math.log(6.4) / 27.0)
    return f / f_sp


def mel_to_hz(m: float, *, htk: bool = False) -> float:
    """Convert mels to Hz, as :func:`melcli.transform.mel_to_hz`."""
    if htk:
        return 700.0 * (math.pow(10.0, m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    min_log_mel = 1000.0 / f_sp
    if m >= min_log_mel:
        return 1000.0 * math.exp(math.log(6.4) / 27.0 * (m - min_log_mel))
    return f_sp * m


def no_empty_filter(params: MelParams, sr: float) -> bool:
    """Whether every filter of the mel basis at ``sr`` surely covers an FFT bin.

    True only when each triangular filter (librosa's, ``norm`` None or
    ``"slaney"``) weighs some bin at least :data:`SURE_WEIGHT`; False where
    that cannot be told so (then the filterbank itself says).
    """
    if params.kind != "mel" or params.norm not in (None, "slaney"):
        return False
    n_fft, n_mels, htk = params.n_fft, params.n_mels, params.htk
    low = hz_to_mel(float(params.fmin), htk=htk)
    high = hz_to_mel(params.effective_fmax(sr), htk=htk)
    if not (math.isfinite(low) and math.isfinite(high)) or n_mels < 1:
        return False
    step = (high - low) / (n_mels + 1)
    edges = [mel_to_hz(low + i * step, htk=htk) for i in range(n_mels + 2)]
    spacing = sr / n_fft  # between FFT bins
    last = n_fft // 2
    for i in range(n_mels):
        left, middle, right = edges[i], edges[i + 1], edges[i + 2]
        if not left < middle < right:
            return False
        # The weight peaks at the middle: the best bin is next to it.
        k = math.floor(middle / spacing)
        best = 0.0
        for bin_ in (k, k + 1):
            if 0 <= bin_ <= last:
                f = bin_ * spacing
                weight = min(
                    (f - left) / (middle - left), (right - f) / (right - middle)
                )
                best = max(best, weight)
        if best < SURE_WEIGHT:
            return False
    return True
