"""``--ext ''`` is refused: it took no file, and the run "succeeded".

``--ext "$EXTS"`` with ``EXTS`` unset passed every file over: ``0 written, 3
skipped.``, exit 0. A value that names no extension is now a usage error, in
every command that takes ``--ext``, from the command line or a config file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize("value", ["", ",", " , .", "."])
@pytest.mark.parametrize("command", ["mel", "info", "merge"])
def test_an_ext_naming_nothing_is_a_usage_error(
    tmp_path: Path, value: str, command: str
) -> None:
    src = short_tones(tmp_path / "audio", 2)
    out = tmp_path / "out"
    args = {
        "mel": ["mel", src, "-o", out],
        "info": ["info", src],
        "merge": ["merge", tmp_path, src],
    }[command]
    result = invoke(*args, "--ext", value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--ext': {value!r} names no extension (such "
        "as --ext wav,flac)"
    )
    assert not out.exists()


def test_from_a_config_file_too(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    config = tmp_path / "c.toml"
    config.write_text('ext = ["wav", ""]\n')
    result = invoke("mel", src, "-o", tmp_path / "out", "--config", config)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].endswith(
        ": '' names no extension (such as --ext wav,flac)"
    )


@pytest.mark.parametrize("value", ["wav", ".WAV", "flac, wav", "wav,"])
def test_an_ext_naming_one_works(tmp_path: Path, value: str) -> None:
    src = short_tones(tmp_path / "audio", 2)
    result = invoke("mel", src, "-o", tmp_path / "out", "-j", "1", "--ext", value)
    assert result.exit_code == 0
    assert result.stderr == "2 written.\n"
