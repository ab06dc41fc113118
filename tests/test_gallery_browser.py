"""The gallery page in a real browser (headless Chromium, DevTools protocol).

Built from a run over sample_audio/ plus a few inputs a dataset really has (a
broken file, digital silence, a name with markup, quotes and a right-to-left
override), then opened from disk: no console error or failed load, every
picture and audio link loads, the filter and the group list work, and the
screenshot shows a page, not a blank.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from browser import CHROMIUM, Browser
from click.testing import CliRunner
from conftest import SAMPLE_AUDIO, WriteAudio, tone

from melcli.cli import cli

#: Slow (Chromium): left out of ``make test-fast`` (see conftest.py).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("isolated"),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (make tools installs Debian's package)",
    ),
]

HOSTILE = '<img src=x onerror="alert(1)"><b>bold "quoted" \'single\' \u202eevil.wav'


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """OUT/gallery of runs over sample_audio/ and some awkward inputs.

    ``figures``: the run drew PNGs, the page shows them; ``thumbnails``: it
    did not, the gallery drew its own pictures.
    """
    import soundfile as sf

    root = tmp_path_factory.mktemp("gallery")
    src = root / "audio"
    shutil.copytree(SAMPLE_AUDIO, src, ignore=shutil.ignore_patterns("*.py", "*.md"))
    (src / "odd").mkdir()
    sf.write(src / "odd" / HOSTILE, tone(), 22050)
    sf.write(src / "odd" / "silence.wav", np.zeros(11025, np.float32), 22050)
    (src / "odd" / "broken.wav").write_bytes(b"RIFF\x00\x00garbage")
    runner = CliRunner()
    galleries = {}
    for name, options in (("figures", ["--png"]), ("thumbnails", [])):
        out = root / name
        args = ["mel", str(src), "-o", str(out), "-j", "1", *options]
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.stderr  # broken.wav fails
        result = runner.invoke(cli, ["gallery", str(out)])
        assert result.exit_code == 0, result.stderr
        galleries[name] = out / "gallery"
    return galleries


@pytest.fixture(scope="module")
def gallery(runs: dict[str, Path]) -> Path:
    return runs["figures"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(tmp_path_factory.mktemp("profile"))
    try:
        yield b
    finally:
        b.close()


CARDS = "document.querySelectorAll('#cards .card').length"


def set_value(browser: Browser, element: str, value: str, event: str) -> None:
    """Set a form control's value as a user would, firing ``event``."""
    browser.js(
        f"(() => {{ const e = document.getElementById({element!r});"
        f"e.value = {value!r}; e.dispatchEvent(new Event({event!r})); }})()"
    )


@pytest.mark.parametrize("kind", ["figures", "thumbnails"])
def test_page_loads_without_errors_and_every_link_resolves(
    runs: dict[str, Path], browser: Browser, kind: str
) -> None:
    browser.open((runs[kind] / "index.html").as_uri())
    browser.wait_for(f"{CARDS} === 10", what="10 cards")
    # Load every picture and audio file the page links to, lazy or not.
    failed = browser.js(
        """(async () => {
          const urls = [...document.querySelectorAll('img')].map((i) => i.src);
          const sprites = [...document.querySelectorAll('.sprite')].map(
            (d) => getComputedStyle(d).backgroundImage.slice(5, -2));
          const audio = [...document.querySelectorAll('audio')].map((a) => a.src);
          const bad = [];
          await Promise.all([...urls, ...sprites].map((u) => new Promise((ok) => {
            const i = new Image();
            i.onload = () => { if (!i.naturalWidth) bad.push(u); ok(); };
            i.onerror = () => { bad.push(u); ok(); };
            i.src = u;
          })));
          await Promise.all(audio.map((u) => new Promise((ok) => {
            const a = new Audio();
            a.preload = 'metadata';
            a.onloadedmetadata = () => { if (!(a.duration > 0)) bad.push(u); ok(); };
            a.onerror = () => { bad.push(u + ' ' + a.error.message); ok(); };
            a.src = u;
          })));
          const waves = [...document.querySelectorAll('canvas.wave')].filter((c) => {
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            return px.some((v, k) => k % 4 === 3 && v > 0);  // something drawn
          });
          return {bad, images: urls.length, sprites: sprites.length,
                  audio: audio.length, waves: waves.length};
        })()"""
    )
    assert failed["bad"] == []
    if kind == "figures":
        assert (failed["images"], failed["sprites"]) == (10, 0)  # the run's PNGs
    else:
        assert (failed["images"], failed["sprites"]) == (0, 10)  # one sprite's rows
    assert failed["audio"] == 10
    assert failed["waves"] == 10
    assert browser.errors == []


