"""Which ``meta`` column labels a run's inputs when none is named.

``melcli gallery`` groups by it and :class:`melcli.data.SpectrogramDataset`
takes each item's class from it, by one rule, so the groups a gallery shows
are the classes a loader gives: the first of :data:`LABEL_COLUMNS` that every
array written has (a ``--files-from`` table with a ``label`` column,
UrbanSound8K's ``class``, ESC-50's ``category``), else the input's folder.
UrbanSound8K keeps its audio in ``fold1/`` ... ``fold10/``: by folder, its
classes would be its folds. An OUT that mixes a labelled table's run with a
folder's is labelled by folder; a column is chosen by name (``--group-by
label``, ``label_column="label"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The ``meta`` column a ``path,label`` table labels its inputs with.
DEFAULT_LABEL = "label"
#: The ``meta`` columns a run's inputs are labelled by when none is named, in
#: order: the first every written input has is taken.
LABEL_COLUMNS = (DEFAULT_LABEL, "class", "category")
#: The manifest statuses of an input whose array is in OUT.
_WRITTEN = ("written", "up-to-date")


def written_entries(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Return the manifest entries whose array is in OUT (not failed, skipped)."""
    return [e for e in entries if isinstance(e, dict) and e.get("status") in _WRITTEN]


def default_label(entries: Iterable[Any]) -> str | None:
    """Return the first of :data:`LABEL_COLUMNS` every written entry has, else None.

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
    written = written_entries(entries)
    if not written:
        return None
    metas = [e.get("meta") for e in written]
    for column in LABEL_COLUMNS:
        if all(isinstance(meta, dict) and column in meta for meta in metas):
            return column
    return None


def partly_labelled(entries: Iterable[Any]) -> tuple[str, int, int] | None:
    """Return a label column some written entries have but not all, and the counts.

    ``(column, how many have it, how many are written)``, for the first of
    :data:`LABEL_COLUMNS` that some have; None when none has one, or every
    entry has one that :func:`default_label` takes.
    """
    written = written_entries(entries)
    if default_label(written) is not None:
        return None
    for column in LABEL_COLUMNS:
        have = sum(
            1
            for e in written
            if isinstance(e.get("meta"), dict) and column in e["meta"]
        )
        if have:
            return column, have, len(written)
    return None
