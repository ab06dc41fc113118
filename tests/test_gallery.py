"""``melcli gallery OUT`` and melcli.gallery.build_gallery: files, links, safety.

The page itself runs in a real browser in tests/test_gallery_browser.py; here
the files it is made of are checked: the data pages hold every input once, the
links resolve inside OUT or to the sources, re-runs draw only what changed,
and nothing from a crafted manifest escapes into markup or out of OUT.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import numpy as np
import pytest
import soundfile as sf
from conftest import WriteAudio, invoke, noise, tone

from melcli import waveform
from melcli.errors import MelcliError
from melcli.gallery import CELL_HEIGHT, CELL_WIDTH, WAVE_COLUMNS, build_gallery
from melcli.report import display_path

pytestmark = pytest.mark.usefixtures("isolated")


def run(src: Path, out: Path, *options: str) -> None:
    result = invoke("mel", src, "-o", out, "-j", "1", *options)
    assert result.exit_code in (0, 1), result.stderr


def pages(gallery: Path, kind: str = "page") -> list[dict[str, Any]]:
    """Every item of the data pages of ``kind``, in order."""
    items: list[dict[str, Any]] = []
    pattern = re.compile(r"melcliPage\(\"(\w+)\",(\d+),(.*)\);\n", re.S)
    for path in sorted((gallery / "data").glob(f"{kind}-*.js")):
        match = pattern.fullmatch(path.read_text())
        assert match is not None, path
        assert match.group(1) == kind
        items.extend(json.loads(match.group(3)))
    return items


def summary(gallery: Path) -> dict[str, Any]:
    html = (gallery / "index.html").read_text()
    match = re.search(
        r'<script id="melcli-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def target(gallery: Path, url: str) -> Path:
    """The file a relative link of the page points at."""
    return Path(os.path.normpath(gallery / unquote(url)))


@pytest.fixture
def src(write_audio: WriteAudio, tmp_path: Path) -> Path:
    write_audio("dogs/bark.wav", noise(seed=1))
    write_audio("dogs/growl.flac", tone(200.0))
    write_audio("cats/meow.wav", tone(700.0, seconds=0.5))
    write_audio("quiet/silence.wav", np.zeros(22050, np.float32))
    broken = tmp_path / "audio" / "cats" / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    return tmp_path / "audio"


def test_gallery_lists_every_input_with_its_facts_and_links(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run(src, out, "--png")
    result = invoke("gallery", out)
    assert result.exit_code == 0, result.stderr
    gallery = out / "gallery"
    assert "4 inputs in 3 groups, 1 failed, 0 skipped" in result.stderr
    items = {item["n"]: item for item in pages(gallery)}
    assert sorted(items) == [
        "cats/meow.wav",
        "dogs/bark.wav",
        "dogs/growl.flac",
        "quiet/silence.wav",
    ]
    meow = items["cats/meow.wav"]
    assert meow["g"] == "cats"
    assert meow["d"] == pytest.approx(0.5)
    assert meow["s"] == list(np.load(out / "cats/meow.npy").shape)
    assert target(gallery, meow["i"]) == out / "cats/meow.png"  # the run's PNG
    assert target(gallery, meow["a"]) == src / "cats/meow.wav"
    assert not os.path.isabs(meow["a"])
    for item in items.values():
        for key in ("i", "a"):
            assert target(gallery, item[key]).is_file(), (item["n"], key)
        assert len(item["v"]) == 2 * WAVE_COLUMNS  # (min, max), as the run recorded
    wave = waveform.decode(items["dogs/growl.flac"]["v"]) * waveform.LEVELS
    assert wave[:, 1].max() == 16  # the 0.5 tone's peak: round(0.5 * 31)
    assert wave[:, 0].min() == -16
    assert items["dogs/growl.flac"]["pk"] == pytest.approx(-6.0, abs=0.1)  # dBFS
    assert items["dogs/growl.flac"]["rm"] == pytest.approx(-9.0, abs=0.1)  # sine
    assert items["quiet/silence.wav"]["pk"] is None  # -inf dBFS
    assert not any(item["c"] for item in items.values())
    assert items["quiet/silence.wav"]["z"] is True
    assert items["dogs/bark.wav"]["z"] is False
    (problem,) = pages(gallery, "problems")
    assert problem["n"] == "cats/broken.wav"
    assert problem["t"] == "failed"
    assert "not an audio file" in problem["r"]
    data = summary(gallery)
    assert [g[:2] for g in data["groups"]] == [["cats", 1], ["dogs", 2], ["quiet", 1]]
    assert data["statuses"] == {"failed": 1, "written": 4}
    assert data["silent"] == 1


def test_thumbnails_are_drawn_from_arrays_and_kept_until_they_change(
    src: Path, tmp_path: Path, write_audio: WriteAudio
) -> None:
    out = tmp_path / "out"
    run(src, out)  # no --png: the gallery draws its own pictures
    first = build_gallery(out)
    # The waveforms are the run's: no source is read.
    assert (first.inputs, first.drawn, first.reused) == (4, 4, 0)
    (sprite,) = (out / "gallery" / "thumbs").iterdir()  # one picture per page
    from PIL import Image

    items = pages(out / "gallery")
    assert {target(out / "gallery", i["i"]) for i in items} == {sprite}
    assert sorted(i["r"] for i in items) == [0, 1, 2, 3]
    assert {i["k"] for i in items} == {4}
    with Image.open(sprite) as image:
        assert image.size == (CELL_WIDTH, 4 * CELL_HEIGHT)
        pixels = np.asarray(image)
    for item in items:  # each row a picture, not a blank
        row = pixels[item["r"] * CELL_HEIGHT : (item["r"] + 1) * CELL_HEIGHT]
        assert np.ptp(row) > 100 or item["z"], item["n"]
    again = build_gallery(out)
    assert (again.drawn, again.reused, again.removed) == (0, 4, 0)
    write_audio("dogs/growl.flac", tone(300.0, seconds=1.5))
    run(src, out)
    changed = build_gallery(out)
    # The page with growl.flac made again: its row drawn, the other three
    # copied from the old picture, which is removed.
    assert (changed.drawn, changed.reused, changed.removed) == (1, 3, 1)
    assert len(list((out / "gallery" / "thumbs").iterdir())) == 1


def test_no_waveforms_reads_no_source(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(src, out, "--png")
    result = invoke("gallery", out, "--no-waveforms")
    assert result.exit_code == 0, result.stderr
    assert all("v" not in item for item in pages(out / "gallery"))
    # The run's PNGs are shown: none to draw, and the summary says where from.
    assert "; 4 pictures from the run.\n" in result.stderr


def test_webdataset_arrays_are_read_from_their_shards(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    run(src, out, "--format", "webdataset")
    report = build_gallery(out, waveforms=False)
    assert (report.inputs, report.drawn, report.notes) == (4, 4, [])
    for item in pages(out / "gallery"):
        assert target(out / "gallery", item["i"]).is_file()
        assert "f" not in item


def test_pages_keep_the_first_load_the_same_size(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(src, out)
    entries = [
        json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()
    ]
    written = next(e for e in entries if e.get("npy") == "dogs/bark.npy")
    sizes = {}
    for n in (30, 600):
        many = [  # each its own (missing) array: the page weight is the point
            {
                **written,
                "key": f"dogs/x{i:04d}.npy",
                "npy": f"dogs/x{i:04d}.npy",
                "stamps": {},
                "source": f"dogs/x{i:04d}.wav",
            }
            for i in range(n)
        ]
        lines = "".join(json.dumps(e) + "\n" for e in many)
        (out / "manifest.jsonl").write_text(lines)
        report = build_gallery(out, waveforms=False, page_size=24)
        assert report.pages == -(-n // 24)
        gallery = out / "gallery"
        first = [gallery / "index.html", *(gallery / "data").glob("page-00000-*.js")]
        sizes[n] = sum(p.stat().st_size for p in first)
        assert len(pages(gallery)) == n
        assert len(list((gallery / "data").glob("page-*.js"))) == report.pages
    assert abs(sizes[600] - sizes[30]) < 200  # the counts' digits, no more


def test_grouping_by_a_meta_column(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(src, out)
    path = out / "manifest.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    labels = {
        "dogs/bark.npy": "bark",
        "dogs/growl.npy": "growl",
        "cats/meow.npy": "meow",
    }
    for entry in entries:
        if entry["key"] in labels:
            entry["meta"] = {"label": labels[entry["key"]], "speaker": "ann"}
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    # Not every input written has a 'label' (silence.wav): by folder, as the
    # loader labels them (melcli.labels), and a note says how to group by it.
    report = build_gallery(out, waveforms=False)
    assert summary(out / "gallery")["groupBy"] == "folder"
    assert (
        "3 of 4 inputs have a 'label' column, the others none: grouped by folder, "
        "as SpectrogramDataset labels them; --group-by label groups by it"
    ) in report.notes
    build_gallery(out, waveforms=False, group_by="label")
    groups = summary(out / "gallery")["groups"]
    assert [g[:2] for g in groups] == [
        ["(no label)", 1],
        ["bark", 1],
        ["growl", 1],
        ["meow", 1],
    ]
    assert invoke("gallery", out, "--group-by", "speaker").exit_code == 0
    assert [g[:2] for g in summary(out / "gallery")["groups"]] == [
        ["(no speaker)", 1],
        ["ann", 3],
    ]
    assert invoke("gallery", out, "--group-by", "folder").exit_code == 0
    assert summary(out / "gallery")["groupBy"] == "folder"


def test_crafted_manifest_stays_text_and_inside_out(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(src, out)
    secret = tmp_path / "secret.npy"
    np.save(secret, np.ones((4, 4), np.float32))
    (out / "link.npy").symlink_to(secret)  # a name in OUT that leads out of it
    hostile = '</script><img src=x onerror="alert(1)">\u202e\'"&amp;.wav'
    path = out / "manifest.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    entries += [
        {"key": "a.npy", "status": "written", "npy": "link.npy", "source": hostile},
        {"key": "c.npy", "status": "written", "npy": "gallery/index.html"},
        {"key": "d.npy", "status": "written", "warnings": [hostile]},
        {"key": "src:e", "status": "failed", "error": hostile},
        # The manifest module drops these on load; the gallery says so.
        {"key": "b.npy", "status": "written", "npy": "../secret.npy"},
        {"key": "f.npy", "status": "written", "png": "/etc/passwd"},
        {"key": "g.npy", "status": "written", "shape": "<b>"},
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    report = build_gallery(out, waveforms=False)
    assert report.inputs == 7
    assert any("dropped 3 invalid entries" in n for n in report.notes)
    # The gallery rebuilds nothing: it says what would.
    assert any(
        n.endswith("run 'melcli mel' again to rebuild their inputs")
        for n in report.notes
    )
    assert not any("inputs are rebuilt" in n for n in report.notes)
    gallery = out / "gallery"
    html = (gallery / "index.html").read_text()
    assert "<" not in html.split('type="application/json">')[1].split("</script>")[0]
    for file in (gallery / "data").iterdir():
        assert "<" not in file.read_text()  # escaped as \u003c, so no markup
    items = {item["n"]: item for item in pages(gallery)}
    shown = hostile.replace("\u202e", "\\u202e")  # as in log lines
    assert shown == display_path(hostile)
    assert items[shown]["w"] == []
    assert "i" not in items[shown]  # link.npy leads out of OUT: not read
    assert "i" not in items["c.npy"]  # the gallery's own files are no array
    assert items["d.npy"]["w"] == [shown]
    problems = {item["n"]: item for item in pages(gallery, "problems")}
    assert problems["e"]["r"] == shown
    assert any("array is missing" in n for n in report.notes)


def test_gallery_folder_leading_out_of_out_is_refused(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run(src, out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "gallery").symlink_to(elsewhere)
    with pytest.raises(MelcliError, match="symbolic link"):
        build_gallery(out)
    assert list(elsewhere.iterdir()) == []
    result = invoke("gallery", out)
    assert result.exit_code == 1
    assert "symbolic link" in result.stderr


def test_gallery_of_a_folder_without_manifest_says_so(tmp_path: Path) -> None:
    result = invoke("gallery", tmp_path)
    assert result.exit_code == 1
    assert f"error: {tmp_path}: no manifest.jsonl: not the output of a run; " in (
        result.stderr
    )
    assert not (tmp_path / "gallery").exists()


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
@pytest.mark.parametrize("frames", [1000, 300_001])  # one block, several
def test_waveform_envelope_is_the_min_and_max_of_each_stretch(
    write_audio: WriteAudio, subtype: str, frames: int
) -> None:
    from melcli.gallery import _soundfile_envelope

    rng = np.random.default_rng(frames)
    y = (rng.random((frames, 2)) - 0.5).astype(np.float32)
    y[frames // 3, 1] = 0.9  # a peak in one channel only
    src = write_audio("a.wav", y, subtype=subtype)
    import soundfile as sf

    stored = sf.read(src, dtype="float32")[0]  # as quantised in the file
    envelope = _soundfile_envelope(str(src), 160)
    per = -(-frames // 160)
    expected = [
        (stored[i : i + per].min(), stored[i : i + per].max())
        for i in range(0, frames, per)
    ]
    np.testing.assert_allclose(envelope, np.array(expected), atol=1e-6)


def test_pages_drawn_in_several_processes_are_the_same(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run(src, out)
    made = {}
    for jobs in (1, 2):
        report = build_gallery(out, page_size=1, jobs=jobs)  # 4 pages: 2 workers
        assert (report.pages, report.drawn, report.notes) == (
            4,
            4 if jobs == 1 else 0,
            [],
        )
        gallery = out / "gallery"
        made[jobs] = {
            p.relative_to(gallery): p.read_bytes()
            for p in sorted(gallery.rglob("*"))
            if p.is_file()
        }
    assert made[1] == made[2]  # the second build kept everything the first drew
    import shutil

    shutil.rmtree(out / "gallery")
    report = build_gallery(out, page_size=1, jobs=2)
    assert (report.drawn, report.reused) == (4, 0)
    fresh = {
        p.relative_to(out / "gallery"): p.read_bytes()
        for p in sorted((out / "gallery").rglob("*"))
        if p.is_file()
    }
    assert fresh == made[1]


def test_inputs_listed_with_labels_are_grouped_by_label(
    src: Path, tmp_path: Path
) -> None:
    table = src / "list.csv"
    table.write_text(
        "path,label\ndogs/bark.wav,bark\ndogs/growl.flac,growl\ncats/meow.wav,meow\n"
    )
    out = tmp_path / "out"
    result = invoke("mel", "--files-from", table, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.stderr
    result = invoke("gallery", out, "--no-waveforms")
    assert result.exit_code == 0, result.stderr
    data = summary(out / "gallery")
    assert data["groupBy"] == "label"
    assert [g[:2] for g in data["groups"]] == [["bark", 1], ["growl", 1], ["meow", 1]]


def test_waveforms_the_run_recorded_are_used_without_reading_sources(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    run(src, out)
    recorded = {
        e["source"]: e["wave"]
        for e in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())
        if "wave" in e
    }
    assert len(recorded) == 4

    def no_reading(source: str) -> str:
        raise AssertionError(f"{source} read")

    monkeypatch.setattr("melcli.gallery._wave_data", no_reading)
    report = build_gallery(out)
    assert report.notes == []
    items = {item["n"]: item for item in pages(out / "gallery")}
    for name, wave in recorded.items():
        assert items[name]["v"] == wave["env"]
    cache = json.loads((out / "gallery" / "cache.json").read_text())
    assert cache["waves"] == {}  # nothing read, nothing kept


def test_older_outputs_without_waveforms_read_the_sources_once(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    # 22016 samples: 128 stretches of 172, alike in the recorded and read envelopes.
    write_audio("a/noise.wav", noise(seed=5)[:22016])
    write_audio("a/tone.flac", tone(300.0)[:22016])
    src, out = tmp_path / "audio", tmp_path / "out"
    run(src, out)
    path = out / "manifest.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    recorded = {e["source"]: e.pop("wave") for e in entries}
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))  # an older OUT
    first = build_gallery(out, read_sources=True)
    assert (first.drawn, first.reused) == (2, 0)  # pictures
    assert (first.waves_read, first.waves_reused) == (2, 0)
    assert first.unrecorded == 0
    items = {item["n"]: item for item in pages(out / "gallery")}
    for name, wave in recorded.items():
        read = waveform.decode(items[name]["v"])
        np.testing.assert_allclose(read, waveform.decode(wave["env"]), atol=0.04)
        assert "pk" not in items[name]  # levels: only what the run recorded
    again = build_gallery(out, read_sources=True)
    assert (again.drawn, again.reused) == (0, 2)
    assert (again.waves_read, again.waves_reused) == (0, 2)  # kept in cache.json
    said = invoke("gallery", out, "--read-sources").stderr.splitlines()[-1]
    assert said.endswith(
        ": 2 inputs in 1 group, 0 failed, 0 skipped; 0 pictures drawn, 2 kept; "
        "0 waveforms read from the sources, 2 kept."
    )
    assert [i["v"] for i in pages(out / "gallery")] == [i["v"] for i in items.values()]


def test_sources_a_manifest_names_are_not_read_unless_asked(
    write_audio: WriteAudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crafted (or older) manifest without "wave" names a file outside OUT:
    # by default its samples are not read, nor copied into OUT's pages.
    write_audio("a/tone.wav", tone(300.0))
    secret = write_audio("secret.wav", noise(seed=9), root=tmp_path / "elsewhere")
    src, out = tmp_path / "audio", tmp_path / "out"
    run(src, out)
    path = out / "manifest.jsonl"
    (entry,) = [json.loads(line) for line in path.read_text().splitlines()]
    del entry["wave"]
    entry["source"] = entry["source_abs"] = str(secret)
    path.write_text(json.dumps(entry) + "\n")
    read: list[str] = []
    monkeypatch.setattr("melcli.gallery._wave_data", lambda s: read.append(s) or "")

    report = build_gallery(out)
    assert read == []
    assert report.unrecorded == 1
    assert all("v" not in item for item in pages(out / "gallery"))
    result = invoke("gallery", out)
    assert result.exit_code == 0, result.stderr
    assert "1 input shown without a waveform" in result.stderr
    assert "--read-sources" in result.stderr
    assert read == []

    report = build_gallery(out, read_sources=True)
    assert read == [str(secret)]
    assert report.unrecorded == 0


def test_clipped_inputs_are_flagged(write_audio: WriteAudio, tmp_path: Path) -> None:
    write_audio("loud.wav", np.clip(tone(440.0, amplitude=3.0), -1, 1))
    write_audio("fine.wav", tone(440.0))
    src, out = tmp_path / "audio", tmp_path / "out"
    run(src, out)
    build_gallery(out)
    items = {item["n"]: item for item in pages(out / "gallery")}
    assert (items["loud.wav"]["c"], items["fine.wav"]["c"]) == (True, False)
    assert items["loud.wav"]["pk"] == pytest.approx(0.0, abs=0.1)
    assert summary(out / "gallery")["clipped"] == 1


def test_group_by_a_column_no_entry_has_is_a_usage_error(
    src: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run(src, out)
    result = invoke("gallery", out, "--group-by", "nope")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--group-by': 'nope' is not a column of the "
        "manifest's meta labels; choose one of 'folder'"
    )
    assert not (out / "gallery").exists()


def test_group_by_lists_the_meta_columns(
    write_audio: WriteAudio, tmp_path: Path
) -> None:
    write_audio("a.wav", noise(seed=1))
    listing = tmp_path / "meta.csv"
    listing.write_text("path,speaker,split\naudio/a.wav,ann,train\n")
    out = tmp_path / "out"
    assert invoke("mel", "--files-from", listing, "-o", out, "-j", "1").exit_code == 0
    with pytest.raises(MelcliError, match="choose one of 'folder', 'speaker', 'split'"):
        build_gallery(out, group_by="nope")
    result = invoke("gallery", out, "--group-by", "speaker")
    assert result.exit_code == 0, result.stderr
    # One of each: no "1 inputs in 1 groups".
    assert ": 1 input in 1 group, 0 failed, 0 skipped; 1 picture drawn, 0 kept." in (
        result.stderr
    )


def test_no_gallery_is_made_while_a_run_writes_to_out(
    src: Path, tmp_path: Path
) -> None:
    from melcli.errors import UsageError
    from melcli.outdir import OutputLock

    out = tmp_path / "out"
    run(src, out)
    with OutputLock(out):  # as a run holds it
        with pytest.raises(UsageError, match="another melcli run"):
            build_gallery(out, jobs=1)
        result = invoke("gallery", str(out), "-j", "1")
    assert result.exit_code == 2, result.output
    assert "another melcli run" in result.stderr
    assert not (out / "gallery").exists()
    assert build_gallery(out, jobs=1).inputs  # and once the run is done


# -----------------------------------------------------------------------------
# Names that are not valid UTF-8 reach the gallery: its links are the names' bytes.
#
# Linux names are bytes; Python holds one that is not UTF-8 with ``\udcXX``
# escapes, which ``urllib.parse.quote`` cannot encode: ``melcli gallery`` ended
# with a ``UnicodeEncodeError`` traceback for an OUT holding ``caf\xe9.wav``'s
# array and PNG, in either storage format.


NAMES = (b"caf\xe9.wav", b"\xff\xfe.wav", b"plain.wav")


@pytest.mark.parametrize("options", [["--png"], ["--format", "webdataset"]])
def test_gallery_links_names_that_are_not_utf8(
    tmp_path: Path, options: list[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for k, name in enumerate(NAMES):
        path = os.path.join(os.fsencode(src), name)
        sf.write(path, tone(300.0 + 100 * k, sr=8000, seconds=0.2), 8000, format="WAV")
    out = tmp_path / "out"
    assert invoke("mel", src, "-o", out, "-j", "1", *options).exit_code == 0

    result = invoke("gallery", out)

    assert result.exit_code == 0, result.stderr
    cards = pages(out / "gallery")
    assert len(cards) == len(NAMES)
    gallery = os.fsencode(out / "gallery")
    linked = set()
    for card in cards:
        for field in ("a", "f") if "--png" in options else ("a",):
            target = os.path.join(gallery, unquote_to_bytes(card[field]))
            assert os.path.isfile(target), (card["n"], card[field])
        linked.add(os.path.basename(unquote_to_bytes(card["a"])))
    assert linked == set(NAMES)
