"""``SpectrogramDataset`` over large arrays: with ``frames``, ``ds[i]`` reads the
window it keeps, not the whole array, and gives the same ``x``.

An array of more than ``_READ_WHOLE`` bytes (an hour-long input's is some
80 MB) was memory-mapped and copied whole for each item, to keep 216 frames of
it; it is now read in that window only (``NpyFile.part``): memory bounded by
``frames``, whatever the array's length.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RUN_LIMIT, clean_env, invoke, mel, tone

from melcli.outdir import _READ_WHOLE

pytestmark = pytest.mark.usefixtures("isolated")

#: Settings that make a 40-s input's array (128, 40001) float32: 20 MB.
LARGE = ("--sr", "8000", "--hop-length", "8", "--n-fft", "512")
FRAMES = 216


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of one run over ``dogs/a.wav`` (a glide: no two frames alike), stats."""
    root = tmp_path_factory.mktemp("large")
    (root / "src" / "dogs").mkdir(parents=True)
    t = np.arange(8000 * 40) / 8000
    y = 0.5 * np.sin(2 * np.pi * (200 + 20 * t) * t) + tone(seconds=40.0, sr=8000) / 4
    sf.write(root / "src" / "dogs" / "a.wav", y.astype(np.float32), 8000)
    assert mel(root / "src", root / "out", *LARGE).exit_code == 0
    assert invoke("stats", root / "out").exit_code == 0
    assert (root / "out" / "dogs" / "a.npy").stat().st_size > _READ_WHOLE
    return root / "out"


#: Reads ``ds[0]`` three times in a child Python, peak memory reset before
#: (Linux's ``clear_refs``); saves the three ``x`` to ``argv[2]`` and prints
#: how many bytes the peak grew by.
CHILD = """
import sys
import numpy as np
from melcli.data import SpectrogramDataset
def kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field))
crop, normalize = sys.argv[3], sys.argv[4] == "True"
ds = SpectrogramDataset(sys.argv[1], frames=216, crop=crop, seed=5, normalize=normalize)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak (VmHWM) is now the current resident size
before = kib("VmRSS:")
xs = [ds[0][0] for _ in range(3)]
grown = (kib("VmHWM:") - before) * 1024
np.save(sys.argv[2], np.stack(xs))
print(grown)
"""


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("crop", ["start", "center", "random"])
def test_window_read(out: Path, tmp_path: Path, crop: str, normalize: bool) -> None:
    """``x`` is the window of the whole array ``_fit`` cut (normalised or not),
    and reading it grows the peak memory by far less than the array (a map
    and a whole copy grew it by 40 MB, a whole read by 20 MB)."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("no /proc/self/clear_refs to reset the peak memory with")
    got = tmp_path / "x.npy"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(got), crop, str(normalize)],
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        env=clean_env(),
        check=False,
    )
    assert child.returncode == 0, child.stderr
    S = np.load(out / "dogs" / "a.npy")
    n = S.shape[-1]
    draws = np.random.default_rng(5)
    mean = std = None
    if normalize:
        with np.load(out / "stats.npz") as stats:
            mean = stats["mean"].astype(np.float32)[:, None]
            std = stats["std"].astype(np.float32)[:, None]
    xs = np.load(got)
    assert xs.dtype == np.float32
    for x in xs:  # a new random window each time, as drawn before
        if crop == "start":
            start = 0
        elif crop == "center":
            start = (n - FRAMES) // 2
        else:
            start = int(draws.integers(0, n - FRAMES + 1))
        want = S[:, start : start + FRAMES]
        if mean is not None and std is not None:
            want = (want - mean) / std
        np.testing.assert_array_equal(x, want)
    grown = int(child.stdout)
    assert grown < S.nbytes // 4, f"peak grew {grown} bytes for a {S.nbytes}-byte array"
