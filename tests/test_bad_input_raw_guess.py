"""Audio is recognised by its content, never guessed from its name.

libsndfile reads a file it does not recognise as headerless 8 kHz µ-law when
its name ends in ``.au`` or ``.snd`` (both default extensions): an HTML page
or random bytes named ``x.au`` were decoded as noise (and failed as
"truncated", or were written with ``--truncated keep``). soundfile refuses a
name ending in ``.raw`` without a sample rate: ``melcli info x.raw`` ended in
a traceback, ``melcli mel`` failed with ``TypeError: samplerate must be
specified``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from melcli import MelParams, audio
from melcli.cli import cli

SR = 8000
FAIL = MelParams(sr=None).validate()
KEEP = MelParams(sr=None, truncated="keep").validate()
NOT_AUDIO = "not an audio file (format not recognised)"
HTML = b"<html><body>404 Not Found</body></html>\n" * 40


@pytest.mark.parametrize("ext", ["au", "snd", "AU", "vox", "gsm", "raw", "RAW"])
@pytest.mark.parametrize("content", [HTML, bytes(range(256)) * 8, b"x"])
def test_junk_named_like_headerless_audio_is_not_audio(
    ext: str, content: bytes, tmp_path: Path
) -> None:
    path = tmp_path / f"page.{ext}"
    path.write_bytes(content)
    for params in (FAIL, KEEP):
        with pytest.raises(audio.AudioError) as failed:
            audio.load(path, params)
        assert str(failed.value) == NOT_AUDIO
    with pytest.raises(audio.AudioError) as failed:
        audio.probe(path)
    assert str(failed.value) == NOT_AUDIO


def test_real_audio_under_those_names_is_read_by_its_content(tmp_path: Path) -> None:
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    sf.write(tmp_path / "real.au", y, SR, format="AU", subtype="PCM_16")
    sf.write(tmp_path / "wav.raw", y, SR, format="WAV", subtype="PCM_16")
    sf.write(tmp_path / "flac.snd", y, SR, format="FLAC", subtype="PCM_16")
    for name in ("real.au", "wav.raw", "flac.snd"):
        wave = audio.load(tmp_path / name, FAIL)
        assert wave.y.shape == (SR,), name
        np.testing.assert_allclose(wave.y, y, atol=1e-4)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_an_m4a_named_au_goes_to_ffmpeg(tmp_path: Path) -> None:
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=d=1"),
            *("-c:a", "aac", "-f", "mp4", str(tmp_path / "aac.au")),
        ],
        check=True,
    )
    assert audio.probe(tmp_path / "aac.au").format == "MP4"


def test_the_command_names_the_file_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "page.au").write_bytes(HTML)
    (tmp_path / "x.raw").write_bytes(HTML)
    sf.write(tmp_path / "good.wav", np.zeros(SR, np.float32) + 0.1, SR)
    runner = CliRunner()
    shown = runner.invoke(cli, ["info", str(tmp_path / "x.raw"), str(tmp_path)])
    assert shown.exit_code == 1, shown.output
    assert shown.exception is None or isinstance(shown.exception, SystemExit)
    assert f"error: {tmp_path / 'x.raw'}: {NOT_AUDIO}" in shown.stderr
    assert f"error: {tmp_path / 'page.au'}: {NOT_AUDIO}" in shown.stderr
    assert "good.wav" in shown.stdout
    built = runner.invoke(
        cli, ["mel", str(tmp_path / "x.raw"), "-o", str(tmp_path / "out")]
    )
    assert built.exit_code == 1, built.output
    assert f"{NOT_AUDIO}" in built.stderr
    assert "TypeError" not in built.stderr
