"""``SpectrogramDataset`` refuses a keyword of the wrong type by name, as the
rest of the API does, before it reads anything of OUT."""

from __future__ import annotations

from pathlib import Path

import pytest

from melcli.data import SpectrogramDataset
from melcli.errors import ParameterError


@pytest.mark.parametrize(
    ("keywords", "param"),
    [
        ({"frames": 2.5}, "frames"),
        ({"frames": "100"}, "frames"),
        ({"frames": True}, "frames"),
        ({"pad_value": "0"}, "pad_value"),
        ({"pad_value": True}, "pad_value"),
        ({"seed": "1"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"label_column": 3}, "label_column"),
        ({"classes": "dog"}, "classes"),
        ({"classes": [0, 1]}, "classes"),
        ({"normalize": 1}, "normalize"),
    ],
)
def test_a_keyword_of_the_wrong_type_is_refused_by_name(
    tmp_path: Path, keywords: dict[str, object], param: str
) -> None:
    with pytest.raises(ParameterError) as raised:
        SpectrogramDataset(tmp_path, **keywords)  # type: ignore[arg-type]
    assert raised.value.param == param
    assert param in str(raised.value)


@pytest.mark.parametrize("out", [3, None, ""])
def test_an_out_that_is_no_path_is_refused_by_name(out: object) -> None:
    with pytest.raises(ParameterError) as raised:
        SpectrogramDataset(out)  # type: ignore[arg-type]
    assert raised.value.param == "out"
