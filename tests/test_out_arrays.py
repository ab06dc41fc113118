"""An array of OUT changed in place, its size and time kept, is refused by the loader.

A run judges an output by its size and time (as make does): an array whose
bytes were changed with both kept is not seen, by design. The data loader
reads every array anyway, and read one as whatever its header said: a
float32 array rewritten as int32, big-endian or of another shape was fed to
training as numbers. It now holds each array to the shape and dtype its
manifest entry records, and names the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, invoke

from melcli.data import SpectrogramDataset
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    return tmp_path / "audio"


def rewrite_in_place(path: Path, change: Callable[[np.ndarray], np.ndarray]) -> None:
    """Write ``change(array)`` over ``path``, of the same size, its mtime kept."""
    st = path.stat()
    buffer = io.BytesIO()
    np.save(buffer, change(np.load(path)))
    data = buffer.getvalue()
    assert len(data) == st.st_size
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


CHANGES = {
    "int32": lambda a: a.view(np.int32),
    "big-endian": lambda a: a.astype(">f4"),
    "another shape": lambda a: a.reshape(1, *a.shape),
    "bands and frames swapped": lambda a: np.ascontiguousarray(a.T),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_an_array_changed_in_place_is_refused_by_name(
    src: Path, tmp_path: Path, change: Callable[[np.ndarray], np.ndarray]
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    rewrite_in_place(out / "dogs" / "a.npy", change)
    again = invoke("mel", src, "-o", out, "-j", "1")
    assert again.stderr.splitlines()[-1] == "0 written, 2 up to date."  # by design

    ds = SpectrogramDataset(out)
    index = [item.path for item in ds.items].index("dogs/a.npy")
    with pytest.raises(MelcliError, match=r"dogs/a\.npy: .*its manifest entry records"):
        ds[index]
    ds[1 - index]  # the other is read

    (out / "dogs" / "a.npy").unlink()  # as the message says
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    ds = SpectrogramDataset(out)
    assert all(ds[i][0].dtype == np.float32 for i in range(len(ds)))


OPTIONS = {
    "defaults": [],
    "float16, channels kept": ["--dtype", "float16", "--no-mono"],
    "segments stacked": ["--segment", "0.3", "--segment-hop", "0.2"],
    "segments as files": [
        *("--segment", "0.3", "--segment-hop", "0.2"),
        *("--segment-layout", "files"),
    ],
    "webdataset": ["--format", "webdataset", "--dtype", "float16"],
    "mfcc": ["--kind", "mfcc", "--n-mfcc", "13"],
    "whisper": ["--preset", "whisper"],
}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_every_array_melcli_writes_is_as_its_entry_records(
    src: Path, tmp_path: Path, options: list[str]
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1", *options).exit_code == 0

    ds = SpectrogramDataset(out)

    assert len(ds) >= 2
    for i in range(len(ds)):
        x, _ = ds[i]
        assert x.dtype == np.float32
