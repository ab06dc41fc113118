"""melcli: turn folders of audio into log-mel spectrograms for machine learning.

The Python API behind the ``melcli`` command::

    import melcli

    S_db = melcli.mel_spectrogram("dog_bark/0001.wav")          # librosa's defaults
    S_db = melcli.mel_spectrogram(y, sr=16000, params=melcli.MelParams(n_mels=64))
    X = melcli.mel_spectrogram(y, sr=16000, params=melcli.preset_params("whisper"))
    report = melcli.run(["audio/"], "features/", png=True)     # a whole batch
    print(report.summary())
    melcli.write_stats("features/")                            # features/stats.npz

Importing melcli imports neither click nor matplotlib.
"""

from __future__ import annotations

from .audio import AudioInfo, probe
from .batch import run
from .errors import AudioError, MelcliError, ParameterError, UsageError
from .params import MelParams
from .pipeline import mel_spectrogram, process_one
from .presets import preset_params
from .report import Report, Result, Status
from .stats import write_stats

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "AudioInfo",
    "MelParams",
    "MelcliError",
    "ParameterError",
    "Report",
    "Result",
    "Status",
    "UsageError",
    "__version__",
    "mel_spectrogram",
    "preset_params",
    "probe",
    "process_one",
    "run",
    "write_stats",
]
