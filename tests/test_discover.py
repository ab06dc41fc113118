from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from melcli import discover
from melcli.discover import (
    DEFAULT_EXTENSIONS,
    Found,
    Job,
    Problem,
    Skipped,
    find_audio,
    normalize_extensions,
    plan,
    subtrees,
)
from melcli.errors import ParameterError


def touch(root: Path, *rels: str) -> Path:
    """Create empty files under ``root`` (discovery never opens them)."""
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return root


def npys(jobs: list[Job], out: Path) -> list[str]:
    """Each job's .npy as a POSIX path relative to ``out``."""
    return [j.npy.relative_to(out).as_posix() for j in jobs]


# ------------------------------------------------------------------ mirroring
def test_nested_tree_is_mirrored_into_out(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = plan([dataset], out)
    by_src = {j.src: j for j in result.jobs}
    assert by_src.keys() == {
        dataset / "dogs/bark1.wav",
        dataset / "dogs/bark2.flac",
        dataset / "birds/tweet.wav",
        dataset / "birds/deep/chirp.flac",
    }
    bark = by_src[dataset / "dogs/bark1.wav"]
    assert bark == Job(
        src=dataset / "dogs/bark1.wav",
        rel="dogs/bark1.wav",
        npy=out / "dogs/bark1.npy",
        png=None,
    )
    assert by_src[dataset / "birds/deep/chirp.flac"].npy == (
        out / "birds/deep/chirp.npy"
    )
    assert result.skipped == []
    assert result.problems == []


def test_png_is_planned_next_to_the_npy(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = plan([dataset], out, png=True)
    bark = next(j for j in result.jobs if j.rel == "dogs/bark1.wav")
    assert bark.npy == out / "dogs/bark1.npy"
    assert bark.png == out / "dogs/bark1.png"
    assert bark.outputs == (out / "dogs/bark1.npy", out / "dogs/bark1.png")
    assert all(j.png is not None for j in result.jobs)


@pytest.mark.parametrize(
    ("name", "npy"),
    [
        ("clip.wav", "clip.npy"),
        ("clip.M4A", "clip.npy"),
        ("notes.txt", "notes.npy"),
        ("noextension", "noextension.npy"),
        ("take.1.flac", "take.1.npy"),
        (".hidden.wav", ".hidden.npy"),
    ],
)
def test_file_given_directly_maps_to_out_stem_whatever_its_extension(
    tmp_path: Path, name: str, npy: str
) -> None:
    src = touch(tmp_path / "deep/down", name) / name
    out = tmp_path / "out"
    result = plan([src], out)
    assert result.jobs == [Job(src=src, rel=name, npy=out / npy)]
    assert result.skipped == []
    assert result.problems == []


def test_several_folders_each_get_a_subfolder_files_go_to_the_root(
    tmp_path: Path,
) -> None:
    a = touch(tmp_path / "a", "dogs/x.wav")
    b = touch(tmp_path / "b", "cats/y.wav")
    c = touch(tmp_path / "loose", "c.flac") / "c.flac"
    out = tmp_path / "out"
    result = plan([a, b, c], out)
    assert [(j.src, j.rel, j.npy) for j in result.jobs] == [
        (a / "dogs/x.wav", "a/dogs/x.wav", out / "a/dogs/x.npy"),
        (b / "cats/y.wav", "b/cats/y.wav", out / "b/cats/y.npy"),
        (c, "c.flac", out / "c.npy"),
    ]


def test_one_folder_next_to_files_is_mirrored_into_out_itself(
    tmp_path: Path,
) -> None:
    a = touch(tmp_path / "a", "dogs/x.wav")
    c = touch(tmp_path / "loose", "c.flac") / "c.flac"
    out = tmp_path / "out"
    assert npys(plan([a, c, a], out).jobs, out) == ["dogs/x.npy", "c.npy"]


def test_folders_with_overlapping_names_write_every_file(tmp_path: Path) -> None:
    pirate = touch(tmp_path / "voices/Pirate", "hello.wav", "sub/bye.wav")
    robot = touch(tmp_path / "voices/Robot", "hello.wav", "sub/bye.wav")
    out = tmp_path / "out"
    result = plan([pirate, robot], out)
    assert result.problems == []
    assert npys(result.jobs, out) == [
        "Pirate/hello.npy",
        "Pirate/sub/bye.npy",
        "Robot/hello.npy",
        "Robot/sub/bye.npy",
    ]


def test_folders_sharing_a_base_name_are_told_apart_by_their_parents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path / "x/a/voices", "v.wav")
    touch(tmp_path / "y/b/voices", "v.wav")
    touch(tmp_path / "x/b/voices", "v.wav")
    monkeypatch.chdir(tmp_path)
    assert subtrees(["x/a/voices", "y/b/voices", "x/b/voices", "x/a/voices/"]) == {
        "x/a/voices": "a/voices/",
        "y/b/voices": "y/b/voices/",
        "x/b/voices": "x/b/voices/",
        "x/a/voices/": "a/voices/",
    }
    result = plan([Path("x/a/voices"), Path("y/b/voices")], "out")
    assert npys(result.jobs, Path("out")) == ["a/voices/v.npy", "b/voices/v.npy"]
    # A folder named like the current one: its absolute path names it.
    monkeypatch.chdir(tmp_path / "x/a/voices")
    assert subtrees([".", "../../b/voices"]) == {
        ".": "a/voices/",
        "../../b/voices": "b/voices/",
    }


def test_the_same_file_reached_twice_the_same_way_is_one_job(
    tmp_path: Path,
) -> None:
    src = touch(tmp_path / "src", "a.wav")
    out = tmp_path / "out"
    result = plan([src, src, src / "a.wav"], out)
    assert result.jobs == [Job(src=src / "a.wav", rel="a.wav", npy=out / "a.npy")]
    assert result.problems == []


def test_the_same_file_reached_by_two_spellings_is_one_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path / "src", "a.wav")
    monkeypatch.chdir(tmp_path)
    result = plan([Path("src"), tmp_path / "src"], tmp_path / "out")
    assert result.problems == []
    assert npys(result.jobs, tmp_path / "out") == ["a.npy"]


