"""``-o ''`` is refused: ``-o "$OUT"`` with ``OUT`` unset wrote into the current folder.

A path made of an empty name is the current folder to ``pathlib``: the run
wrote its arrays and a manifest there. SRC and ``melcli stats ''`` already
refused it; ``-o`` now does, from the command line and from a config file,
and says how to name the current folder on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

pytestmark = pytest.mark.usefixtures("isolated")  # cwd: tmp_path / "cwd"


def test_an_empty_out_is_a_usage_error(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    cwd = Path.cwd()
    result = invoke("mel", src, "-o", "")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '-o' / '--out': an empty name (for the "
        "current folder, give '.')"
    )
    assert list(cwd.iterdir()) == []


def test_an_empty_out_from_a_config_file_too(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    config = tmp_path / "c.toml"
    config.write_text('out = ""\n')
    result = invoke("mel", src, "--config", config)
    assert result.exit_code == 2
    # (The command names the config file, in melcli.cli.main: not in process.)
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Error: Invalid value for '-o' / '--out'")
    assert last.endswith(": an empty name (for the current folder, give '.')")
    assert list(Path.cwd().iterdir()) == []


def test_the_current_folder_given_as_dot_works(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    result = invoke("mel", src, "-o", ".", "-j", "1")
    assert result.exit_code == 0
    assert (Path.cwd() / "0.npy").is_file()
