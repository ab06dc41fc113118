"""A file decoded through ffmpeg is read under its own name, whatever the name.

ffmpeg takes ``pipe:0.m4a`` for standard input, ``concat:a.m4a`` and
``12:30.m4a`` for protocols (``Protocol not found``), ``file:a.m4a`` for
``a.m4a``, and ffprobe takes ``-a.m4a`` for an option: such names, ordinary
in recordings named by time or by a tool, failed or read another file. Each
name here holds the same audio as ``plain.m4a`` and must decode to the same
samples, through the library and the command, for every kind of file melcli
hands to ffmpeg (MP4/AAC and a FLAC whose header gives no length).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hostile_corpus import make_m4a
from test_flac_unknown_length import speech, unknown_length_flac

from melcli import MelParams, audio
from melcli.cli import cli

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg is not installed (make tools installs it)",
)

#: Names ffmpeg or ffprobe would read as something other than a file.
NAMES = ("pipe:0", "concat:plain", "12:30", "file:plain", "-plain", "http:x")
PARAMS = MelParams(sr=None).validate()


@pytest.fixture(params=["m4a", "flac"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A folder of ``plain.EXT`` and copies of it under each of :data:`NAMES`."""
    ext = request.param
    plain = tmp_path / f"plain.{ext}"
    if ext == "m4a":
        make_m4a(plain)
    else:
        unknown_length_flac(plain, speech())
    for name in NAMES:
        shutil.copyfile(plain, tmp_path / f"{name}.{ext}")
    return tmp_path, ext


def test_the_library_decodes_each_name_as_the_file_it_names(
    folder: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ext = folder
    monkeypatch.chdir(root)  # relative names, as a list or a command line gives
    expected = audio.load(f"plain.{ext}", PARAMS).y
    header = audio.probe(f"plain.{ext}")
    for name in NAMES:
        assert audio.probe(f"{name}.{ext}") == header, name
        np.testing.assert_array_equal(
            audio.load(f"{name}.{ext}", PARAMS).y, expected, err_msg=name
        )


def test_the_command_converts_each_name(
    folder: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ext = folder
    monkeypatch.chdir(root)
    (root / "list.txt").write_text("".join(f"{n}.{ext}\n" for n in NAMES))
    result = CliRunner().invoke(
        cli, ["mel", "--files-from", "list.txt", "-o", "out", "-j", "1"]
    )
    assert result.exit_code == 0, result.stderr
    assert f"{len(NAMES)} written" in result.stderr
    result = CliRunner().invoke(
        cli, ["mel", "-o", "out2", "-j", "1", "--", *(f"{n}.{ext}" for n in NAMES)]
    )
    assert result.exit_code == 0, result.stderr
    expected = np.load(root / "out" / "-plain.npy")
    for name in NAMES:
        np.testing.assert_array_equal(np.load(root / "out2" / f"{name}.npy"), expected)