@pytest.mark.parametrize(
    "name",
    [
        "with space.wav",
        "  leading and trailing  .wav",
        "-rf.wav",
        "--help.wav",
        "Müller_声.wav",
        "🐶 bark.flac",
        "a'quote\".wav",
    ],
)
def test_awkward_names_mirror_unchanged(tmp_path: Path, name: str) -> None:
    src = touch(tmp_path / "src", f"-dir with space/{name}")
    out = tmp_path / "out"
    result = plan([src], out)
    stem = name.rsplit(".", 1)[0]
    assert npys(result.jobs, out) == [f"-dir with space/{stem}.npy"]
    assert result.jobs[0].rel == f"-dir with space/{name}"


def test_undecodable_name_mirrors_with_the_same_bytes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / os.fsdecode(b"caf\xe9.wav")).write_bytes(b"")
    out = tmp_path / "out"
    result = plan([src], out)
    assert [os.fsencode(j.npy) for j in result.jobs] == [
        os.fsencode(out) + b"/caf\xe9.npy"
    ]


# -------------------------------------------------------------------- order
def test_jobs_follow_sorted_names_not_the_order_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = touch(tmp_path / "src", "c/z.wav", "a.wav", "b/y.wav", "b/x.wav", "B.wav")
    out = tmp_path / "out"
    expected = ["B.npy", "a.npy", "b/x.npy", "b/y.npy", "c/z.npy"]
    assert npys(plan([src], out).jobs, out) == expected

    real_listdir = os.listdir

    def reversed_listdir(path: Path) -> list[str]:
        """os.listdir with its names handed out in reverse order."""
        return real_listdir(path)[::-1]

    monkeypatch.setattr(os, "listdir", reversed_listdir)
    assert npys(plan([src], out).jobs, out) == expected


