"""The gallery's table of failed inputs, in a browser: names are not cut up.

With long reasons beside them (two inputs of one name, each failing on its
own too), the Input column shrank to a few letters and broke names
anywhere (``clash/a.mp`` / ``3``), and the header ``Status`` too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import CHROMIUM, Browser
from conftest import short_tones

import melcli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]

#: The number of lines each text of ``selector`` takes on the page.
LINES = """[...document.querySelectorAll(%r)].map((e) => {
  const r = document.createRange(); r.selectNodeContents(e);
  return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size;
})"""


def test_failed_inputs_names_and_headers_take_one_line(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    whole = (src / "0.wav").read_bytes()
    for stem in ("a", "b", "c"):  # both of each name broken: long reasons
        (src / f"{stem}.wav").write_bytes(whole[:300])
        (src / f"{stem}.mp3").write_bytes(b"not audio" * 40)
    out = tmp_path / "out"
    melcli.run([src], out, jobs=1)
    report = melcli.build_gallery(out, jobs=1)
    b = Browser(tmp_path / "profile")
    try:
        b.call(
            "Emulation.setDeviceMetricsOverride",
            session=b.session,
            width=900,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        b.open(report.index.as_uri())
        b.wait_for(
            "document.querySelectorAll('#problem-rows tr').length === 6",
            what="6 failed inputs",
        )
        names = b.js(LINES % "#problem-rows td.name")
        headers = b.js(LINES % "#problems th")
        assert b.errors == []
    finally:
        b.close()
    assert names == [1] * 6
    assert headers == [1, 1, 1]
