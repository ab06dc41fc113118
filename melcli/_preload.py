"""Imported once by the worker pool's fork server, so workers start warm.

Forked workers inherit these modules instead of importing them again; the
first librosa call in a fresh process otherwise costs 1-2 s of imports.
"""

# ruff: noqa: F401
from __future__ import annotations

import librosa.core
import librosa.feature
import librosa.filters
import soundfile
import soxr

from . import pipeline
