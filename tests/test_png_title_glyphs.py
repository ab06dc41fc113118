"""A file name in a script the font cannot draw gives its PNG, not warnings.

``melcli mel "My Recordings" -o out --png`` over ``日本語 フォルダ/音声 01.wav``
printed nine ``warning: ...: Glyph 26085 (\\N{CJK UNIFIED IDEOGRAPH-65E5})
missing from font(s) DejaVu Sans.`` lines for the one file, recorded them in
the manifest as the file's warnings and counted it "with warnings" in the
gallery: none of them is about its audio. The title shows boxes for those
characters (the gallery and the manifest keep the name as it is).
"""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf
from conftest import mel, tone
from PIL import Image

#: Egyptian hieroglyphs and CJK: no usual font has the first (the test
#: could not fail on a machine whose fonts draw every character).
NAME = "\U00013000 音声 01.wav"


def test_a_name_the_font_lacks_warns_nothing(tmp_path: Path) -> None:
    src = tmp_path / "日本語 フォルダ"
    src.mkdir()
    sf.write(src / NAME, tone(sr=8000, seconds=0.3), 8000)
    for options in ((), ("--waveform",)):
        out = tmp_path / f"out{len(options)}"
        result = mel(src, out, "--png", *options)
        assert result.exit_code == 0
        assert result.stderr == "1 written.\n"
        png = out / NAME.replace(".wav", ".png")
        with Image.open(png) as image:
            assert image.size[0] > 100
        entries = [
            json.loads(line)
            for line in (out / "manifest.jsonl").read_text().splitlines()
        ]
        assert [e.get("warnings", []) for e in entries if "npy" in e] == [[]]
