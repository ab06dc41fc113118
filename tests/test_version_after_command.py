"""``melcli mel --version`` points to ``melcli --version``.

click answered ``No such option '--version'. (Did you mean one of:
'--duration', '--json', '--verbose'?)``: none of them is what was meant.
"""

from __future__ import annotations

import pytest
from conftest import invoke


@pytest.mark.parametrize("command", ["mel", "info", "stats", "gallery", "merge"])
@pytest.mark.parametrize("option", ["--version", "-V"])
def test_the_version_is_the_group_s(command: str, option: str) -> None:
    result = invoke(command, option)
    assert result.exit_code == 2
    said = result.stderr.splitlines()[-1]
    assert said == (
        f"Error: No such option '{option}' for a command; the version: melcli --version"
    )


def test_other_typos_keep_their_suggestions() -> None:
    result = invoke("mel", "--durat")
    assert "Did you mean one of: '--duration'" in result.stderr
    assert invoke("--version").stdout.startswith("melcli ")
