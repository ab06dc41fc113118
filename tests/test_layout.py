"""The code's shape that issue 15 asks to keep: a thin command over a library.

No function in melcli/ over 100 lines; melcli/cli/ a package of files of at
most 600 lines, whose ``mel`` command body is at most 60 lines, and which
imports none of the modules the run engine (melcli.session) stands for; no
module beneath the engine imports it back.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "melcli"
CLI = PACKAGE / "cli"


def functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def length(node: ast.AST) -> int:
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def test_no_function_is_over_100_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} "
        f"({length(node)} lines)"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in functions(path)
        if length(node) > 100
    ]
    assert long == []


def test_cli_files_are_at_most_600_lines() -> None:
    files = sorted(CLI.glob("*.py"))
    assert len(files) >= 8  # a package: one module per command, and the rest
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in files}
    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_the_mel_command_body_is_at_most_60_lines() -> None:
    (mel,) = [f for f in functions(CLI / "mel.py") if f.name == "mel"]
    body = mel.body[0].lineno  # from its docstring (the --help text) down
    assert mel.end_lineno is not None
    assert mel.end_lineno - body + 1 <= 60


def test_the_cli_imports_no_run_internals() -> None:
    internals = re.compile(
        r"import .*(manifest|outdir|runners|cluster|storage)"
        r"|from \.\.(manifest|outdir|runners|cluster|storage)"
    )
    found = [
        f"{path.name}: {line.strip()}"
        for path in sorted(CLI.glob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if internals.search(line)
    ]
    assert found == []


def imported_modules(path: Path) -> set[str]:
    """The modules ``path`` (in melcli/) imports, at any depth of its code."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.removesuffix(".__init__").split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up a dot
                parent = package[: len(package) + 1 - node.level]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_nothing_beneath_the_engine_imports_it() -> None:
    # Dependencies point one way: the command and melcli.run (the package's
    # lazy name) call the engine (melcli.session), which calls batch, runners,
    # storage, manifest. None of those imports the engine back, not even in a
    # function (melcli.batch once did, for a melcli.batch.run alias).
    importers = {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if "melcli.session" in imported_modules(path)
    }
    assert {"melcli/__init__.py", "melcli/cli/mel.py"} <= importers
    beneath = {p for p in importers if not p.startswith("melcli/cli/")}
    assert beneath == {"melcli/__init__.py"}
    assert not hasattr(importlib.import_module("melcli.batch"), "run")
