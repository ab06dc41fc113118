"""The submodules the docs call after a plain ``import melcli``.

The docs write ``melcli.stats.compute(...)``, ``melcli.filelist.rows_of(...)``,
``melcli.fbank.fbank(...)``, ``melcli.render.read_image(...)``: after
``import melcli`` alone, each must be there (imported on first use, so that
``import melcli`` still imports neither numpy nor click). Checked in a fresh
interpreter: in this one the tests have imported them already.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import REPO

#: ``melcli.MODULE.NAME`` as the README and docs/ write it.
DOTTED = re.compile(r"\bmelcli\.([a-z_]+)\.([A-Za-z_]+)")


def documented() -> set[tuple[str, str]]:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return {m.groups() for page in pages for m in DOTTED.finditer(page.read_text())}


def test_the_docs_name_some_submodules() -> None:
    modules = {module for module, _ in documented()}
    assert {"stats", "filelist", "fbank", "data"} <= modules


@pytest.mark.slow  # an interpreter per name: seconds
def test_each_documented_submodule_name_works_after_import_melcli() -> None:
    # One interpreter per name: one lookup's imports must not make another's.
    for module, name in sorted(documented()):
        code = (
            "import sys\nimport melcli\n"
            "assert 'numpy' not in sys.modules and 'click' not in sys.modules\n"
            f"melcli.{module}.{name}\n"
            "assert not hasattr(melcli, 'no_such_module')\n"
            "print('ok')\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO
        )
        assert (done.returncode, done.stdout) == (0, "ok\n"), (module, done.stderr)
