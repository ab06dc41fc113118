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

from conftest import REPO

#: ``melcli.MODULE.NAME`` as the README and docs/ write it.
DOTTED = re.compile(r"\bmelcli\.([a-z_]+)\.([A-Za-z_]+)")


def documented() -> set[tuple[str, str]]:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return {m.groups() for page in pages for m in DOTTED.finditer(page.read_text())}


def test_the_docs_name_some_submodules() -> None:
    modules = {module for module, _ in documented()}
    assert {"stats", "filelist", "fbank", "data"} <= modules


def test_each_documented_submodule_name_works_after_import_melcli() -> None:
    names = sorted(documented())
    lookups = "\n".join(f"melcli.{module}.{name}" for module, name in names)
    code = (
        "import sys\nimport melcli\n"
        "assert 'numpy' not in sys.modules and 'click' not in sys.modules\n"
        f"{lookups}\n"
        "assert not hasattr(melcli, 'no_such_module')\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"
