"""An unknown config key spelled with underscores gets the same hint as one
spelled with dashes: both spellings are keys (``n_mels`` and ``n-mels``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from melcli.cli import cli


@pytest.mark.parametrize(
    ("key", "hint"),
    [("n_mel", "n-mels"), ("n-mel", "n-mels"), ("hop_lenth", "hop-length")],
)
def test_an_unknown_key_with_underscores_suggests_the_closest(
    tmp_path: Path, key: str, hint: str
) -> None:
    config = tmp_path / "melcli.toml"
    config.write_text(f"{key} = 64\n")
    result = CliRunner().invoke(
        cli,
        ["mel", str(tmp_path), "-o", str(tmp_path / "out"), "--config", str(config)],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--config': unknown key {key!r} in {config} "
        f"(did you mean {hint!r}?)"
    )
