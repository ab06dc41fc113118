"""Output storage formats.

``npy`` (the default) writes one ``.npy`` per input into a tree mirroring the
input (:mod:`melcli.write`). ``webdataset`` packs the same arrays into
size-bounded tar shards (:mod:`melcli.storage.webdataset`, on top of
:mod:`melcli.storage.tarshards`).
"""

from __future__ import annotations

#: The values of ``--format``.
FORMATS = ("npy", "webdataset")

__all__ = ["FORMATS"]
