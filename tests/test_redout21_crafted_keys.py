"""A crafted entry whose key is no array's name cannot make ``--prune`` delete it.

``stamps`` may name only the entry's own outputs, judged by its ``key``; but
the key itself could be any name in OUT: ``cats/c.png`` (another input's
PNG), ``manifest.jsonl``. Such an entry of a live input left out of the
run, "made with other settings", was pruned by ``--prune``, deleting that
file. A key names an array now (``NAME.npy``, or ``src:PATH``); another
entry is dropped as invalid when read, its file kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, tone

from melcli.manifest import MANIFEST_NAME, entry_problem
from melcli.manifest_db import STORE_NAME

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


@pytest.mark.parametrize("victim", ["cats/c.png", "dogs/a.png", "dogs/a.npy.png"])
def test_prune_of_other_settings_keeps_a_file_a_crafted_key_names(
    tmp_path: Path, victim: str
) -> None:
    src = tmp_path / "audio"
    (src / "dogs").mkdir(parents=True)
    (src / "cats").mkdir()
    for name in ("dogs/a", "cats/c"):
        sf.write(src / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1", "--png").exit_code == 0
    if not (out / victim).exists():
        (out / victim).write_bytes(b"a file of OUT")
    kept = (out / victim).read_bytes()
    (out / STORE_NAME).unlink()  # manifest.jsonl is read
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    (real,) = [json.loads(line) for line in lines if '"dogs/a.npy"' in line]
    st = (out / victim).stat()
    crafted = {**real, "key": victim, "npy": victim, "settings": "other"}
    crafted.pop("png", None)
    crafted["stamps"] = {victim: [st.st_size, st.st_mtime_ns]}
    lines.append(json.dumps(crafted))
    lines.sort(key=lambda line: json.loads(line)["key"])
    (out / MANIFEST_NAME).write_text("\n".join(lines) + "\n")
    options = ("mel", src, "-o", out, "-j", "1", "--prune", "--include", "cats/*")

    planned = invoke(*options, "--dry-run")
    result = invoke(*options)

    assert str(out / victim) not in planned.stdout
    assert result.exit_code == 0, result.stderr
    assert (out / victim).read_bytes() == kept


@pytest.mark.parametrize(
    "key", ["manifest.jsonl", ".melcli-manifest.db", "a.png", "a.npy/b", "a.npz"]
)
def test_a_key_that_names_no_array_is_invalid(key: str) -> None:
    assert entry_problem({"key": key, "status": "failed"}) == "key"


@pytest.mark.parametrize("key", ["a.npy", "dogs/a.000.npy", "src:dogs/a.wav"])
def test_an_arrays_key_is_valid(key: str) -> None:
    assert entry_problem({"key": key, "status": "failed"}) is None