def test_names_are_text_and_failures_and_silence_are_shown(
    gallery: Path, browser: Browser
) -> None:
    browser.open((gallery / "index.html").as_uri())
    browser.wait_for(f"{CARDS} === 10")
    names = browser.js(
        "[...document.querySelectorAll('.card .name')].map(n => n.textContent)"
    )
    # As in log lines, the right-to-left override is shown, not obeyed.
    assert "odd/" + HOSTILE.replace("\u202e", "\\u202e") in names
    assert browser.js("document.querySelectorAll('main b').length") == 0
    silent = browser.js(
        "[...document.querySelectorAll('.card.silent .name')].map(n => n.textContent)"
    )
    assert silent == ["odd/silence.wav"]
    browser.wait_for("document.querySelectorAll('#problem-rows tr').length === 1")
    row = browser.js("document.querySelector('#problem-rows tr').textContent")
    assert "odd/broken.wav" in row
    assert "failed" in row
    assert browser.errors == []


def test_filter_and_groups(gallery: Path, browser: Browser) -> None:
    browser.open((gallery / "index.html").as_uri())
    browser.wait_for(f"{CARDS} === 10")
    set_value(browser, "filter", "HELLO", "input")
    browser.wait_for(f"{CARDS} === 1", what="one card for 'HELLO'")
    assert browser.js("document.querySelector('.card .name').textContent") == (
        "speech/hello_world.mp3"
    )
    assert "1 matching" in browser.js("document.getElementById('status').textContent")
    set_value(browser, "filter", "", "input")
    browser.wait_for(f"{CARDS} === 10")
    browser.js(
        "[...document.querySelectorAll('#groups button')]"
        ".find(b => b.textContent.startsWith('speech')).click()"
    )
    browser.wait_for(f"{CARDS} === 3", what="the 3 speech inputs")
    counts = browser.js(
        "[...document.querySelectorAll('#groups button')].map(b => b.textContent)"
    )
    assert "speech3" in counts
    assert "tones2" in counts
    set_value(browser, "show", "silent", "change")
    browser.wait_for(f"{CARDS} === 0", what="no silent speech")
    assert browser.errors == []


def test_screenshot_is_not_blank(
    gallery: Path, browser: Browser, tmp_path: Path
) -> None:
    from PIL import Image

    browser.open((gallery / "index.html").as_uri())
    browser.wait_for(f"{CARDS} === 10")
    browser.wait_for(
        "[...document.querySelectorAll('#cards img')].slice(0, 4)"
        ".every(i => i.complete && i.naturalWidth > 0)",
        what="the first pictures drawn",
    )
    png = browser.screenshot()
    (tmp_path / "gallery.png").write_bytes(png)
    with Image.open(io.BytesIO(png)) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[0] > 500
    assert pixels.shape[1] > 1000
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 1000  # spectrograms, not a blank or a message
    dark = (pixels.sum(axis=-1) < 150).mean()
    assert 0.05 < dark < 0.9  # pictures on a light page


def test_counts_of_one_are_singular(
    tmp_path: Path, browser: Browser, write_audio: WriteAudio
) -> None:
    """A one-input run says '1 input shown', '1 group by folder', '1 input'.

    And its status in words, as the command's summary says it: 'up to date'.
    """
    write_audio("dogs/bark.wav", tone())
    out = tmp_path / "out"
    runner = CliRunner()
    for _ in range(2):  # the second finds it up to date
        run = runner.invoke(cli, ["mel", str(tmp_path / "audio"), "-o", str(out)])
        assert run.exit_code == 0
    assert runner.invoke(cli, ["gallery", str(out)]).exit_code == 0
    browser.open((out / "gallery" / "index.html").as_uri())
    browser.wait_for(f"{CARDS} === 1")
    summary = browser.js(
        "[...document.querySelectorAll('#summary span')].map(s => s.textContent)"
    )
    assert summary == [
        "1 input shown",
        "1 up to date",
        "0 silent",
        "0 clipped",
        "0 with warnings",
        "1 group by folder",
    ]
    assert browser.js("document.getElementById('status').textContent") == "1 input"
    set_value(browser, "filter", "bark", "input")
    browser.wait_for(
        "document.getElementById('status').textContent.startsWith('1 matching input ')"
    )
    assert browser.errors == []