def test_jobs_are_in_sorted_path_order(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert [j.rel for j in plan([dataset], out).jobs] == [
        "birds/deep/chirp.flac",
        "birds/tweet.wav",
        "dogs/bark1.wav",
        "dogs/bark2.flac",
    ]


# --------------------------------------------------------------- extensions
def test_extension_filter_is_case_insensitive(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "X.WAV", "y.Flac", "z.wav", "notes.txt", "README")
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["X.WAV", "y.Flac", "z.wav"]
    assert result.skipped == [
        Skipped(src / "README", "not an audio extension"),
        Skipped(src / "notes.txt", "not an audio extension"),
    ]


def test_normalize_extensions() -> None:
    assert normalize_extensions([".WAV", " flac", "Ogg ", "", "  "]) == frozenset(
        {"wav", "flac", "ogg"}
    )


def test_custom_extensions_replace_the_defaults(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "a.WAV", "b.flac", "c.ogg", "d.mp3")
    result = plan([src], tmp_path / "out", extensions=[".WAV", " flac"])
    assert [j.rel for j in result.jobs] == ["a.WAV", "b.flac"]
    assert result.skipped == [
        Skipped(src / "c.ogg", "not an audio extension"),
        Skipped(src / "d.mp3", "not an audio extension"),
    ]


# ---------------------------------------------------------- include/exclude
def test_include_matches_the_path_relative_to_the_input(
    dataset: Path, tmp_path: Path
) -> None:
    result = plan([dataset], tmp_path / "out", include=["dogs/*"])
    assert [j.rel for j in result.jobs] == ["dogs/bark1.wav", "dogs/bark2.flac"]
    assert set(result.skipped) == {
        Skipped(dataset / "birds/tweet.wav", "does not match --include"),
        Skipped(dataset / "birds/deep/chirp.flac", "does not match --include"),
    }


def test_exclude_matches_the_path_relative_to_the_input(
    dataset: Path, tmp_path: Path
) -> None:
    result = plan([dataset], tmp_path / "out", exclude=["*2.flac"])
    assert sorted(j.rel for j in result.jobs) == [
        "birds/deep/chirp.flac",
        "birds/tweet.wav",
        "dogs/bark1.wav",
    ]
    assert result.skipped == [Skipped(dataset / "dogs/bark2.flac", "matches --exclude")]


def test_star_in_a_pattern_crosses_folders(dataset: Path, tmp_path: Path) -> None:
    result = plan([dataset], tmp_path / "out", include=["birds/*.flac"])
    assert [j.rel for j in result.jobs] == ["birds/deep/chirp.flac"]


def test_exclude_wins_over_include(dataset: Path, tmp_path: Path) -> None:
    result = plan([dataset], tmp_path / "out", include=["dogs/*"], exclude=["*bark1*"])
    assert [j.rel for j in result.jobs] == ["dogs/bark2.flac"]


def test_patterns_apply_to_the_name_of_a_file_given_directly(
    tmp_path: Path,
) -> None:
    src = touch(tmp_path / "src", "keep.wav", "drop.wav")
    result = find_audio([src / "keep.wav", src / "drop.wav"], exclude=["drop*"])
    assert result.files == [(src / "keep.wav", "keep.wav")]
    assert result.skipped == [Skipped(src / "drop.wav", "matches --exclude")]


# --------------------------------------------------------- skipped reasons
def test_hidden_files_and_folders_are_skipped_and_not_entered(
    tmp_path: Path,
) -> None:
    src = touch(
        tmp_path / "src",
        "good.wav",
        ".hidden.wav",
        "._good.wav",
        ".git/x.wav",
        "dogs/.cache/y.wav",
        "dogs/bark.wav",
    )
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["dogs/bark.wav", "good.wav"]
    assert set(result.skipped) == {
        Skipped(src / ".hidden.wav", "hidden"),
        Skipped(src / "._good.wav", "hidden"),
        Skipped(src / ".git", "hidden"),
        Skipped(src / "dogs/.cache", "hidden"),
    }
    assert result.problems == []


@pytest.mark.parametrize("target", ["..", ".", "../.."])
def test_symlink_loop_is_skipped_without_hanging(tmp_path: Path, target: str) -> None:
    src = touch(tmp_path / "src", "top.wav", "dogs/deep/bark.wav")
    (src / "dogs/deep/loop").symlink_to(target, target_is_directory=True)
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["dogs/deep/bark.wav", "top.wav"]
    assert result.skipped == [Skipped(src / "dogs/deep/loop", "symlink loop")]


def test_symlink_to_another_folder_is_followed(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "real/a.wav")
    (src / "link").symlink_to("real", target_is_directory=True)
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["link/a.wav", "real/a.wav"]


def test_dangling_symlink_is_skipped_with_reason(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "ok.wav")
    (src / "gone.wav").symlink_to("missing.wav")
    (src / "gone_dir").symlink_to("missing_dir", target_is_directory=True)
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["ok.wav"]
    assert result.skipped == [
        Skipped(src / "gone.wav", "dangling symlink"),
        Skipped(src / "gone_dir", "dangling symlink"),
    ]
    assert result.problems == []


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads folders whatever their permissions"
)
def test_unreadable_folder_is_a_problem(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "a.wav", "locked/b.wav", "z/c.wav")
    (src / "locked").chmod(0)
    try:
        result = plan([src], tmp_path / "out")
    finally:
        (src / "locked").chmod(0o755)
    assert [j.rel for j in result.jobs] == ["a.wav", "z/c.wav"]
    assert result.problems == [
        Problem(src / "locked", "cannot read folder: permission denied")
    ]


