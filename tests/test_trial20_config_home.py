"""A path in a config file may start with ``~``, the home folder, as in a shell.

Seen in a newcomer's trial: ``out = "~/features"`` in ``[tool.melcli]`` of
pyproject.toml wrote into a folder named ``~`` in the current folder (no shell
reads a TOML file), where ``-o ~/features`` on the command line writes into
the home folder. The options that name a file or folder (``out``,
``files-from``, ``root``) now take ``~`` as the shell does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own, holding ``audio/`` (3 tones) and a list."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    short_tones(home / "audio")
    (home / "list.txt").write_text("0.wav\n1.wav\n")
    return home


def test_out_from_a_config_file_starting_with_a_tilde_is_in_the_home_folder(
    home: Path,
) -> None:
    Path("pyproject.toml").write_text('[tool.melcli]\nout = "~/features"\n')
    result = invoke("mel", home / "audio", "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (home / "features").glob("*.npy")) == [
        "0.npy",
        "1.npy",
        "2.npy",
    ]
    assert not Path("~").exists()
    shown = invoke("mel", home / "audio", "--print-config").stdout
    assert f'out = "{home / "features"}"  # config pyproject.toml' in shown


def test_a_list_and_its_root_from_a_config_file_too(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "melcli.toml"
    config.write_text('files-from = "~/list.txt"\nroot = "~/audio"\nout = "out"\n')
    result = invoke("mel", "--config", config, "-j", "1")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in Path("out").glob("*.npy")) == ["0.npy", "1.npy"]


def test_a_tilde_elsewhere_in_a_path_is_a_name_as_ever(home: Path) -> None:
    Path("pyproject.toml").write_text('[tool.melcli]\nout = "a~/features"\n')
    assert invoke("mel", home / "audio", "-j", "1").exit_code == 0
    assert len(list(Path("a~/features").glob("*.npy"))) == 3
