"""A package's submodules, imported on first use of their name.

The docs name submodules after a plain ``import melcli``
(``melcli.stats.compute``, ``melcli.storage.webdataset.key_to_path``);
importing them all up front would load numpy for ``melcli --help``.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def submodule(package: str, name: str) -> ModuleType:
    """Import and return ``package.name`` if it is a submodule.

    Raises
    ------
    AttributeError
        For any other ``name``, as a module's ``__getattr__`` must: only a name
        a submodule can have is looked up ("a.b" would import ``package.a.b``,
        or raise ModuleNotFoundError where ``hasattr`` needs AttributeError).
    """
    from importlib.util import find_spec

    if (
        name.isidentifier()
        and not name.startswith("_")
        and find_spec(f"{package}.{name}")
    ):
        return importlib.import_module(f".{name}", package)
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