def test_unreadable_folder_is_a_problem_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = touch(tmp_path / "src", "a.wav", "locked/b.wav", "z/c.wav")
    real_listdir = os.listdir

    def listdir(path: Path) -> object:
        if Path(path) == src / "locked":
            err = errno.EACCES
            raise PermissionError(err, os.strerror(err), os.fspath(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["a.wav", "z/c.wav"]
    assert result.problems == [
        Problem(src / "locked", "cannot read folder: permission denied")
    ]


# ----------------------------------------------------------- output folder
@pytest.mark.parametrize("spelling", ["absolute", "relative", "symlink"])
def test_out_inside_src_is_never_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    src = touch(
        tmp_path / "src",
        "dogs/bark.wav",
        # Left by an earlier run, plus audio a user dropped there.
        "features/dogs/bark.npy",
        "features/dogs/bark.png",
        "features/stray.wav",
    )
    monkeypatch.chdir(tmp_path)
    out = {
        "absolute": src / "features",
        "relative": Path("src/features"),
        "symlink": Path("out-link"),
    }[spelling]
    Path("out-link").symlink_to(src / "features", target_is_directory=True)

    result = plan([src], out, extensions={"wav", "npy", "png"})

    assert [j.rel for j in result.jobs] == ["dogs/bark.wav"]
    assert result.skipped == [Skipped(src / "features", "output folder")]
    assert result.problems == []


def test_source_that_is_the_output_folder_is_reported(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "a.wav")
    result = plan([src], src)
    assert result.jobs == []
    assert result.skipped == [Skipped(src, "output folder")]


# --------------------------------------------------------------- collisions
def test_colliding_outputs_are_problems_naming_each_other(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "a.wav", "a.flac", "b.wav", "sub/a.wav")
    out = tmp_path / "out"
    result = plan([src], out)
    assert npys(result.jobs, out) == ["b.npy", "sub/a.npy"]
    assert {p.path: p.reason for p in result.problems} == {
        src / "a.wav": f"output {out / 'a.npy'} would also be written by "
        f"{src / 'a.flac'}",
        src / "a.flac": f"output {out / 'a.npy'} would also be written by "
        f"{src / 'a.wav'}",
    }


def test_colliding_outputs_with_png_give_one_problem_per_file(
    tmp_path: Path,
) -> None:
    src = touch(tmp_path / "src", "a.wav", "a.flac", "b.wav")
    result = plan([src], tmp_path / "out", png=True)
    assert [j.rel for j in result.jobs] == ["b.wav"]
    assert sorted(p.path.name for p in result.problems) == ["a.flac", "a.wav"]


def test_three_way_collision_names_both_others(tmp_path: Path) -> None:
    src = touch(tmp_path / "src", "a.wav", "a.flac", "a.ogg")
    out = tmp_path / "out"
    result = plan([src], out)
    assert result.jobs == []
    reasons = {p.path.name: p.reason for p in result.problems}
    assert reasons["a.ogg"] == (
        f"output {out / 'a.npy'} would also be written by "
        f"{src / 'a.flac'}, {src / 'a.wav'}"
    )


def test_direct_file_collides_with_top_level_file_of_a_folder(
    tmp_path: Path,
) -> None:
    direct = touch(tmp_path, "x.wav") / "x.wav"
    src = touch(tmp_path / "src", "x.flac", "y.wav", "sub/x.flac")
    out = tmp_path / "out"
    result = plan([direct, src], out)
    assert npys(result.jobs, out) == ["sub/x.npy", "y.npy"]
    assert {p.path: p.reason for p in result.problems} == {
        direct: f"output {out / 'x.npy'} would also be written by {src / 'x.flac'}",
        src / "x.flac": f"output {out / 'x.npy'} would also be written by {direct}",
    }


def test_output_file_colliding_with_an_output_folder_is_a_problem(
    tmp_path: Path,
) -> None:
    src = touch(tmp_path / "src", "a.wav", "a.npy/b.wav", "c.wav")
    result = plan([src], tmp_path / "out")
    assert [j.rel for j in result.jobs] == ["c.wav"]
    assert sorted(p.path.name for p in result.problems) == ["a.wav", "b.wav"]


def test_direct_file_named_like_its_output_would_overwrite_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    existing = touch(out, "x.npy") / "x.npy"
    other = touch(tmp_path, "other.wav") / "other.wav"
    result = plan([existing, other], out)
    assert result.jobs == [Job(src=other, rel="other.wav", npy=out / "other.npy")]
    assert result.problems == [
        Problem(existing, f"output {existing} would overwrite an input")
    ]


def test_output_that_would_overwrite_another_input_is_a_problem(
    tmp_path: Path,
) -> None:
    src = touch(tmp_path / "src", "dogs/bark.wav", "dogs/ok.wav")
    out = tmp_path / "out"
    earlier = touch(out, "dogs/bark.npy") / "dogs/bark.npy"
    result = plan([src, earlier], out, extensions={"wav", "npy"})
    # earlier -> OUT/bark.npy is harmless; src/dogs/bark.wav would replace it.
    assert npys(result.jobs, out) == ["dogs/ok.npy", "bark.npy"]
    assert result.problems == [
        Problem(src / "dogs/bark.wav", f"output {earlier} would overwrite an input")
    ]


# --------------------------------------------------- outputs stay inside OUT
def _assert_outputs_inside(jobs: list[Job], out: Path) -> None:
    out_abs = os.path.abspath(out)
    for job in jobs:
        for output in job.outputs:
            path = os.path.abspath(output)
            assert os.path.commonpath([out_abs, path]) == out_abs
            assert path != out_abs
            assert ".." not in Path(output).relative_to(out).parts


def test_outputs_stay_inside_out_for_awkward_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = touch(
        tmp_path / "src",
        "..wav",
        "...wav",
        "-.wav",
        "a..wav",
        "dir.wav/x.wav",
        "x/.wav",
    )
    (tmp_path / "src/up").symlink_to("..", target_is_directory=True)
    monkeypatch.chdir(src / "x")
    result = plan([Path(".."), Path("../..wav")], "out", png=True)
    assert result.jobs
    _assert_outputs_inside(result.jobs, Path("out"))


_names = st.text(
    st.characters(codec="utf-8", exclude_characters="/\0"), min_size=1, max_size=12
).filter(lambda s: s not in {".", ".."} and len(s.encode()) < 200)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_names, min_size=1, max_size=3), min_size=1, max_size=4))
def test_every_output_is_inside_out(trees: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "src"), Path(tmp, "out")
        src.mkdir()
        for parts in trees:
            path = src.joinpath(*parts[:-1], parts[-1] + ".wav")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"")
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue  # a name already used as a file or as a folder
        result = plan([src], out, png=True)
        _assert_outputs_inside(result.jobs, out)
        outputs = [o for j in result.jobs for o in j.outputs]
        assert len(outputs) == len(set(outputs))


