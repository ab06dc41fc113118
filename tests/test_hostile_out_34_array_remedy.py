"""An array of OUT no reader can use, its size and time kept: what rebuilds it is said.

A run judges an output by its size and modification time: an array whose
bytes were replaced with both kept (crafted, or damaged in place and given
its time back) is up to date to it, run after run. The readers refused it
without a remedy ("the array holds Python objects"), or (the loader, an
array of NaN) trained on it. Each now refuses it and says: delete it, and
the next run rebuilds it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, mel, short_tones

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")

REMEDY = "delete it and run 'melcli mel' again to rebuild it"


def _replace_keeping_stamp(out: Path, key: str, write: str) -> None:
    """Write other bytes as ``OUT/key``, of its size, and give it back its time."""
    path = out / key
    st = os.lstat(path)
    size = st.st_size
    buffer = io.BytesIO()
    if write == "objects":
        np.save(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif write == "nan":
        np.save(buffer, np.full((128, 9), np.nan, np.float32))
    else:  # a header announcing more than the file holds (one cut short)
        np.lib.format.write_array_header_1_0(
            buffer, {"descr": "<f4", "fortran_order": False, "shape": (128, 99)}
        )
    data = buffer.getvalue()
    assert len(data) <= size
    path.write_bytes(data.ljust(size, b"\0"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.lstat(path).st_size == size


@pytest.mark.parametrize("write", ["objects", "nan", "cut"])
def test_an_unusable_array_is_refused_with_what_rebuilds_it(
    tmp_path: Path, write: str
) -> None:
    src = short_tones(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    _replace_keeping_stamp(out, "0.npy", write)
    assert "0 written, 2 up to date." in mel(src, out).stderr  # by size and time
    dataset = SpectrogramDataset(out)
    [i] = [i for i, item in enumerate(dataset.items) if item.path == "0.npy"]
    with pytest.raises(MelcliError) as refused:
        dataset[i]
    assert str(refused.value).startswith(f"{out / '0.npy'}: ")
    assert str(refused.value).endswith(f"; {REMEDY}")
    stats = invoke("stats", out)
    assert stats.exit_code == 1
    assert stats.stderr.rstrip().endswith(f"; {REMEDY}"), stats.stderr
    gallery = invoke("gallery", out)
    assert f"; {REMEDY}" in gallery.stderr, gallery.stderr
    (out / "0.npy").unlink()  # as said
    assert "1 written, 1 up to date." in mel(src, out).stderr
    assert [x.shape for x, _ in SpectrogramDataset(out)] == [(128, 9)] * 2
    assert invoke("stats", out).exit_code == 0
