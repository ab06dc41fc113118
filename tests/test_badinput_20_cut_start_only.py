"""A cut file fails when only its start is read, or an offset lies past its cut.

- A FLAC cut inside its frames, read only at its start (``--duration``, a clip of
  a long file), was written, recorded with the length its STREAMINFO
  claims, while ``melcli info`` failed it: its last frame tells the cut
  without decoding to it, as ``info`` reads it.
- An ``--offset`` past the end of what a cut file holds said ``offset=0.3 s is
  past the end of the file (0.19 s)`` of a file whose header gives 0.60 s;
  in a cut FLAC, libFLAC's seek failed: ``... (internal psf_fseek() failed)``.
  The cut is the reason, said as ``melcli info`` says it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli


def written(tmp_path: Path, fmt: str, cut: float) -> Path:
    """A 1-s 8 kHz file of ``fmt`` cut to ``cut`` of its bytes."""
    path = tmp_path / f"x.{fmt.lower()}"
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 8000)
    sf.write(path, noise, 8000, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    return path


@pytest.mark.parametrize(
    "settings",
    [{"duration": 0.1}, {"duration": 0.5}, {"offset": 0.05, "duration": 0.1}],
)
def test_flac_cut_in_its_frames_fails_when_its_start_is_read(
    tmp_path: Path, settings: dict[str, float]
) -> None:
    path = written(tmp_path, "FLAC", 0.6)
    with pytest.raises(audio.AudioError) as said:
        audio.probe(path)
    assert str(said.value).startswith("corrupt or truncated: decoding stopped at 0.")
    params = MelParams(**settings).validate()  # type: ignore[arg-type]
    with pytest.raises(audio.AudioError) as run:
        audio.load(path, params)
    assert str(run.value) == str(said.value)


def test_flac_cut_read_at_its_start_on_the_command_line(tmp_path: Path) -> None:
    path = written(tmp_path, "FLAC", 0.6)
    out = tmp_path / "out"
    args = ["mel", str(path), "-o", str(out), "-j", "1", "--duration", "0.1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "corrupt or truncated: decoding stopped at" in result.stderr
    assert not list(out.glob("*.npy"))
    kept = CliRunner().invoke(cli, [*args, "--truncated", "keep", "--force"])
    assert kept.exit_code == 0, kept.stderr
    assert "kept what was decoded" in kept.stderr


@pytest.mark.parametrize("fmt", ["WAV", "AIFF", "FLAC"])
def test_offset_past_the_cut(tmp_path: Path, fmt: str) -> None:
    path = written(tmp_path, fmt, 0.3)
    with pytest.raises(audio.AudioError) as said:
        audio.probe(path)
    params = MelParams(offset=0.6).validate()
    with pytest.raises(audio.AudioError) as run:
        audio.load(path, params)
    assert str(run.value) == str(said.value)
    assert "past the end" not in str(run.value)
    assert "psf_fseek" not in str(run.value)
    keep = MelParams(offset=0.6, truncated="keep").validate()
    with pytest.raises(audio.AudioError):  # nothing after the offset to keep
        audio.load(path, keep)
