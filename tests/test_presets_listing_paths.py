"""``melcli presets`` wraps its lines, but never inside a source file's path.

AST's extractor lives at a path longer than a line, and was cut in two
(``.../audio_spectrogram_transforme`` / ``r/feature_extraction...``): a reader
copying it got a path that does not exist.
"""

from __future__ import annotations

from conftest import invoke

from melcli.presets import PRESETS


def test_every_source_path_is_on_one_line() -> None:
    for name, preset in PRESETS.items():
        result = invoke("presets", name)
        assert result.exit_code == 0
        words = set(result.stdout.split())
        for source in preset.sources:
            # "repository: path (what it holds)": the path is the word after ": ".
            path = source.split(": ", 1)[1].split()[0]
            assert path in words, (name, path)
