"""Every input's manifest entry names its path relative to SRC: those passed
over or failed before any work too, as a written one's does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from conftest import invoke, tone

from melcli.manifest import MANIFEST_NAME

pytestmark = pytest.mark.usefixtures("isolated")


def entries(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    return {e["source_path"]: e for e in map(json.loads, lines)}


def test_skipped_inputs_record_their_path_relative_to_src(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for folder in ("Pirate", "Robot"):
        (data / folder / "sub").mkdir(parents=True)
        sf.write(data / folder / "sub" / "a.wav", tone(), 22050)
        sf.write(data / folder / "sub" / "noisy.wav", tone(), 22050)
        (data / folder / "sub" / "notes.txt").write_text("x")
        (data / folder / ".hidden.wav").write_bytes(b"")
    sf.write(data / "Pirate" / "a.flac", tone(), 22050)
    sf.write(data / "Pirate" / "a.wav", tone(), 22050)  # both: a.npy
    out = tmp_path / "out"
    sources = [data / "Pirate", data / "Robot"]

    result = invoke("mel", *sources, "-o", out, "-j", "1", "--exclude", "*noisy*")

    assert result.exit_code == 1  # the collision
    found = entries(out)
    for folder in ("Pirate", "Robot"):
        shown = f"{data / folder}"
        for rel in ("sub/a.wav", "sub/noisy.wav", "sub/notes.txt", ".hidden.wav"):
            entry = found[f"{shown}/{rel}"]
            assert entry["source"] == f"{folder}/{rel}", entry
    assert found[f"{data}/Pirate/sub/noisy.wav"]["status"] == "skipped"
    assert found[f"{data}/Pirate/a.wav"]["status"] == "failed"
    assert found[f"{data}/Pirate/a.wav"]["source"] == "Pirate/a.wav"
    invoke("mel", *sources, "-o", out, "-j", "1", "--exclude", "*noisy*")
    passed_over = {k: e for k, e in found.items() if e["key"].startswith("src:")}
    assert len(passed_over) == 8  # 3 passed over in each folder, 2 collided
    again = entries(out)
    assert {k: again[k] for k in passed_over} == passed_over  # as they were
