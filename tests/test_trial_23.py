"""A newcomer's trial (session 23): messages that name the right thing.

Each test here failed on the code before its fix.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import soundfile as sf
from conftest import invoke, short_tones

import melcli


def _esc50(tmp_path: Path) -> Path:
    """An ESC-50-shaped table beside three clips: ``meta/esc50.csv``, ``audio/``."""
    short_tones(tmp_path / "audio")
    meta = tmp_path / "meta"
    meta.mkdir()
    rows = "".join(f"{k}.wav,{3 - k},dog\n" for k in range(3))  # folds: 3, 2, 1
    (meta / "esc50.csv").write_text("filename,fold,category\n" + rows)
    return meta / "esc50.csv"


@pytest.mark.parametrize("column", ["nope", "fold{fold}/{nope}", "fold{fold"])
def test_a_path_column_error_names_path_column(tmp_path: Path, column: str) -> None:
    table = _esc50(tmp_path)
    result = invoke(
        "mel", "--files-from", table, "--path-column", column, "-o", tmp_path / "o"
    )
    assert result.exit_code == 2
    assert "Error: Invalid value for '--path-column': " in result.stderr
    with pytest.raises(melcli.UsageError) as info:
        melcli.run([], tmp_path / "o", files_from=table, path_column=column)
    assert info.value.param == "path_column"


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: melcli.params.RenderParams(style="x").validate(), "style"),
        (lambda: melcli.probe(3), "path"),
        (lambda: melcli.write_stats("features", dest=3), "dest"),
        (lambda: melcli.write_stats("features", paths=3), "paths"),
    ],
)
def test_the_api_refuses_a_wrong_type_naming_its_keyword(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call, param: str
) -> None:
    monkeypatch.chdir(tmp_path)
    short_tones(tmp_path / "audio")
    melcli.run(["audio"], "features", jobs=1)
    with pytest.raises(melcli.ParameterError) as info:
        call()
    assert info.value.param == param
    assert str(info.value).startswith(f"{param}")


def test_the_api_takes_out_as_bytes(tmp_path: Path) -> None:
    short_tones(tmp_path / "audio")
    out = tmp_path / "features"
    report = melcli.run([tmp_path / "audio"], bytes(out), jobs=1)
    assert report.summary() == "3 written."
    assert sorted(p.name for p in out.glob("*.npy")) == ["0.npy", "1.npy", "2.npy"]
    assert melcli.write_stats(bytes(out)).count > 0


def test_the_command_names_png_style(tmp_path: Path) -> None:
    short_tones(tmp_path / "audio")
    result = invoke(
        "mel",
        tmp_path / "audio",
        "-o",
        tmp_path / "o",
        "--png",
        "--png-style",
        "image",
        "--waveform",
    )
    assert result.exit_code == 2
    assert "--waveform needs --png-style figure" in result.stderr


def test_a_preset_with_another_kind_warns_it_is_not_the_model_s() -> None:
    with pytest.warns(UserWarning, match=r"^kind='fbank' does not read preset "):
        params = melcli.preset_params("whisper", kind="fbank")
    assert params.kind == "fbank"
    with pytest.warns(UserWarning, match=r"the output is not whisper's$"):
        melcli.preset_params("whisper", kind="fbank")


def test_a_preset_with_its_own_kind_or_other_overrides_says_nothing() -> None:
    assert melcli.preset_params("ast", kind="fbank").num_mel_bins == 128
    assert melcli.preset_params("whisper", n_mels=128).n_mels == 128


def _folds(root: Path) -> Path:
    """UrbanSound8K's shape: ``audio/fold1/...``, ``audio/fold2/...``."""
    (root / "audio").mkdir()
    for fold in ("fold1", "fold2"):
        short_tones(root / "audio" / fold, 2)
    return root / "audio"


def test_an_include_naming_no_folder_says_which_folders_there_are(
    tmp_path: Path,
) -> None:
    src = _folds(tmp_path)
    report = melcli.run([src], tmp_path / "o", include="SUB/*", dry_run=True)
    assert report.warnings == [
        "--include 'SUB/*' took none of 4 files found: patterns are matched "
        f"against each path relative to its SRC, and no path under {src} begins "
        "with SUB/ (its folders: fold1, fold2)"
    ]


@pytest.mark.parametrize(
    ("pattern", "fix", "n"),
    [
        ("{src}/fold1/*", "fold1/*", 2),  # from the top
        ("audio/fold1/*", "fold1/*", 2),  # from SRC's parent
        ("fold2/*", None, 0),  # as meant: takes its files, nothing said
    ],
)
def test_an_include_written_from_elsewhere_says_the_pattern_that_takes(
    tmp_path: Path, pattern: str, fix: str | None, n: int
) -> None:
    src = _folds(tmp_path)
    pattern = pattern.format(src=src)
    result = invoke("mel", src, "-o", tmp_path / "o", "--include", pattern, "--dry-run")
    warned = [line for line in result.stderr.splitlines() if "warning" in line]
    if fix is None:
        assert warned == []
        return
    [line] = warned
    assert line.endswith(f"; --include '{fix}' takes {n} of them")
    again = invoke("mel", src, "-o", tmp_path / "o", "--include", fix, "--dry-run")
    assert "warning" not in again.stderr


