"""An ALAC CAF cut inside its packet table, after its audio, fails as cut.

ffmpeg writes a CAF's packet table (``pakt``) after its audio data. One cut
in its last byte or two decoded through ffmpeg without a word (written as
whole) or stopped with "Input/output error" at 1.30 s, while ``melcli info``
listed it either way. Its chunks are now walked as a CAF that libsndfile
reads is: ``truncated: decoded 1.50 s, then the file ends inside its 'pakt'
chunk, after its audio data``, in ``info`` too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input_caf_codecs import encode, needs_ffmpeg
from test_bad_input_caf_codecs import wav as wav  # the fixture

import melcli

pytestmark = [pytest.mark.usefixtures("isolated"), needs_ffmpeg]

SAID = "the file ends inside its 'pakt' chunk, after its audio data"


def test_an_alac_caf_cut_in_its_packet_table_fails(
    wav: Path,
    tmp_path: Path,
) -> None:
    whole = encode(wav, tmp_path / "whole.caf", "alac")
    data = whole.read_bytes()
    assert data.rindex(b"pakt") > data.index(b"data")  # the table after the audio
    cuts = tmp_path / "cuts"
    cuts.mkdir()
    for n in (1, 2, 9):
        (cuts / f"short{n}.caf").write_bytes(data[:-n])
    inventory = melcli.info(cuts)
    assert inventory.rows == []
    for _, said in inventory.failures:  # ffprobe reads none of the last
        assert said in (f"truncated: {SAID}", f"truncated: decoded 0.00 s, then {SAID}")
    assert len(inventory.failures) == 3
    report = melcli.run(cuts, tmp_path / "out", jobs=1)
    assert len(report.failures) == 3
    for failure in report.failures:
        assert failure.reason.startswith("truncated: "), failure.reason
        assert SAID in failure.reason, failure.reason
    assert melcli.run(whole, tmp_path / "out2", jobs=1).failures == []
    assert melcli.info(whole).failures == []
