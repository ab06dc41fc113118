"""A dataset's list saved as UTF-16: Excel's "Unicode Text", PowerShell's ``>``.

Read as UTF-8, every other byte was a NUL: the run stopped with ``has no
path column`` and a header of escapes (``\\xff\\xfef\\x00i\\x00l\\x00e...``).
A UTF-16 byte-order mark now means UTF-16, as a UTF-8 one means UTF-8.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import short_tones

from melcli.cli import cli


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_table_saved_as_utf16_is_read(tmp_path: Path, encoding: str) -> None:
    src = short_tones(tmp_path / "audio", n=2)
    table = tmp_path / "meta.txt"
    text = "filename\tcategory\r\n0.wav\tcafé\r\n1.wav\tdog\r\n"
    bom = "" if encoding == "utf-16" else "\ufeff"  # "utf-16" writes its own
    table.write_bytes((bom + text).encode(encoding))
    out = tmp_path / "out"

    listed = ["--files-from", str(table), "--path-column", "filename"]
    result = CliRunner().invoke(
        cli, ["mel", *listed, "--root", str(src), "-o", str(out)]
    )

    assert result.exit_code == 0, result.stderr
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["meta"] for line in lines] == [
        {"category": "café"},
        {"category": "dog"},
    ]
