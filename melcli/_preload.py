"""Imported once by the worker pool's fork server, so workers start warm.

Forked workers inherit these modules instead of importing them again. With the
default settings the pipeline needs neither librosa nor scipy (their import
costs 1-2 s), so they are not preloaded: only what every file uses. Nor the
run around the tasks (:mod:`melcli.batch`, the manifest, SQLite): a worker
runs :class:`melcli.work.TaskWork`, and the server's imports are on the way
to the first file (see :mod:`melcli._zygote`).
"""

# ruff: noqa: F401
from __future__ import annotations

import numpy
import soundfile
import soxr
import threadpoolctl

from . import pipeline, runners, work
