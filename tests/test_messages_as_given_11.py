"""Messages show numbers as the user gave them, and quote options as click does.

``:g`` kept six digits: ``--fmin 8000.123 --fmax 8000.12`` said ``--fmin
8000.12 must be below --fmax 8000.12``; click's floats showed ``--segment 0``
as ``--segment 0.0``; and melcli's own hints were ``Invalid value for
--fmax:`` beside click's ``Invalid value for '-j' / '--jobs':``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke, short_tones

import melcli
from melcli import ParameterError

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            ("--fmin", "8000.123", "--fmax", "8000.12"),
            "Error: Invalid value for '--fmin': --fmin 8000.123 must be below "
            "--fmax 8000.12",
        ),
        (
            ("--fmax", "4000.0000001"),
            "Error: Invalid value for '--fmax': --fmax 4000.0000001 must be at "
            "most the Nyquist frequency 4000 Hz (--sr 8000)",
        ),
        (
            ("--segment", "0"),
            "Error: Invalid value for '--segment': --segment 0 must be positive",
        ),
        (
            ("--kind", "fbank", "--frame-length", "0.00001"),
            "Error: Invalid value for '--frame-length': --frame-length 1e-05 ms is "
            "less than one sample at --sr 8000",
        ),
    ],
)
def test_a_usage_error_shows_the_number_given(
    tmp_path: Path, options: tuple[str, ...], said: str
) -> None:
    src = short_tones(tmp_path / "audio", 1)
    result = invoke("mel", src, "-o", tmp_path / "out", "--sr", "8000", *options)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == said


def test_a_files_error_shows_the_number_given(tmp_path: Path) -> None:
    src = short_tones(tmp_path / "audio", 1)
    result = invoke(
        "mel", src, "-o", tmp_path / "out", "-j", "1", "--offset", "1234567.891"
    )
    assert result.exit_code == 1
    assert "--offset 1234567.891 s is past the end of the file" in result.stderr
    report = melcli.run(
        src, tmp_path / "out2", jobs=1, params=melcli.MelParams(offset=1234567.891)
    )
    assert report.failures[0].reason.startswith(
        "offset=1234567.891 s is past the end of the file"
    )


def test_the_api_shows_the_numbers_given() -> None:
    with pytest.raises(ParameterError) as caught:
        melcli.MelParams(fmin=8000.123, fmax=8000.12).validate()
    assert str(caught.value) == "fmin=8000.123 must be below fmax=8000.12"
    with pytest.raises(ParameterError) as caught:
        melcli.MelParams(fmax=11025.5).check_sr(22050)
    assert str(caught.value).startswith("fmax=11025.5 must be at most")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5"])
@pytest.mark.parametrize("command", ["mel", "gallery"])
def test_jobs_says_what_it_takes(tmp_path: Path, command: str, value: str) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = tmp_path / "out"
    if command == "gallery":
        assert invoke("mel", src, "-o", out, "-j", "1", "--png").exit_code == 0
    args = ("mel", src, "-o", out) if command == "mel" else ("gallery", out)
    result = invoke(*args, "-j", value)
    assert result.exit_code == 2
    # click's range said "0 is not in the range x>=1."
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '-j' / '--jobs': --jobs {value} must be a whole "
        "number of worker processes, at least 1 (1 works in this process; left "
        "out: one per CPU)"
    )


@pytest.mark.parametrize("jobs", [0, -1, True])
def test_the_api_refuses_jobs_as_the_command_does(tmp_path: Path, jobs: int) -> None:
    src = short_tones(tmp_path / "audio", 1)
    out = tmp_path / "out"
    melcli.run(src, out, jobs=1, png=True)
    said = (
        f"jobs={jobs!r} must be a whole number of worker processes, at least 1 "
        "(1 works in this process; left out: one per CPU)"
    )
    with pytest.raises(ParameterError) as caught:
        melcli.run(src, out, jobs=jobs)
    assert (caught.value.param, str(caught.value)) == ("jobs", said)
    # build_gallery drew in one process without a word.
    with pytest.raises(ParameterError) as caught:
        melcli.build_gallery(out, jobs=jobs)
    assert (caught.value.param, str(caught.value)) == ("jobs", said)
    assert not (out / "gallery").exists()
