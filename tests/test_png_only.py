"""An input whose array is up to date and whose PNG is not: only the PNG is
drawn, and the messages, the summary and the manifest say so."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from conftest import mel, tone

from melcli.manifest import MANIFEST_NAME

pytestmark = pytest.mark.usefixtures("isolated")


def entries(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    return {e["key"]: e for e in map(json.loads, lines)}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    root.mkdir()
    for k, name in enumerate("abc"):
        sf.write(root / f"{name}.wav", tone(300.0 + 100 * k), 22050)
    return root


def test_drawing_only_the_pngs_says_so(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    arrays = {n: os.stat(out / f"{n}.npy").st_mtime_ns for n in "abc"}
    before = entries(out)
    sf.write(src / "c.wav", tone(900.0, seconds=0.5), 22050)  # c: rebuilt whole

    result = mel(src, out, "--png", "-v", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"wrote {out / 'a.png'} (its array was up to date)",
        f"wrote {out / 'b.png'} (its array was up to date)",
        f"wrote {out / 'c.npy'}, {out / 'c.png'}",
        "3 written (2 of them only their PNGs).",
    ]
    summary = json.loads(result.stdout)
    assert (summary["written"], summary["png_only"]) == (3, 2)
    after = entries(out)
    for name in "ab":  # the array kept, and recorded as it is; the PNG added
        assert os.stat(out / f"{name}.npy").st_mtime_ns == arrays[name]
        key = f"{name}.npy"
        assert after[key]["stamps"][key] == before[key]["stamps"][key]
        assert after[key]["stamps"][f"{name}.png"] == [
            os.stat(out / f"{name}.png").st_size,
            os.stat(out / f"{name}.png").st_mtime_ns,
        ]
        assert after[key]["status"] == "written"
        assert after[key]["shape"] == before[key]["shape"]
    assert os.stat(out / "c.npy").st_mtime_ns != arrays["c"]

    (out / "a.png").unlink()
    again = mel(src, out, "--png")
    assert again.stderr.splitlines()[-1] == ("1 written (only its PNG), 2 up to date.")


def test_an_array_that_is_not_this_runs_is_written_again_and_said_once(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    # Bytes changed in place, its size and time kept: not an array of this
    # run's (a NaN), so the PNG-only task makes the array again.
    path = out / "a.npy"
    st = os.stat(path)
    array = np.load(path)
    array[0, 0] = np.nan
    buffer = io.BytesIO()
    np.save(buffer, array)
    path.write_bytes(buffer.getvalue())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    result = mel(src, out, "--png", "-v")

    assert result.exit_code == 0, result.stderr
    assert f"wrote {out / 'a.npy'}, {out / 'a.png'}" in result.stderr.splitlines()
    assert result.stderr.splitlines()[-1] == "3 written (2 of them only their PNGs)."
    assert np.isfinite(np.load(path)).all()
