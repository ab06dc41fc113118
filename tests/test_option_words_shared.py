"""``--seed`` and ``--min-duration`` are refused in the library's words.

Their click ranges said ``-1.0 is not in the range x>=0.`` where
``MelParams(min_duration=-1).validate()`` (and so ``melcli.run``) says
``min_duration=-1 must not be negative``: one check now, in the library,
spelled as options by the command, as for every other setting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

from melcli import MelParams, ParameterError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    ("option", "value", "field", "words"),
    [
        ("--min-duration", "-1", "min_duration", "must not be negative"),
        ("--min-duration", "nan", "min_duration", "must be a finite number"),
        ("--seed", "-1", "seed", "must be a non-negative integer"),
    ],
)
def test_the_command_and_the_library_say_the_same(
    tmp_path: Path, option: str, value: str, field: str, words: str
) -> None:
    src = short_tones(tmp_path / "audio", 1)
    typed = float(value) if field == "min_duration" else int(value)
    with pytest.raises(ParameterError) as caught:
        MelParams(**{field: typed}).validate()  # type: ignore[arg-type]
    assert caught.value.param == field
    assert words in str(caught.value)
    result = invoke("mel", src, "-o", tmp_path / "out", option, value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '{option}': {option} {value} {words}"
    )
    assert not (tmp_path / "out").exists()
