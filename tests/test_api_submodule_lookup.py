"""Looking up a name that is not there on melcli (or melcli.storage) says so.

The first-use import of submodules (``melcli.stats`` after ``import melcli``)
must keep the attribute protocol: a name no submodule can have raises
AttributeError, so ``hasattr`` and ``getattr(..., default)`` answer False and
the default, not ModuleNotFoundError, and a dotted name is not a way to reach a
module two levels down. (That the submodules are found is
tests/test_api_submodules.py's, in a fresh interpreter.)
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

import melcli
import melcli.storage

NOT_NAMES = ["no_such_module.x", "cli.hints", "storage.webdataset", "", "1abc", "a-b"]


@pytest.mark.parametrize("package", [melcli, melcli.storage], ids=lambda p: p.__name__)
@pytest.mark.parametrize("name", NOT_NAMES)
def test_a_name_no_submodule_can_have_is_not_an_attribute(
    package: object, name: str
) -> None:
    assert not hasattr(package, name)
    assert getattr(package, name, None) is None
    with pytest.raises(AttributeError, match="has no attribute"):
        getattr(package, name)


def test_dir_lists_the_submodules_found_on_first_use() -> None:
    # What a notebook completes after "melcli.": the documented submodules
    # too, and nothing dir() lists fails to resolve.
    code = (
        "import melcli\n"
        "names = dir(melcli)\n"
        "assert {'stats', 'filelist', 'data', 'storage'} <= set(names), names\n"
        "assert '__main__' not in names\n"
        "for name in names:\n"
        "    getattr(melcli, name)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO
    )
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr
