"""The command's own inputs, crafted: a config file nested deeper than tomllib goes.

tomllib parses arrays and inline tables recursively: a ``pyproject.toml`` in
the current folder holding ``[[[...]]]`` 5000 deep ended every command in a
RecursionError traceback, before any option was read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, two_classes

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    "value", ["[" * 5000 + "]" * 5000, "{a = " * 5000 + "1" + "}" * 5000]
)
def test_a_config_nested_too_deep_is_a_usage_error(tmp_path: Path, value: str) -> None:
    src = two_classes(tmp_path / "src")
    Path("pyproject.toml").write_text(f"[tool.melcli]\nn_mels = {value}\n")

    result = invoke("mel", src, "-o", tmp_path / "out")

    assert result.exit_code == 2, result.stderr
    assert "pyproject.toml: nested too deep to read" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_list_whose_files_are_there_does_not_blame_the_root(tmp_path: Path) -> None:
    """A file listed twice with two labels fails; the warning that no listed
    file was found (the wrong --root) was printed too, and was false."""
    src = two_classes(tmp_path / "src")
    listing = src / "meta.csv"
    listing.write_text("path,label\ndogs/a.wav,dog\ndogs/a.wav,cat\nnone.wav,x\n")

    result = invoke("mel", "--files-from", listing, "-o", tmp_path / "out")

    assert result.exit_code == 1
    assert "listed 2 times" in result.stderr
    assert "no file listed" not in result.stderr

    listing.write_text("path,label\nnone.wav,x\n")  # nothing there: then it helps
    result = invoke("mel", "--files-from", listing, "-o", tmp_path / "out")
    assert f"no file listed in {listing} was found" in result.stderr