_NAMES = st.sampled_from(["a", "A", "a.wav", "A.WAV", "a.npy", "A.Npy", "b", "b.png"])


@settings(max_examples=200, deadline=None)
@given(
    rels=st.lists(
        st.lists(_NAMES, min_size=1, max_size=3).map("/".join), unique=True, max_size=6
    ),
    fold_case=st.booleans(),
    png=st.booleans(),
)
@example(rels=["a.wav", "A.Npy/b"], fold_case=True, png=False)  # a folder, by case
def test_outputs_told_clear_all_at_once_as_when_looked_at_one_by_one(
    rels: list[str], fold_case: bool, png: bool
) -> None:
    """The quick look at all names agrees with the look at each job."""
    from melcli import discover

    jobs = [discover._job(f"/src/{rel}", rel, "/out", png) for rel in rels]
    clear = discover._all_clear(jobs, top=len("/out"), fold=fold_case)
    one_by_one = discover.Plan()
    real = discover._all_clear
    try:
        discover._all_clear = lambda *args, **kwargs: False  # type: ignore[assignment]
        kept = discover._drop_collisions(
            jobs, one_by_one, out_dir="/out", fold_case=fold_case
        )
    finally:
        discover._all_clear = real

    assert clear == (not one_by_one.problems)
    assert clear == (kept == jobs)


