"""A MIDI Sample Dump (SDS) cut short fails as cut; libsndfile's prints stay off stdout.

libsndfile takes an SDS file's length from its header and decodes a data
packet that is cut short, or missing, as zeros: a cut file was written whole,
its end silent. Its SDS reader also ``printf``s ``Error A : 00`` to stdout on
a file that holds no packet, which broke the JSON lines of ``melcli info``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from melcli import MelParams, audio

SR = 8000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
#: An SDS file: a 21-byte header message, then 127-byte data packets.
HEADER, PACKET = 21, 127


def tone(n: int = SR) -> np.ndarray:
    t = np.arange(n) / SR
    return (0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.1).astype(np.float32)


@pytest.fixture(params=["PCM_S8", "PCM_16", "PCM_24"])
def sds(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "whole.sds"
    sf.write(path, tone(), SR, format="SDS", subtype=request.param)
    return path


def decode(path: Path, params: MelParams) -> tuple[np.ndarray, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave = audio.load(path, params)
    return wave.y, [str(w.message) for w in caught]


def test_a_whole_sds_file_is_written_whole(sds: Path) -> None:
    y, _ = decode(sds, FAIL)
    assert len(y) == SR


def test_an_sds_file_cut_anywhere_in_its_packets_fails_and_keeps_only_whole_ones(
    sds: Path, tmp_path: Path
) -> None:
    data = sds.read_bytes()
    whole, _ = decode(sds, FAIL)
    size = len(data)
    assert (size - HEADER) % PACKET == 0
    # Every byte of the last two packets, and a few cuts earlier on.
    cuts = [*range(size - 2 * PACKET, size), size // 2 + 3, HEADER + PACKET + 1]
    for at in cuts:
        cut = tmp_path / f"cut{at}.sds"
        cut.write_bytes(data[:at])
        with pytest.raises(audio.AudioError, match=r"^truncated: decoded \d") as e:
            decode(cut, FAIL)
        assert "of 1.00 s" in str(e.value), (at, str(e.value))
        kept, said = decode(cut, KEEP)
        assert len(kept) < SR, at
        assert any("kept what was decoded" in m for m in said), (at, said)
        # What is kept is audio the file holds, never the decoder's zeros.
        np.testing.assert_array_equal(kept, whole[: len(kept)])
        assert kept[-1] != 0.0, at


def test_an_sds_file_cut_before_its_first_packet_fails_with_keep_too(
    sds: Path, tmp_path: Path
) -> None:
    data = sds.read_bytes()
    for at in (4, 12, HEADER - 1, HEADER, HEADER + 1, HEADER + PACKET - 1):
        cut = tmp_path / f"cut{at}.sds"
        cut.write_bytes(data[:at])
        for params in (FAIL, KEEP):
            with pytest.raises(audio.AudioError, match=r"^truncated: decoded 0\.00 s"):
                decode(cut, params)
        if at < HEADER:
            with pytest.raises(audio.AudioError, match="MIDI Sample Dump header"):
                decode(cut, FAIL)


def run_melcli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(
        [sys.executable, "-m", "melcli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_what_libsndfile_prints_on_stdout_is_not_in_melclis_stdout(
    tmp_path: Path,
) -> None:
    sf.write(tmp_path / "whole.sds", tone(), SR, format="SDS", subtype="PCM_16")
    data = (tmp_path / "whole.sds").read_bytes()
    for at in (15, HEADER, HEADER + 1):
        (tmp_path / f"cut{at}.sds").write_bytes(data[:at])
    names = sorted(p.name for p in tmp_path.glob("*.sds"))
    shown = run_melcli("info", "--json", *names, cwd=tmp_path)
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    # The cut ones fail in info as in a run (their headers say they are cut).
    assert [r["path"] for r in rows if isinstance(r, dict)] == ["whole.sds"]
    for name in names[:-1]:
        assert f"error: {name}: truncated: decoded 0.00 s" in shown.stderr
    built = run_melcli("mel", "-j", "1", "--json", *names, "-o", "out", cwd=tmp_path)
    summary = json.loads(built.stdout)
    assert summary["written"] == 1, built.stdout
    assert summary["failed"] == 3, built.stdout
    assert "Error A" not in built.stdout + shown.stdout
