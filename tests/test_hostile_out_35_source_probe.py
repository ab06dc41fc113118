"""A run looks up no file outside OUT that a crafted entry names as its input.

When an output is rebuilt, a run asks whether the input its entry names is
another input still there (two SRC folders with files of the same names,
run one after the other into one OUT): then it warns that this run replaces
that input's output. The path was OUT's word, looked up as it was: a crafted
entry naming any file of the user's (``~/.ssh/id_rsa``) had the run stat it
and say in its warning, in a CI log, that it "is still there". Only a path
that can be the input of an output of that name (absolute, normalised, the
same name but for the extension, that one of audio) is looked up now, and
said to be there only if it is a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import mel, short_tones

pytestmark = pytest.mark.usefixtures("isolated")


def _entries(out: Path) -> list[dict[str, object]]:
    return [
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize(
    "named",
    ["private/id_rsa", "private/../private/0.wav", "private/0.key", "private/0"],
)
def test_a_rebuild_looks_up_no_file_the_entry_names_out_of_reason(
    tmp_path: Path, looked_up: list[str], named: str
) -> None:
    src = short_tones(tmp_path / "src", 2)
    (tmp_path / "private").mkdir()
    for secret in ("id_rsa", "0.key", "0"):
        (tmp_path / "private" / secret).write_text("secret")
    (tmp_path / "private" / "0.wav").write_bytes((src / "0.wav").read_bytes())
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    entries = _entries(out)
    for entry in entries:
        if entry["key"] == "0.npy":
            entry["source_abs"] = entry["source_path"] = str(tmp_path / named)
    (out / ".melcli-manifest.db").unlink()
    (out / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    looked_up.clear()
    run = mel(src, out, "--force")
    assert run.exit_code == 0, run.stderr
    assert "still there" not in run.stderr, run.stderr
    assert looked_up == []


def test_a_folder_of_an_input_s_name_is_not_said_to_be_there(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "src", 2)
    (tmp_path / "private" / "0.flac").mkdir(parents=True)
    out = tmp_path / "out"
    assert mel(src, out).exit_code == 0
    entries = _entries(out)
    for entry in entries:
        if entry["key"] == "0.npy":
            entry["source_abs"] = entry["source_path"] = str(
                tmp_path / "private" / "0.flac"
            )
    (out / ".melcli-manifest.db").unlink()
    (out / "manifest.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    run = mel(src, out, "--force")
    assert run.exit_code == 0, run.stderr
    assert "still there" not in run.stderr, run.stderr
