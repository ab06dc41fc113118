"""Preloaded by the workers of ``--scheduler local`` (``dask_setup``).

Ctrl-C in a terminal reaches every process of the foreground group, the
workers too; they ignore it, as the local pool's workers do, and the parent
decides: it cancels the work and closes the cluster, which stops them.
"""

from __future__ import annotations

import signal
from typing import Any


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT and SIGHUP in this worker process (called by Dask at start)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # a closed terminal's, sent to the whole group
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
