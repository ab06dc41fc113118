"""Every name a Python example of the docs uses is imported or made in it.

Seen in a newcomer's trial: docs/stats.md's example, pasted as shown, stopped at
``NameError: name 'np' is not defined`` (and so would the README's librosa
chain). The names the prose gives as the reader's own (a ``path``, the training
loop's ``model`` and ``loss_fn``) are the only ones left to the reader.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap

import pytest
from conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Names the text around an example says are the reader's.
THE_READERS = {"path", "model", "loss_fn"}


def python_blocks() -> list[tuple[str, str]]:
    """Return ``(document, code)`` for every Python example of the docs."""
    return [
        (doc.name, textwrap.dedent(code))
        for doc in DOCS
        for code in re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    ]


def unbound_names(code: str) -> set[str]:
    """Return the names ``code`` reads that it neither imports nor assigns."""
    tree = ast.parse(code)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    read = {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return read - bound


def test_the_check_sees_a_missing_import() -> None:
    assert unbound_names("x = np.load('a.npy')\n") == {"np"}
    assert unbound_names("import numpy as np\nx = np.load('a.npy')\n") == set()


@pytest.mark.parametrize(
    ("doc", "code"), python_blocks(), ids=lambda v: v[:30] if len(v) > 30 else v
)
def test_every_name_an_example_uses_is_imported_or_made(doc: str, code: str) -> None:
    assert unbound_names(code) <= THE_READERS, f"{doc}: {code.splitlines()[0]}"
