"""A mistyped preset is said in one wording, by ``--preset`` and ``presets NAME``.

Session 25's trial: ``--preset wisper`` said ``'wisper' is not one of ...``
and ``melcli presets wisper`` said ``'wisper' is not a preset; the presets
are: ...``, two wordings of one mistake.
"""

from __future__ import annotations

import pytest
from conftest import invoke


def _said(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 2
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Error: Invalid value for ")
    return last.split(": ", 2)[2]  # after the option or argument named


@pytest.mark.parametrize("typo", ["wisper", "WHISPR", "zzzz"])  # WHISPER is whisper
def test_both_say_a_mistyped_preset_in_the_same_words(typo: str) -> None:
    by_option = _said("mel", "a.wav", "-o", "out", "--preset", typo)
    by_name = _said("presets", typo)
    assert by_option == by_name
    assert by_name.startswith(f"{typo!r} is not one of 'whisper', ")
