"""Two option errors that did not say what to give.

``--files-from "$LIST"`` with ``LIST`` unset is ``--files-from ''``, which
said ``cannot read : no such file or directory`` (an empty name between
``read`` and ``:``); it now says the name is empty and what to give, in the
command and in ``melcli.run``. ``--segment-hop`` without ``--segment`` said
``needs segment to be set``, the API's name for the option.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import melcli
from melcli.cli import cli

EMPTY = "the list's name is empty (give a file, or - for standard input)"


@pytest.mark.parametrize("command", ["mel", "info"])
def test_an_empty_list_name_is_said_as_empty(tmp_path: Path, command: str) -> None:
    args = [command, "--files-from", ""]
    args += ["-o", str(tmp_path / "out")] if command == "mel" else []
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.endswith(f"Invalid value for '--files-from': {EMPTY}\n")
    assert not (tmp_path / "out").exists()


def test_the_api_says_it_too(tmp_path: Path) -> None:
    with pytest.raises(melcli.UsageError, match=r"^the list's name is empty \("):
        melcli.run([], tmp_path / "out", files_from="")


def test_a_segment_hop_without_segments_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    args = ["mel", str(tmp_path / "a.wav"), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, [*args, "--segment-hop", "0.5"])
    assert result.exit_code == 2
    assert "--segment-hop 0.5 needs a segment length too: no --segment" in (
        result.stderr
    )
    assert "needs segment " not in result.stderr
