"""``melcli info`` fails a FLAC cut inside its frames, as a run does.

info read a FLAC's STREAMINFO and listed the file at the length it gives,
however the file was cut: a run fails it when decoding reaches the cut
(``flac decoder lost sync``). So too a FLAC whose STREAMINFO announces
more samples than its frames hold (a damaged length: 1521.74 s of a 1.5 s
file). Its last frame tells, without decoding: its header gives its first
sample and its block size, and its last two bytes are a CRC of it: info
says where a run's decoding stops, and why, in a run's words.
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


def _soundfile_flac(path: Path) -> bytes:
    sf.write(path, tone(440.0, sr=44100, seconds=1.5, channels=2), 44100)
    return path.read_bytes()


def _flac_tool(path: Path) -> bytes:
    if shutil.which("flac") is None:
        pytest.skip("flac is not installed (make tools installs it)")
    wav = path.with_suffix(".wav")
    sf.write(wav, tone(440.0, sr=16000, seconds=1.5), 16000, subtype="PCM_24")
    subprocess.run(["flac", "-s", "-f", "-o", str(path), str(wav)], check=True)
    wav.unlink()
    return path.read_bytes()


MAKERS = {"libsndfile": _soundfile_flac, "flac": _flac_tool}


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_a_flac_cut_in_its_frames_fails_in_info_and_in_a_run(
    tmp_path: Path, maker: str
) -> None:
    data = MAKERS[maker](tmp_path / "whole.flac")
    cuts = tmp_path / "cuts"
    cuts.mkdir()
    sizes = {len(data) * k // 10 for k in range(3, 10)}
    sizes |= {len(data) - n for n in (1, 2, 3, 50)}
    for size in sizes:
        (cuts / f"cut{size:07}.flac").write_bytes(data[:size])
    inventory = melcli.info(cuts)
    assert inventory.rows == []
    report = melcli.run(cuts, tmp_path / "out", jobs=1)
    # Word for word, where decoding stops too: the last whole frame's end.
    assert sorted(inventory.failures) == sorted(
        (r.src, r.reason) for r in report.failures
    )
    assert len(report.failures) == len(sizes)
    for _, said in inventory.failures:
        assert said.endswith(" (flac decoder lost sync)"), said
    assert melcli.info(tmp_path / "whole.flac").failures == []


def test_a_flac_whose_streaminfo_claims_more_than_it_holds(tmp_path: Path) -> None:
    data = bytearray(_soundfile_flac(tmp_path / "whole.flac"))
    # STREAMINFO's total samples: the low 36 bits of bytes 18-25.
    bits = int.from_bytes(data[18:26], "big")
    total = bits & ((1 << 36) - 1)
    bits += 1000 * total  # a thousand times the length
    data[18:26] = bits.to_bytes(8, "big")
    path = tmp_path / "long.flac"
    path.write_bytes(bytes(data))
    with pytest.raises(
        melcli.AudioError,
        match=r"^corrupt or truncated: decoding stopped at 1\.50 s of 1501\.50 s "
        r"\(its frames end there\)$",
    ):
        melcli.probe(path)
    (failure,) = melcli.run(path, tmp_path / "out", jobs=1).failures
    assert failure.reason.startswith("corrupt or truncated: decoding stopped at 1.")


def test_a_whole_flac_with_tags_after_its_frames_is_listed(tmp_path: Path) -> None:
    data = _soundfile_flac(tmp_path / "whole.flac")
    path = tmp_path / "tagged.flac"
    path.write_bytes(data + b"TAG" + bytes(125))  # an ID3v1 tag
    assert melcli.probe(path).frames == round(1.5 * 44100)
