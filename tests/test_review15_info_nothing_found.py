"""``melcli info`` still says ``no audio files found`` beside a pattern hint.

Where nothing at all is found, a run says so after the hint on its
``--include``/``--exclude`` patterns; ``info``, which now gives those hints as
a run does, dropped the line for any hint: ``info empty/ --exclude sub`` (a
folder of empty folders) said only that the pattern names a folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, mel

pytestmark = pytest.mark.usefixtures("isolated")


def _warnings(result: object) -> list[str]:
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    return [line for line in lines if line.startswith("warning:")]


@pytest.mark.parametrize("pattern", [("--exclude", "sub"), ("--include", "sub")])
def test_nothing_found_is_said_with_a_pattern_hint(
    tmp_path: Path, pattern: tuple[str, str]
) -> None:
    src = tmp_path / "empty"
    (src / "sub").mkdir(parents=True)
    result = invoke("info", src, *pattern)
    assert result.exit_code == 0, result.stderr
    said = _warnings(result)
    assert len(said) == 2, said
    assert f"{pattern[0]} 'sub' names a folder" in said[0]
    assert said[1] == "warning: no audio files found"
    # As a run says it.
    run = mel(src, tmp_path / "out", *pattern)
    assert _warnings(run) == said
