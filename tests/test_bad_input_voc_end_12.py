"""A VOC file cut in its last bytes fails as cut, in a run and in ``info``.

libsndfile reads a VOC's first sound block to the end of the file, less one
byte for the terminator, whatever the block lengths say (sox's are 8 bytes
short), and only logs "seems truncated" once a block runs past the end. A
file cut by a byte or two was decoded one sample short and written as whole.
The file must end with its terminator byte after whole sample frames; an
8-bit one so cut, which libsndfile refuses to open ("incompatible VOC
sections"), is said as cut too. A whole 8-bit one is decoded without the
terminator, which libsndfile took for one more sample (u-law 0: a click).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli

pytestmark = pytest.mark.usefixtures("isolated")


def _sox_voc(tmp_path: Path, *options: str) -> Path:
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed (make tools installs it)")
    wav = tmp_path / "tone.wav"
    sf.write(wav, tone(440.0, sr=8000, seconds=1.0), 8000, subtype="PCM_16")
    voc = tmp_path / "whole.voc"
    subprocess.run(["sox", "-R", str(wav), *options, str(voc)], check=True)
    return voc


def _libsndfile_voc(tmp_path: Path, subtype: str, channels: int) -> Path:
    voc = tmp_path / "whole.voc"
    y = tone(440.0, sr=8000, seconds=1.0, channels=channels)
    sf.write(voc, y, 8000, format="VOC", subtype=subtype)
    return voc


MAKERS = {
    "sox 16-bit": lambda p: _sox_voc(p),
    "sox 8-bit": lambda p: _sox_voc(p, "-b", "8", "-e", "unsigned"),
    "libsndfile 16-bit stereo": lambda p: _libsndfile_voc(p, "PCM_16", 2),
    "libsndfile u-law": lambda p: _libsndfile_voc(p, "ULAW", 1),
    "libsndfile 8-bit": lambda p: _libsndfile_voc(p, "PCM_U8", 1),
}


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_a_voc_cut_in_its_last_bytes_fails_and_the_whole_one_is_written(
    tmp_path: Path, maker: str
) -> None:
    whole = MAKERS[maker](tmp_path)
    data = whole.read_bytes()
    cuts = [tmp_path / f"short{n:02}.voc" for n in range(1, 13)]
    for n, cut in enumerate(cuts, 1):
        cut.write_bytes(data[:-n])
    report = melcli.run([whole, *cuts], tmp_path / "out", jobs=1)
    assert [r.src for r in report.with_status(melcli.Status.WRITTEN)] == [whole]
    assert len(report.failures) == 12
    for failure in report.failures:
        assert failure.reason.startswith("truncated: decoded "), failure.reason
        assert failure.reason.endswith("then the last VOC block is cut off")
        with pytest.raises(melcli.AudioError, match="the last VOC block is cut off"):
            melcli.probe(failure.src)
    assert melcli.probe(whole).frames == 8000
