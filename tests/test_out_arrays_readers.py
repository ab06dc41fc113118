"""Every reader holds an array of OUT to the shape and dtype its entry records.

A run judges an output by its size and time (as make does): an array whose
header was rewritten with both kept is not seen, by design. The data loader
refused such an array; ``melcli stats`` counted it (int32 bit patterns as dB
values, frames and bands swapped) and the gallery drew it as the input's
spectrogram. Now they leave it out too, naming the file (``melcli stats``
with a warning; ``melcli.stats.compute`` of paths or items raises).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import WriteAudio, invoke

from melcli.gallery import build_gallery

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def src(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("dogs/a.wav")
    write_audio("cats/b.wav")
    return tmp_path / "audio"


def as_int32_in_place(path: Path, start: int = 0, size: int | None = None) -> None:
    """Make the npy header at ``start`` of ``path`` say int32, size and mtime kept."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    end = len(data) if size is None else start + size
    header = data.index(b"\n", start) + 1
    assert header <= end
    before = bytes(data[start:header])
    assert b"'<f4'" in before
    data[start:header] = before.replace(b"'<f4'", b"'<i4'")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def entry_of(out: Path, source: str) -> dict:
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return next(e for e in map(json.loads, lines) if e.get("source") == source)


def damage(out: Path, webdataset: bool) -> str:
    """Damage dogs/a's array in place; return the name a message must give."""
    if not webdataset:
        as_int32_in_place(out / "dogs" / "a.npy")
        return "dogs/a.npy"
    entry = entry_of(out, "dogs/a.wav")
    offset, size = entry["members"]["npy"]
    as_int32_in_place(out / entry["shard"], offset, size)
    return f"{entry['shard']}/{entry['sample']}.npy"


FORMATS = {"npy": [], "webdataset": ["--format", "webdataset"]}


@pytest.mark.parametrize("options", FORMATS.values(), ids=FORMATS.keys())
def test_stats_refuses_an_array_changed_in_place(
    src: Path, tmp_path: Path, options: list[str]
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1", *options).exit_code == 0
    assert invoke("stats", out).exit_code == 0
    before = (out / "stats.npz").read_bytes()
    name = damage(out, webdataset=bool(options))
    again = invoke("mel", src, "-o", out, "-j", "1", *options)
    assert again.stderr.splitlines()[-1] == "0 written, 2 up to date."  # by design

    result = invoke("stats", out)

    # Left out, said; the batch goes on (the entry may be the crafted one: a
    # run does not check the shape it records, and must leave OUT readable).
    assert result.exit_code == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "warning" in line]
    assert name in warning
    assert warning.endswith(
        "its manifest entry records: changed since melcli "
        "wrote it (delete it and run 'melcli mel' again); left out"
    )
    assert "from 1 array" in result.stderr
    assert (out / "stats.npz").read_bytes() != before


@pytest.mark.parametrize("options", FORMATS.values(), ids=FORMATS.keys())
def test_the_gallery_does_not_draw_an_array_changed_in_place(
    src: Path, tmp_path: Path, options: list[str]
) -> None:
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1", *options).exit_code == 0
    damage(out, webdataset=bool(options))

    report = build_gallery(out, waveforms=False, jobs=1)

    notes = [n for n in report.notes if "its manifest entry records" in n]
    assert len(notes) == 1
    assert notes[0].startswith("dogs/a.wav: no picture: holds a ")
    assert report.drawn == 1  # cats/b.wav


def test_stats_of_every_kind_of_array_melcli_writes_pass_the_check(
    src: Path, tmp_path: Path
) -> None:
    # The check must not refuse what melcli itself writes.
    for i, options in enumerate(
        [
            ["--dtype", "float16", "--no-mono"],
            ["--segment", "0.3", "--segment-hop", "0.2"],
            ["--segment", "0.3", "--segment-layout", "files"],
            ["--format", "webdataset", "--dtype", "float16"],
            ["--kind", "mfcc", "--n-mfcc", "13"],
        ]
    ):
        out = tmp_path / f"out{i}"
        assert invoke("mel", src, "-o", out, "-j", "1", *options).exit_code == 0
        result = invoke("stats", out)
        assert result.exit_code == 0, (options, result.stderr)
        report = build_gallery(out, waveforms=False, jobs=1)
        assert report.notes == [], options
        assert np.load(out / "stats.npz")["count"] > 0
