"""``melcli stats`` on the OUT of a first run stopped before its manifest.

Such an OUT holds the arrays of some of its inputs and the run's journal. Its
statistics were computed over those arrays without a word, as if they were
the dataset's; the data loader and the gallery already said the run had to
be finished first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import invoke, mel, short_tones

import melcli.stats
from melcli.errors import MelcliError

pytestmark = pytest.mark.usefixtures("isolated")


def _stopped_out(tmp_path: Path) -> Path:
    """An OUT as a first run killed before writing its manifest leaves it."""
    out = tmp_path / "out"
    assert mel(short_tones(tmp_path / "audio"), out).exit_code == 0
    (out / "manifest.jsonl").unlink()
    (out / ".melcli-manifest.db").unlink()
    (out / ".melcli-journal.jsonl").write_text("")
    assert list(out.rglob("*.npy"))  # its arrays stay
    return out


def test_the_command_says_to_finish_the_run(tmp_path: Path) -> None:
    out = _stopped_out(tmp_path)
    result = invoke("stats", out)
    assert result.exit_code == 1
    assert "the run that wrote there was stopped" in result.stderr
    assert "run 'melcli mel' into it again" in result.stderr
    assert not (out / "stats.npz").exists()


def test_the_api_refuses_too(tmp_path: Path) -> None:
    out = _stopped_out(tmp_path)
    with pytest.raises(MelcliError, match="was stopped"):
        melcli.stats.write_stats(out)
    with pytest.raises(MelcliError, match="was stopped"):
        melcli.stats.arrays_of(out)
    assert not (out / "stats.npz").exists()


def test_a_folder_of_arrays_with_no_journal_is_still_walked(tmp_path: Path) -> None:
    out = tmp_path / "arrays"
    out.mkdir()
    np.save(out / "a.npy", np.ones((4, 3), np.float32))
    result = invoke("stats", out)
    assert result.exit_code == 0, result.stderr
    assert melcli.stats.arrays_of(out) == [out / "a.npy"]
