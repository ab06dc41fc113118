"""A crafted entry cannot make ``--prune`` delete another input's array (segment name).

An entry may record its segment files (``--segment-layout files``):
``dogs/a.000.npy`` records ``dogs/a.001.npy``, ``dogs/a.002.npy``, ... But
``dogs/a.001.npy`` is also the array of an input ``dogs/a.001.wav``, under
its own entry. A crafted entry of a gone input ``dogs/a.wav`` (named after
it, so trusted as stale) recording that name made ``--prune`` delete the
live input's array, both when the run took that input (its array then
missing though its entry said up to date) and when it left it out. A file
that is another entry's output, or one of the run's, is not deleted now.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

from melcli.manifest import MANIFEST_NAME
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


def _out_with_crafted_entry(tmp_path: Path) -> tuple[Path, Path, Path]:
    src = tmp_path / "audio"
    (src / "dogs").mkdir(parents=True)
    (src / "cats").mkdir()
    sf.write(src / "dogs" / "a.001.wav", tone(sr=SR, seconds=0.5), SR)
    sf.write(src / "cats" / "c.wav", tone(sr=SR, seconds=0.5), SR)
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1").exit_code == 0
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    (live,) = [json.loads(line) for line in lines if "a.001" in line]
    victim = out / "dogs" / "a.001.npy"
    gone = src / "dogs" / "a.wav"
    crafted = {
        **live,
        "key": "dogs/a.000.npy",
        "npy": "dogs/a.000.npy",
        "source": "dogs/a.wav",
        "source_path": str(gone),
        "source_abs": str(gone),
        "segments": [0.0, 1.0],
        "stamps": {
            "dogs/a.000.npy": [1, 1],
            "dogs/a.001.npy": live["stamps"][live["key"]],
        },
    }
    lines.append(json.dumps(crafted))
    lines.sort(key=lambda line: json.loads(line)["key"])
    (out / MANIFEST_NAME).write_text("\n".join(lines) + "\n")
    return src, out, victim


@pytest.mark.parametrize("left_out", [False, True])
def test_prune_keeps_a_live_inputs_array_named_by_a_crafted_entry(
    tmp_path: Path, left_out: bool
) -> None:
    src, out, victim = _out_with_crafted_entry(tmp_path)
    array = victim.read_bytes()
    include = ("--include", "cats/*") if left_out else ()
    options = ("mel", src, "-o", out, "-j", "1", "--prune", *include)

    planned = invoke(*options, "--dry-run")
    result = invoke(*options)

    assert str(victim) not in planned.stdout
    assert result.exit_code == 0, result.stderr
    assert victim.read_bytes() == array
    again = invoke("mel", src, "-o", out, "-j", "1", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["written"] == 0  # nothing was lost
