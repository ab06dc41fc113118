"""A ``melcli mel`` option given to ``melcli.run`` by its name says what to give.

Seen in a newcomer's trial: ``melcli.run(src, out, preset="whisper")`` and
``ext="wav"`` (as ``--preset``/``--ext``) said only ``unexpected keyword
argument``, where ``n_mels=64`` names ``params=MelParams(n_mels=64)``. Every
long option of the command is now a keyword of run(), a field of its
``params``/``render``, or named with what run() takes instead. ``melcli.info``
does the same for ``--ext``, ``--summary`` and ``--json``.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import pytest
from conftest import short_tones

import melcli
from melcli.cli.main import cli


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return short_tones(tmp_path / "audio", n=1)


@pytest.mark.parametrize(
    ("keyword", "value", "said"),
    [
        ("preset", "whisper", "params=melcli.preset_params('whisper')"),
        ("ext", "wav", "extensions='wav'"),
        ("format", "webdataset", "storage_format='webdataset'"),
        ("png_style", "image", "render=melcli.params.RenderParams(style='image')"),
        ("json", True, "report.to_json()"),
        ("quiet", True, "run() prints nothing"),
        ("config", "a.toml", "give the settings in params"),
    ],
)
def test_run_names_what_to_give_for_a_command_option(
    src: Path, tmp_path: Path, keyword: str, value: object, said: str
) -> None:
    with pytest.raises(TypeError) as caught:
        melcli.run([src], tmp_path / "out", dry_run=True, **{keyword: value})
    message = str(caught.value)
    assert message.startswith(f"run() got an unexpected keyword argument {keyword!r}; ")
    assert said in message
    assert not (tmp_path / "out").exists()


def _long_options() -> list[str]:
    mel = cli.commands["mel"]
    return [
        opt[2:].replace("-", "_")
        for param in mel.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--")
    ]


def test_every_option_of_mel_is_taken_or_explained(src: Path, tmp_path: Path) -> None:
    """No long option of ``melcli mel`` meets a bare ``unexpected keyword``."""
    taken = inspect.signature(melcli.run).parameters
    bare = []
    for name in _long_options():
        if name in taken:
            continue
        with pytest.raises(TypeError) as caught:
            melcli.run([src], tmp_path / "out", dry_run=True, **{name: None})
        if "; " not in str(caught.value):
            bare.append(name)
    assert bare == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("keyword", "said"),
    [
        ("ext", "--ext is extensions='wav'"),
        ("summary", ".summary()"),
        ("json", ".rows"),
    ],
)
def test_info_names_what_to_give_for_a_command_option(
    src: Path, keyword: str, said: str
) -> None:
    with pytest.raises(TypeError) as caught:
        melcli.info([src], **{keyword: "wav"})
    message = str(caught.value)
    assert message.startswith(
        f"info() got an unexpected keyword argument {keyword!r}; "
    )
    assert said in message


def test_info_still_names_a_near_keyword(src: Path) -> None:
    with pytest.raises(TypeError, match="did you mean 'extensions'"):
        melcli.info([src], extension="wav")
    assert melcli.info([src], extensions="wav").rows  # the real one is taken
