"""What a notebook shows for ``melcli.write_stats(OUT)``: one short line.

The dataclass's own repr printed every band's four values and every array's
path (some 60 kB for ESC-50's 2000 files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from melcli.stats import compute


def test_the_repr_says_bands_frames_and_arrays_in_one_line(tmp_path: Path) -> None:
    paths = []
    for k in range(50):
        path = tmp_path / f"clip_with_a_long_name_{k:03d}.npy"
        np.save(path, np.full((64, 7), float(k), dtype=np.float32))
        paths.append(path)
    stats = compute(paths)
    text = repr(stats)
    assert text == "DatasetStats(64 bands, 350 frames from 50 arrays, settings=None)"
