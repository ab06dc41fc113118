"""``--root`` or ``--path-column`` without ``--files-from`` names the one given."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import WriteAudio, invoke


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (["--root", "."], "'--root'"),
        (["--path-column", "filename"], "'--path-column'"),
        (["--root", ".", "--path-column", "filename"], "'--path-column' / '--root'"),
    ],
)
def test_a_list_option_without_a_list_is_named(
    write_audio: WriteAudio, tmp_path: Path, given: list[str], hint: str
) -> None:
    write_audio("a.wav")
    for command in (["mel", "-o", tmp_path / "out"], ["info"]):
        result = invoke(*command, tmp_path / "audio", *given)
        assert result.exit_code == 2
        assert result.stderr.splitlines()[-1] == (
            f"Error: Invalid value for {hint}: needs --files-from"
        )
    assert not (tmp_path / "out").exists()
