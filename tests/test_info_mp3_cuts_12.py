"""``melcli info`` fails a cut MP3 as a run does, and says no length it did not see.

A free-format MP3 (``lame --freeformat``: no bitrate in its headers) with an
Info frame first was listed by ``info`` at its Info frame's length however
it was cut: libmpg123's count is that frame's, and the walk of its frames
(which ``info`` and a run both make) was skipped when the frame was there.
A run failed it once decoded (``truncated: decoded 0.34 s of 1.50 s``).
Its frames are now walked too, and compared with the count the Info frame
lists. And ``info`` said a cut MP3 "decoded 1.50 s", the header's length,
of a file that holds a fraction of it: it decodes nothing, and says the
cut alone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli

pytestmark = [
    pytest.mark.usefixtures("isolated"),
    pytest.mark.skipif(shutil.which("lame") is None, reason="lame is not installed"),
]


def _lame(tmp_path: Path, *options: str) -> bytes:
    wav = tmp_path / "tone.wav"
    sf.write(wav, tone(440.0, sr=44100, seconds=1.5), 44100, subtype="PCM_16")
    mp3 = tmp_path / "whole.mp3"
    subprocess.run(["lame", "--quiet", *options, str(wav), str(mp3)], check=True)
    wav.unlink()
    return mp3.read_bytes()


@pytest.mark.parametrize(
    "options", [("--freeformat", "-b", "320"), ("-V", "2"), ("-b", "128")]
)
def test_a_cut_mp3_fails_in_info_as_in_a_run(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    data = _lame(tmp_path, *options)
    cuts = tmp_path / "cuts"
    cuts.mkdir()
    sizes = sorted({len(data) * k // 10 for k in range(2, 10)} | {len(data) - 7})
    for size in sizes:
        (cuts / f"cut{size:06}.mp3").write_bytes(data[:size])
    inventory = melcli.info(cuts)
    assert inventory.rows == []
    report = melcli.run(cuts, tmp_path / "out", jobs=1)
    assert len(report.failures) == len(sizes)
    for path, said in inventory.failures:
        assert said.startswith("truncated: "), (path, said)
        # Nothing decoded, nothing said of what would: not the header's 1.50 s.
        assert "decoded 1.5" not in said, (path, said)
    whole = tmp_path / "whole.mp3"
    assert melcli.info(whole).failures == []
    assert melcli.run(whole, tmp_path / "out2", jobs=1).failures == []