def test_an_include_from_a_folder_inside_src_says_so(tmp_path: Path) -> None:
    _folds(tmp_path)  # SRC tmp_path: paths are audio/fold1/...
    report = melcli.run([tmp_path], tmp_path / "o", include="fold1/*", dry_run=True)
    [line] = report.warnings
    assert line.endswith("; --include '*/fold1/*' takes 2 of them")


def test_a_table_in_the_tree_is_said_when_arrays_are_made_not_on_each_re_run(
    tmp_path: Path,
) -> None:
    _esc50(tmp_path)  # tmp_path/audio and tmp_path/meta/esc50.csv
    out = tmp_path / "features"
    said = "meta/esc50.csv was passed over, and it is a table of files"
    first = melcli.run([tmp_path], out, jobs=1)
    assert any(said in w for w in first.warnings)
    again = melcli.run([tmp_path], out, jobs=1)
    assert again.count(melcli.Status.UP_TO_DATE) == 3
    assert not any(said in w for w in again.warnings)
    plan = melcli.run([tmp_path], out, dry_run=True)
    assert not any(said in w for w in plan.warnings)
    (tmp_path / "audio" / "0.wav").write_bytes((tmp_path / "audio/1.wav").read_bytes())
    plan = melcli.run([tmp_path], out, dry_run=True)  # 0.wav changed: one to build
    assert any(said in w for w in plan.warnings)
    result = invoke("mel", tmp_path, "-o", out, "-j", "1")
    assert said in result.stderr


def _sprites(gallery: Path) -> dict[str, object]:
    import numpy as np
    from PIL import Image

    return {
        p.name: np.asarray(Image.open(p)) for p in sorted(gallery.glob("thumbs/*.png"))
    }


def test_a_gallery_regrouped_copies_its_thumbnails_rather_than_draw_them(
    tmp_path: Path,
) -> None:
    import numpy as np

    table = _esc50(tmp_path)
    out = tmp_path / "features"
    melcli.run([], out, files_from=table, root=tmp_path / "audio", jobs=1)
    first = melcli.build_gallery(out, jobs=1, group_by="folder")
    assert (first.drawn, first.reused) == (3, 0)
    again = melcli.build_gallery(out, jobs=1, group_by="fold")  # other pages
    assert (again.drawn, again.reused) == (0, 3)
    copied = _sprites(out / "gallery")
    shutil.rmtree(out / "gallery")
    fresh = melcli.build_gallery(out, jobs=1, group_by="fold")
    assert fresh.drawn == 3
    drawn = _sprites(out / "gallery")
    assert copied.keys() == drawn.keys()
    for name, pixels in drawn.items():
        assert np.array_equal(copied[name], pixels)


def test_a_gallery_links_the_sprite_it_wrote_when_a_picture_fails(
    tmp_path: Path,
) -> None:
    table = _esc50(tmp_path)
    out = tmp_path / "features"
    melcli.run([], out, files_from=table, root=tmp_path / "audio", jobs=1)
    (out / "0.npy").write_bytes((out / "0.npy").read_bytes()[:200])
    report = melcli.build_gallery(out, jobs=1)
    assert report.drawn == 2
    assert any("0.wav: no picture" in note for note in report.notes)
    (path,) = (out / "gallery/data").glob("page-00000-*.js")
    page = path.read_text()
    linked = set(re.findall(r'"i":"thumbs/(p-[0-9a-f]+\.png)"', page))
    assert len(linked) == 1
    assert (out / "gallery/thumbs" / linked.pop()).is_file()
    again = melcli.build_gallery(out, jobs=1, group_by="fold")
    assert (again.drawn, again.reused) == (0, 2)  # the good ones copied
    assert any("0.wav: no picture" in note for note in again.notes)


def test_info_has_a_streaming_form_the_command_prints(tmp_path: Path) -> None:
    import json

    from melcli.inventory import iter_info

    src = short_tones(tmp_path / "audio")
    (src / "broken.wav").write_bytes(b"RIFF")
    scan = iter_info(src)
    assert scan.inventory.rows == []
    assert scan.inventory.failures == []
    seen = iter(scan)
    path, row, reason = next(seen)  # one header read: one row so far
    assert (path.name, reason) == ("0.wav", "")
    assert scan.inventory.rows == [row]
    rest = list(seen)
    assert [p.name for p, _, _ in rest] == ["1.wav", "2.wav", "broken.wav"]
    assert [p.name for p, _ in scan.inventory.failures] == ["broken.wav"]
    assert scan.inventory.rows == melcli.info(src).rows
    streamed = iter_info(src, keep_rows=False)
    rows = [row for _, row, _ in streamed if row is not None]
    assert streamed.inventory.rows == []
    assert len(rows) == 3
    result = invoke("info", src, "--json")
    assert [json.loads(line) for line in result.stdout.splitlines()] == rows
    assert result.exit_code == scan.inventory.exit_code == 1


