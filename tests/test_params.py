from __future__ import annotations

import pytest
from conftest import assert_names_the_parameter

from melcli import MelParams, ParameterError


def test_defaults_are_librosas() -> None:
    p = MelParams()
    assert (p.sr, p.n_fft, p.n_mels, p.power, p.top_db, p.amin) == (
        22050,
        2048,
        128,
        2.0,
        80.0,
        1e-10,
    )
    assert p.effective_hop_length == 512
    assert p.effective_win_length == 2048
    assert p.effective_fmax(22050) == 11025.0
    assert p.validate() is p


def test_hop_defaults_to_a_quarter_of_the_window() -> None:
    assert MelParams(win_length=1000).effective_hop_length == 250


@pytest.mark.parametrize(
    ("changes", "param", "text"),
    [
        ({"hop_length": 0}, "hop_length", "hop_length=0 must be a positive integer"),
        ({"n_mels": 0}, "n_mels", "n_mels=0 must be a positive integer"),
        ({"n_fft": -1}, "n_fft", "n_fft=-1"),
        ({"sr": 0}, "sr", "sr=0"),
        ({"win_length": 4096}, "win_length", "win_length=4096 must be at most"),
        ({"fmax": 20000.0}, "fmax", "fmax=20000 must be at most the Nyquist"),
        ({"fmin": 9000.0, "fmax": 8000.0}, "fmin", "fmin=9000 must be below"),
        ({"fmin": 12000.0}, "fmin", "fmin=12000 must be below fmax=11025"),
        ({"power": 0.0}, "power", "power=0.0 must be positive"),
        ({"amin": 0.0}, "amin", "amin=0.0 must be positive"),
        ({"top_db": -1.0}, "top_db", "top_db=-1.0 must not be negative"),
        ({"ref": "min"}, "ref", "ref='min'"),
        ({"ref": -1.0}, "ref", "ref=-1.0 must be positive"),
        ({"norm": "l2"}, "norm", "norm='l2'"),
        ({"window": "nope"}, "window", "window='nope' must be one of"),
        ({"pad_mode": "wrap"}, "pad_mode", "pad_mode='wrap'"),
        ({"res_type": "kaiser_best"}, "res_type", "res_type='kaiser_best'"),
        ({"dtype": "int8"}, "dtype", "dtype='int8'"),
        ({"offset": -1.0}, "offset", "offset=-1.0 must not be negative"),
        ({"duration": 0.0}, "duration", "duration=0.0 must be positive"),
        ({"offset": float("nan")}, "offset", "must be a finite number"),
        ({"n_fft": 2048.0}, "n_fft", "n_fft=2048.0 must be a positive integer"),
        ({"win_length": 3, "n_fft": 3}, "hop_length", "set hop_length"),
    ],
)
def test_invalid_settings_name_the_parameter(
    changes: dict[str, object], param: str, text: str
) -> None:
    assert_names_the_parameter(changes, param, text)


def test_native_rate_checks_nyquist_per_file() -> None:
    p = MelParams(sr=None, fmax=10000.0).validate()
    p.check_sr(44100)
    with pytest.raises(ParameterError) as info:
        p.check_sr(16000)
    # The file's rate, not an sr=16000 the user never set (--sr native).
    assert str(info.value) == (
        "fmax=10000 must be at most the Nyquist frequency 8000 Hz "
        "(the file's rate, 16000 Hz)"
    )
    with pytest.raises(ParameterError) as info:
        MelParams(sr=16000, fmax=10000.0).validate()
    assert str(info.value).endswith("8000 Hz (sr=16000)")


def test_fingerprint_follows_every_setting() -> None:
    base = MelParams()
    assert base.fingerprint() == MelParams().fingerprint()
    changed = {
        base.replace(n_mels=64).fingerprint(),
        base.replace(dtype="float16").fingerprint(),
        base.replace(top_db=None).fingerprint(),
        base.replace(mono=False).fingerprint(),
    }
    assert base.fingerprint() not in changed
    assert len(changed) == 4
