"""The gallery looks at nothing outside OUT, a folder swapped after its check too.

The gallery checks each array's name in OUT (:class:`melcli.outdir.OutDir`:
links judged by their text, nothing outside looked at), then opened it from
OUT down. Between the two, it told the gallery's own files from inputs'
arrays by ``os.path.realpath`` of the path: a folder of OUT swapped for a
link out of OUT after the check (another program, a shared folder) had
``realpath`` look up what the link led to, outside OUT. The folder is now
told by itself, opened from OUT down; the arrays are opened so too, and a
swapped one is not drawn. The gallery's own files are still no array.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import invoke, mel, short_tones

from melcli import outdir

pytestmark = pytest.mark.usefixtures("isolated")


def _pages(gallery: Path) -> dict[str, dict[str, object]]:
    items = {}
    for page in sorted((gallery / "data").glob("page-*.js")):
        text = page.read_text()
        found = json.loads(text[text.index("[") : text.rindex("]") + 1])
        items.update({item["n"]: item for item in found})
    return items


def test_a_folder_swapped_after_its_check_is_not_looked_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, looked_up: list[str]
) -> None:
    (tmp_path / "src").mkdir()
    short_tones(tmp_path / "src" / "dogs", 2)
    short_tones(tmp_path / "src" / "cats", 1)
    out = tmp_path / "out"
    assert mel(tmp_path / "src", out).exit_code == 0
    private = tmp_path / "private"  # what the link leads to (looked_up's)
    shutil.copytree(out / "dogs", private / "dogs")
    checked = outdir.OutDir.file

    def file(self: outdir.OutDir, name: object) -> Path | None:
        """Check ``name``; the first of dogs/ found, swap OUT/dogs for a link."""
        found = checked(self, name)
        swap = str(name).startswith("dogs/") and not (out / "dogs").is_symlink()
        if found is not None and swap:
            os.rename(out / "dogs", tmp_path / "moved")
            (out / "dogs").symlink_to(private / "dogs")
        return found

    monkeypatch.setattr(outdir.OutDir, "file", file)
    looked_up.clear()  # (made by this test)
    result = invoke("gallery", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "dogs").is_symlink()  # swapped, as the test meant
    assert looked_up == []
    items = _pages(out / "gallery")
    assert "i" not in items["dogs/0.wav"]  # checked, swapped, not drawn
    assert "i" not in items["dogs/1.wav"]
    assert "i" in items["cats/0.wav"]
