"""Cut files of the formats libsndfile decodes without a word: AVR, VOC, MAT4/5.

libsndfile reports the frames such a file still holds and decodes them as
if the file were whole (AVR's header count is cut down to what is there, a
VOC or MAT block running past the end is read to the end). Each claims its
length in its own bytes, which :mod:`melcli.containers` now reads: a cut
file fails as truncated, also when named ``.wav``, and a whole one (written
by libsndfile, or by sox, whose VOC block lengths are 8 bytes short) is
written. IRCAM, PAF, PVF and XI hold no length at all and are not judged.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import tone

import melcli

pytestmark = pytest.mark.usefixtures("isolated")

CASES = [
    ("AVR", "PCM_16", 1),
    ("AVR", "PCM_S8", 2),
    ("VOC", "PCM_16", 1),
    ("VOC", "ULAW", 2),
    ("MAT4", "PCM_16", 1),
    ("MAT4", "DOUBLE", 2),
    ("MAT5", "PCM_16", 1),
    ("MAT5", "FLOAT", 2),
]


def cut(path: Path, dest: Path, keep: float = 0.6) -> Path:
    data = path.read_bytes()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


@pytest.mark.parametrize(("fmt", "subtype", "channels"), CASES)
def test_a_cut_file_fails_and_the_whole_one_is_written(
    tmp_path: Path, fmt: str, subtype: str, channels: int
) -> None:
    whole = tmp_path / "whole" / f"{fmt.lower()}.wav"  # decoded by content
    whole.parent.mkdir()
    y = tone(440.0, sr=8000, seconds=2.0, channels=channels)
    sf.write(whole, y, 8000, format=fmt, subtype=subtype)
    short = cut(whole, tmp_path / "cut" / "short.wav")
    report = melcli.run([whole, short], tmp_path / "out", jobs=1)
    assert [r.src for r in report.with_status(melcli.Status.WRITTEN)] == [whole]
    (failure,) = report.failures
    assert failure.src == short
    assert failure.reason.startswith("truncated: decoded 1.")
    npys = sorted(p.name for p in (tmp_path / "out").glob("*.npy"))
    assert npys == [f"{fmt.lower()}.npy"]


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_a_whole_voc_from_sox_is_written_and_a_cut_one_fails(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    sf.write(wav, tone(440.0, sr=8000, seconds=2.0), 8000, subtype="PCM_16")
    voc = tmp_path / "whole" / "sox.voc"
    voc.parent.mkdir()
    subprocess.run(["sox", str(wav), str(voc)], check=True)
    short = cut(voc, tmp_path / "cut" / "short.voc")
    report = melcli.run([voc, short], tmp_path / "out", jobs=1)
    assert [r.src for r in report.with_status(melcli.Status.WRITTEN)] == [voc]
    assert [f.reason for f in report.failures] == [
        "truncated: decoded 1.20 s, then the last VOC block is cut off"
    ]


def test_truncated_keep_writes_what_a_cut_mat_file_holds(tmp_path: Path) -> None:
    whole = tmp_path / "a.mat"
    sf.write(whole, tone(440.0, sr=8000, seconds=2.0), 8000, format="MAT5")
    short = cut(whole, tmp_path / "cut" / "a.mat")
    params = melcli.MelParams(truncated="keep")
    report = melcli.run([short], tmp_path / "out", jobs=1, params=params)
    assert report.count(melcli.Status.WRITTEN) == 1
    (written,) = report.with_status(melcli.Status.WRITTEN)
    assert any("kept what was decoded" in w for w in written.warnings)
    assert np.load(tmp_path / "out" / "a.npy").shape[0] == 128