# ----------------------------------------------------- lookups in a folder
def test_entries_looked_up_in_their_open_folder_are_those_found_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk stats names in the folder it holds open: the same plan as by path."""
    src = touch(tmp_path / "src", "a.wav", ".hidden.wav", "notes.txt", "d/b.flac")
    (src / "d" / "e").mkdir()
    touch(src / "d" / "e", "c.wav")
    (src / "link.wav").symlink_to(src / "a.wav")
    (src / "dangling.wav").symlink_to(src / "gone.wav")
    (src / "loop.wav").symlink_to(src / "loop.wav")
    (src / "d" / "back").symlink_to(src)  # a folder loop
    (src / "d" / "e" / "c.wav").write_bytes(b"12345")

    def planned(by_folder: bool) -> tuple[object, ...]:
        monkeypatch.setattr(discover, "_DIR_FD", by_folder)
        found = plan([src], tmp_path / "out")
        jobs = [(tuple(job), job.stamp) for job in found.jobs]
        return jobs, found.skipped, found.problems

    assert discover._DIR_FD  # this system looks names up in a folder
    by_folder, by_path = planned(True), planned(False)
    assert by_folder == by_path
    jobs = by_folder[0]
    assert isinstance(jobs, list)
    assert [job[0][1] for job in jobs] == ["a.wav", "d/b.flac", "d/e/c.wav", "link.wav"]
    assert jobs[2][1] == [5, (src / "d" / "e" / "c.wav").stat().st_mtime_ns]


def test_the_walk_holds_no_folder_open_between_folders(tmp_path: Path) -> None:
    """A folder is open while its entries are looked up, and closed before the
    walk goes on: a tree a thousand deep holds one descriptor, not a thousand."""
    src = touch(tmp_path / "src", "a/1.wav", "a/b/2.wav", "c/3.wav")
    fds = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    if fds is None:
        pytest.skip("no /proc/self/fd to count open files")
    found = find_audio([src], include=["a/*"])
    assert len(found.files) == 2
    assert plan([src], tmp_path / "out").jobs
    walk = discover._find(
        [src],
        out=None,
        extensions=DEFAULT_EXTENSIONS,
        include=(),
        exclude=(),
        found=Found(),
    )
    assert next(walk)[0]  # a walk left part way, two folders deep
    assert set(os.listdir("/proc/self/fd")) == fds
    walk.close()
    assert set(os.listdir("/proc/self/fd")) == fds


def test_files_found_are_relative_to_their_own_input_folder(tmp_path: Path) -> None:
    """Not to the subfolder of OUT a plan mirrors them into."""
    one = touch(tmp_path / "one", "a.wav", "x/b.wav")
    two = touch(tmp_path / "two", "c.wav")

    found = find_audio([one, two], out=tmp_path / "out")

    assert [rel for _, rel in found.files] == ["a.wav", "x/b.wav", "c.wav"]
    assert found.folder_of == [one, one, two]
    assert [j.rel for j in plan([one, two], tmp_path / "out").jobs] == [
        "one/a.wav",
        "one/x/b.wav",
        "two/c.wav",
    ]


@pytest.mark.parametrize(
    ("sources", "inner", "outer"),
    [
        (["nest", "nest/sub"], "nest/sub", "nest"),
        (["nest/sub/deeper", "nest"], "nest/sub/deeper", "nest"),
        (["nest", "link"], "link", "nest"),  # a link to a folder inside nest
        (["nest", "nest/sub/deeper/a.wav"], "nest/sub/deeper/a.wav", "nest"),
        (["link/deeper/a.wav", "nest"], "link/deeper/a.wav", "nest"),
        (
            ["nest/sub", "x", "nest/sub/deeper/a.wav"],
            "nest/sub/deeper/a.wav",
            "nest/sub",
        ),
    ],
)
def test_a_folder_inside_another_given_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sources: list[str],
    inner: str,
    outer: str,
) -> None:
    # Its files were converted twice, once in each folder's mirror (redteam3).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nest" / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "nest" / "sub" / "deeper" / "a.wav").touch()
    (tmp_path / "link").symlink_to(tmp_path / "nest" / "sub")
    (tmp_path / "x").mkdir()
    # A source refused, as one that does not exist is (test_api_parity_12).
    with pytest.raises(ParameterError, match=f"^{inner} is inside {outer}, also given"):
        plan(sources, tmp_path / "out")


def test_one_folder_or_file_given_twice_is_taken_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nest" / "sub").mkdir(parents=True)
    (tmp_path / "nest" / "a.wav").touch()
    (tmp_path / "nest" / "sub" / "b.wav").touch()
    jobs = plan(["nest", "./nest/"], tmp_path / "out").jobs
    assert sorted(job.rel for job in jobs) == ["a.wav", "sub/b.wav"]
    jobs = plan(["nest/a.wav", "nest/sub/../a.wav"], tmp_path / "out").jobs
    assert [job.rel for job in jobs] == ["a.wav"]
    jobs = plan(["nest", "nest/a.wav"], tmp_path / "out").jobs  # the same output
    assert sorted(job.rel for job in jobs) == ["a.wav", "sub/b.wav"]