def test_inputs_that_clash_say_when_they_are_broken_too(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 2)  # 0.wav, 1.wav: whole
    whole = (src / "0.wav").read_bytes()
    (src / "0.flac").write_bytes(whole[:100])  # not audio as a FLAC
    (src / "1.wav").write_bytes((src / "1.wav").read_bytes()[:1000])  # cut
    (src / "1.flac").write_bytes(whole)  # a WAV named .flac, whole
    plan = melcli.run([src], tmp_path / "o", dry_run=True)
    reasons = {path.name: why for path, why in plan.errors}
    own = ", and it fails on its own: "
    assert own not in reasons["0.wav"]
    assert own not in reasons["1.flac"]
    faults = {}
    for name in ("0.flac", "1.wav"):  # as melcli info says them
        with pytest.raises(melcli.AudioError) as info:
            melcli.probe(src / name)
        faults[name] = str(info.value)
        assert reasons[name].endswith(f"{own}{faults[name]}")
    assert faults["1.wav"].startswith("truncated: decoded ")
    result = invoke("mel", src, "-o", tmp_path / "o", "-j", "1")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    line = next(s for s in lines if s.startswith(f"error: {src}/1.wav: "))
    assert f"output {tmp_path}/o/1.npy would also be written by " in line
    assert line.endswith(f"{own}{faults['1.wav']}")


def test_a_dry_run_sees_empty_files_and_says_why_a_file_failed_before(
    tmp_path: Path,
) -> None:
    src = short_tones(tmp_path / "audio", 2)
    (src / "empty.wav").write_bytes(b"")
    (src / "text.wav").write_text("hello\n")
    out = tmp_path / "o"
    plan = melcli.run([src], out, dry_run=True)
    assert plan.errors == [(src / "empty.wav", "empty file (0 bytes)")]
    assert [p.name for p, _ in plan.builds] == ["0.wav", "1.wav", "text.wav"]
    dry = invoke("mel", src, "-o", out, "--dry-run")
    assert dry.exit_code == 1
    assert dry.stderr.splitlines()[-1] == (
        "3 to build, 0 up to date, 1 would fail (dry run: nothing written, "
        "nothing decoded)."
    )
    report = melcli.run([src], out, jobs=1)
    failed = dict((r.src.name, r.reason) for r in report.failures)
    assert set(failed) == {"empty.wav", "text.wav"}
    plan = melcli.run([src], out, dry_run=True)
    assert plan.builds == [
        (src / "text.wav", f"failed last time: {failed['text.wav']}")
    ]
    assert plan.errors == [(src / "empty.wav", failed["empty.wav"])]


def test_truncated_keep_redoes_only_the_files_it_changes(tmp_path: Path) -> None:
    import numpy as np

    src = short_tones(tmp_path / "audio", 3)
    whole = (src / "2.wav").read_bytes()
    (src / "2.wav").write_bytes(whole[: len(whole) // 2])  # cut short
    nan = np.full(800, 0.1, np.float32)
    nan[5] = np.nan
    sf.write(src / "nan.wav", nan, 8000, subtype="FLOAT")
    out = tmp_path / "o"
    first = melcli.run([src], out, jobs=1)
    assert (first.count(melcli.Status.WRITTEN), len(first.failures)) == (2, 2)
    keep = melcli.MelParams(truncated="keep")
    kept = melcli.run([src], out, jobs=1, params=keep)
    assert [r.src.name for r in kept.with_status(melcli.Status.WRITTEN)] == ["2.wav"]
    assert kept.count(melcli.Status.UP_TO_DATE) == 2
    assert [r.src.name for r in kept.failures] == ["nan.wav"]
    again = melcli.run([src], out, jobs=1, params=keep)
    assert again.count(melcli.Status.UP_TO_DATE) == 3
    both = keep.replace(non_finite="zero")
    zeroed = melcli.run([src], out, jobs=1, params=both)
    assert [r.src.name for r in zeroed.with_status(melcli.Status.WRITTEN)] == [
        "nan.wav"
    ]
    plan = melcli.run([src], out, dry_run=True)  # the defaults: fail both
    assert sorted(p.name for p, _ in plan.builds) == ["2.wav", "nan.wav"]
    assert plan.up_to_date == 2
    back = melcli.run([src], out, jobs=1)
    assert sorted(r.src.name for r in back.failures) == ["2.wav", "nan.wav"]
    assert not (out / "2.npy").exists()  # a cut file is not left as if whole
    assert not (out / "nan.npy").exists()
    assert back.count(melcli.Status.UP_TO_DATE) == 2
