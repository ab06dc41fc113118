"""The stage of a run's entries turns every SQLite error into a StoreError.

``Stage.rows`` caught ``sqlite3.Error`` only, not the
:data:`~melcli.manifest_db.SQLITE_ERRORS` every other method catches (SQLite's
message undecodable: ``UnicodeDecodeError``): the commit, which reads the
stage back, ended in a traceback instead of one line.
"""

from __future__ import annotations

import pytest

from melcli import manifest_db


class Undecodable:
    """A connection whose every statement fails as SQLite's undecodable message."""

    def execute(self, *args: object) -> object:
        raise UnicodeDecodeError("utf-8", b"\xe6", 0, 1, "invalid start byte")

    executemany = execute

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "call",
    [
        lambda stage: list(stage.rows()),
        lambda stage: stage.get("a.npy"),
        lambda stage: stage.put([("a.npy", b"{}", b"")]),
        lambda stage: stage.drop("a.npy"),
    ],
    ids=["rows", "get", "put", "drop"],
)
def test_every_stage_method_says_a_store_error(call: object) -> None:
    stage = manifest_db.Stage()
    stage.put([("a.npy", b"{}", b"")])
    stage.close()
    stage.db = Undecodable()  # type: ignore[assignment]

    with pytest.raises(manifest_db.StoreError, match="\ufffd"):
        call(stage)  # type: ignore[operator]
