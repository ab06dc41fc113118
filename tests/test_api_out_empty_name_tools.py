"""``write_stats("")``, ``build_gallery("")`` and ``merge("")`` are refused.

The command refuses ``melcli stats ''`` (and gallery, merge); the API took
the empty name for the current folder, and wrote ``stats.npz`` or a gallery
there when it held a run's outputs (``melcli.write_stats(os.environ.get("OUT",
""))`` with ``OUT`` unset). As ``melcli.run``: a ParameterError naming out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import mel, short_tones

import melcli
from melcli import ParameterError

pytestmark = pytest.mark.usefixtures("isolated")  # cwd: tmp_path / "cwd"


@pytest.mark.parametrize(
    "call", [melcli.write_stats, melcli.build_gallery, melcli.merge]
)
def test_an_empty_out_is_refused(tmp_path: Path, call: Callable[[str], object]) -> None:
    src = short_tones(tmp_path / "audio", 2)
    assert mel(src, Path(".")).exit_code == 0  # a run's outputs in the cwd
    before = sorted(p.name for p in Path.cwd().iterdir())
    with pytest.raises(ParameterError) as caught:
        call("")
    assert caught.value.param == "out"
    assert str(caught.value) == (
        "out='' is an empty name (for the current folder, give '.')"
    )
    assert sorted(p.name for p in Path.cwd().iterdir()) == before
