"""``melcli info`` agrees with a run on a long FLAC with bytes after its end.

A stream longer than ``audio._FLAC_SETTLE_WHOLE`` samples (~47 s at 44.1
kHz) with a copy of the file's start appended (a download resumed from the
beginning): ``info`` sought to where its walk back from the end said the
frames stopped, and libFLAC's seek landed among the copied frames, so
``info`` failed a whole 60-s file as cut at 7.71 s that a run writes, and
said 7.71 s for one cut at 56.38 s. Decoding from the start, as a run does,
settles both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

from melcli import MelParams, audio

PARAMS = MelParams(sr=None).validate()
SR = 44100
SECONDS = 60


@pytest.fixture(scope="module")
def flac(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("long") / "long.flac"
    sf.write(path, tone(seconds=SECONDS, sr=SR), SR, format="FLAC", subtype="PCM_16")
    assert SECONDS * SR > audio._FLAC_SETTLE_WHOLE
    return path.read_bytes()


def test_a_whole_long_flac_with_its_start_appended_is_whole_in_info(
    tmp_path: Path, flac: bytes
) -> None:
    path = tmp_path / "a.flac"
    path.write_bytes(flac + flac[:100000])
    assert audio.probe(path).frames == SECONDS * SR
    assert audio.load(path, PARAMS).y.shape == (SECONDS * SR,)


def test_a_cut_long_flac_with_its_start_appended_says_where_a_run_stops(
    tmp_path: Path, flac: bytes
) -> None:
    path = tmp_path / "a.flac"
    path.write_bytes(flac[:-50000] + flac[:100000])
    with pytest.raises(
        audio.AudioError, match=r"^corrupt or truncated: decoding"
    ) as run:
        audio.load(path, PARAMS)
    with pytest.raises(audio.AudioError) as info:
        audio.probe(path)
    assert str(info.value) == str(run.value)
    # Cut near its end, not where the appended copy's frames end.
    stopped = float(str(run.value).split("stopped at ")[1].split(" s")[0])
    assert stopped > SECONDS - 5
