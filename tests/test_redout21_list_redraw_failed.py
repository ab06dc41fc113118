"""A PNG redraw that fails keeps the up-to-date array, in a ``--files-from`` run too.

OUT is untrusted: a folder planted where ``a.png`` goes makes the PNG of an
up-to-date input fail to draw. Its array is still true, and is kept (``its
earlier output, still up to date, is kept``), as the run of a SRC folder
did. In a run of a file list, the input's stamp was not kept with the task
(a list's jobs carry none), so the failed redraw was judged against no
stamp, taken for an input changed, and the up-to-date array deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from conftest import tone

import melcli

pytestmark = pytest.mark.usefixtures("isolated")

SR = 8000


@pytest.mark.parametrize("listed", [True, False])
def test_a_folder_in_place_of_a_png_keeps_the_up_to_date_array(
    tmp_path: Path, listed: bool
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    for name in ("a", "b"):
        sf.write(audio / f"{name}.wav", tone(sr=SR, seconds=0.5), SR)
    table = tmp_path / "list.csv"
    table.write_text("path\na.wav\nb.wav\n")
    out = tmp_path / "out"
    run: dict[str, object] = {"jobs": 1}
    if listed:
        run.update(files_from=table, root=audio)
    sources = [] if listed else [audio]
    assert melcli.run(sources, out, **run).exit_code == 0  # type: ignore[arg-type]
    array = (out / "a.npy").read_bytes()
    (out / "a.png").mkdir()  # planted

    report = melcli.run(sources, out, png=True, **run)  # type: ignore[arg-type]

    (failure,) = report.failures
    assert failure.src.name == "a.wav"
    assert "its earlier output, still up to date, is kept" in failure.reason
    assert (out / "a.npy").read_bytes() == array
    lines = (out / "manifest.jsonl").read_text().splitlines()
    entry = {e["key"]: e for e in map(json.loads, lines)}["a.npy"]
    assert entry["status"] in ("written", "up-to-date")
    assert entry["npy"] == "a.npy"
