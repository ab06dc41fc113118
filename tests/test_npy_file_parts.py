"""Reading an ``.npy`` file of OUT in parts, without mapping it
(:class:`melcli.outdir.NpyFile`): the parts are the array's slices, and a
thumbnail drawn from the file is the one drawn from the array in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from melcli.gallery import CELL_HEIGHT, THUMB_FRAMES, _thumbnail
from melcli.outdir import CutShort, NpyFile, open_npy


def test_thumbnail_read_in_parts_is_the_one_drawn_in_memory(tmp_path: Path) -> None:
    """A long array's thumbnail, read in runs from its file, equals the one drawn
    from the array in memory: the same rows, runs and pooling."""
    rng = np.random.default_rng(3)
    for shape in [(8, THUMB_FRAMES + 5000), (3, 40, 900), (6, 7, THUMB_FRAMES + 1)]:
        S = rng.standard_normal(shape).astype(np.float32)
        path = tmp_path / "S.npy"
        np.save(path, S)
        with open_npy(path) as array:
            from_file = _thumbnail(array)
        assert from_file.shape[0] == CELL_HEIGHT
        np.testing.assert_array_equal(from_file, _thumbnail(S))


def test_npy_file_parts_are_the_array_slices(tmp_path: Path) -> None:
    """``NpyFile.part`` reads ``S.reshape(-1, bands, frames)[lead, bands, a:b]``,
    in C and Fortran order, and ``read`` the whole array."""
    rng = np.random.default_rng(0)
    S = rng.standard_normal((2, 3, 5, 11)).astype(np.float32)
    for order in ("C", "F"):
        path = tmp_path / f"{order}.npy"
        np.save(path, np.asarray(S, order=order))
        with open_npy(path) as array:
            assert isinstance(array, NpyFile)
            assert array.shape == S.shape
            assert array.dtype == S.dtype
            np.testing.assert_array_equal(array.read(), S)
            flat = S.reshape(-1, 5, 11)
            for lead, bands, a, b in [(0, None, 0, 11), (5, [4, 0, 4], 3, 9)]:
                want = flat[lead] if bands is None else flat[lead, bands]
                got = array.part(lead, a, b, bands)
                np.testing.assert_array_equal(got, want[:, a:b])
        with open_npy(path) as array:
            np.save(path, S[:1])  # cut short (rewritten smaller in place)
            with pytest.raises(CutShort, match="cut short while read"):
                array.read()
