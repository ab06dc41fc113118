"""Which ``meta`` column labels a run's inputs when none is named.

``melcli gallery`` groups by it and :class:`melcli.data.SpectrogramDataset`
takes each item's class from it, by one rule, so the groups a gallery shows
are the classes a loader gives: the :data:`DEFAULT_LABEL` column when every
array written has one (a ``--files-from`` table with a ``label`` column),
else the input's folder. An OUT that mixes a labelled table's run with a
folder's is labelled by folder; a column is chosen by name
(``--group-by label``, ``label_column="label"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The ``meta`` column a run's inputs are labelled by when none is named.
DEFAULT_LABEL = "label"
#: The manifest statuses of an input whose array is in OUT.
_WRITTEN = ("written", "up-to-date")


def default_label(entries: Iterable[Any]) -> str | None:
    """Return :data:`DEFAULT_LABEL` when every written entry has it, else None.

    Parameters
    ----------
    entries : iterable of dict
        Manifest entries; those not written (failed, skipped) do not count.

    Returns
    -------
    str or None
        The ``meta`` column to label by, or None: by folder. None too when
        no entry is written.
    """
    written = [
        e for e in entries if isinstance(e, dict) and e.get("status") in _WRITTEN
    ]
    if written and all(
        isinstance(e.get("meta"), dict) and DEFAULT_LABEL in e["meta"] for e in written
    ):
        return DEFAULT_LABEL
    return None
