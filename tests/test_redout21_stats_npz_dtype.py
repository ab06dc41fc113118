"""A ``stats.npz`` in OUT whose mean claims values of a gigabyte each is not read.

The data loader normalises with ``OUT/stats.npz`` (untrusted, as all of
OUT). Its arrays' shapes were checked before reading (one value per band),
not their dtype: a member ``mean`` of shape ``(1,)`` and dtype
``S838860800`` (zeros, compressed to 800 KB) took 1.6 GB of memory to be
refused afterwards. Now a value that is not a number of at most 8 bytes is
refused from the header, naming the file.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import short_tones

import melcli
from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError
from melcli.stats import STATS_NAME

pytestmark = pytest.mark.usefixtures("isolated")

CLAIM = 16 << 20  # bytes of the one value of ``mean``


def _header(dtype: str, shape: tuple[int, ...]) -> bytes:
    fmt = np.lib.format
    buf = io.BytesIO()
    descr = fmt.dtype_to_descr(np.dtype(dtype))
    fmt.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


def _crafted_stats(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("mean.npy", "w") as f:
            f.write(_header(f"S{CLAIM}", (1,)))
            for _ in range(CLAIM >> 20):
                f.write(bytes(1 << 20))
        with archive.open("std.npy", "w") as f:
            np.lib.format.write_array(f, np.ones(128))


def test_a_stats_value_claiming_megabytes_is_refused_from_its_header(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    _crafted_stats(out / STATS_NAME)
    assert (out / STATS_NAME).stat().st_size < CLAIM // 100

    tracemalloc.start()
    try:
        with pytest.raises(MelcliError) as caught:
            SpectrogramDataset(out, normalize=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert str(out / STATS_NAME) in str(caught.value)
    assert f"run 'melcli stats {out}'" in str(caught.value)
    assert peak < CLAIM // 4
