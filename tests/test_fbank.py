"""Kaldi's filterbank (``kind="fbank"``) and its presets, against references that
run here without torch, within 1e-4.

- ``melcli mel --kind fbank`` and every Kaldi option: kaldi-native-fbank (a C++
  port of Kaldi's feature code), same float waveform, dither 0;
- ``speech2text`` and ``seamless-m4t``: transformers' own extractors, whose
  numpy code paths run without torch;
- ``ast``: transformers 5 runs ``ASTFeatureExtractor`` only with torch, and
  kaldi-native-fbank refuses AST's 128 bins (one filter holds no FFT bin), so
  the reference is the extractor's numpy path called step by step:
  ``transformers.audio_utils`` as it calls it, then its padding and
  normalisation;
- ``wenet``: kaldi-native-fbank with WeNet's options.

Signals: the sample speech, generated speech-like audio, and a file longer than
the model's window (AST's 10.24 s, the others' streaming threshold is tested
in ``test_fbank_streams_*``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import librosa
import numpy as np
import pytest
from conftest import SAMPLE_AUDIO, speechlike

import melcli
from melcli import MelParams, ParameterError, Status, fbank, stream
from melcli.discover import Job
from melcli.pipeline import process_one

knf = pytest.importorskip("kaldi_native_fbank")

TOLERANCE = 1e-4
SR = 16000
SPEECH = sorted(
    p
    for p in (SAMPLE_AUDIO / "speech").iterdir()
    if p.suffix in {".wav", ".flac", ".mp3"}
)


def _load(path: Path) -> np.ndarray:
    y, _ = librosa.load(path, sr=SR)
    return np.asarray(y, dtype=np.float32)


def _long() -> np.ndarray:
    """13 s: longer than AST's 1024 frames (10.24 s)."""
    return np.concatenate([speechlike(SR, seconds=6.5, seed=s) for s in (1, 2)])


SIGNALS: dict[str, Callable[[], np.ndarray]] = {
    "speechlike": lambda: speechlike(SR),
    "long": _long,
    **{p.name: (lambda p=p: _load(p)) for p in SPEECH},
}


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    assert np.isfinite(actual).all()
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)


#: kaldi-native-fbank computes in float32: a bin whose power is under a
#: millionth (8 float32 epsilons) of its frame's loudest bin holds rounding
#: noise there (up to 0.03 in log units on the sample speech, measured), where
#: melcli's float64 agrees with transformers' float64 Kaldi arithmetic (the
#: preset tests below, on the same signals). Such bins are compared at this
#: looser tolerance; every other bin within 1e-4.
FLOAT32_RESOLUTION = np.log(1e6)
NOISE_TOLERANCE = 0.05


def assert_close_to_float32_kaldi(
    actual: np.ndarray, expected: np.ndarray, *, power: bool = True
) -> None:
    assert actual.shape == expected.shape
    assert np.isfinite(actual).all()
    # Magnitudes (use_power=False) span half the log range of powers.
    span = FLOAT32_RESOLUTION if power else FLOAT32_RESOLUTION / 2
    resolved = expected >= expected.max(axis=0, keepdims=True) - span
    assert resolved.mean() > 0.5
    np.testing.assert_allclose(
        actual[resolved], expected[resolved], rtol=0, atol=TOLERANCE
    )
    np.testing.assert_allclose(actual, expected, rtol=0, atol=NOISE_TOLERANCE)


def kaldi_native(y: np.ndarray, **options: Any) -> np.ndarray:
    """kaldi-native-fbank's OnlineFbank, bands first [shape=(bins, frames)]."""
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0  # its default is 3e-5
    for key, value in options.items():
        group, _, name = key.rpartition(".")
        setattr(getattr(opts, group) if group else opts, name, value)
    f = knf.OnlineFbank(opts)
    f.accept_waveform(SR, y)
    f.input_finished()
    return np.stack([f.get_frame(i) for i in range(f.num_frames_ready)]).T


def ours(y: np.ndarray, params: MelParams) -> np.ndarray:
    return melcli.mel_spectrogram(y, sr=SR, params=params)


# ------------------------------------------------------- kaldi-native-fbank
@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.slow
def test_default_fbank_is_kaldi_native_fbank_default(signal: str) -> None:
    y = SIGNALS[signal]()
    assert_close_to_float32_kaldi(
        ours(y, MelParams(kind="fbank", sr=SR)), kaldi_native(y)
    )


OPTIONS = [
    ({"snip_edges": False}, {"frame_opts.snip_edges": False}),
    ({"window_type": "hamming"}, {"frame_opts.window_type": "hamming"}),
    ({"window_type": "hanning"}, {"frame_opts.window_type": "hanning"}),
    ({"window_type": "hann"}, {"frame_opts.window_type": "hann"}),
    ({"window_type": "rectangular"}, {"frame_opts.window_type": "rectangular"}),
    ({"window_type": "blackman"}, {"frame_opts.window_type": "blackman"}),
    (
        {"frame_length": 32.0, "frame_shift": 12.5, "round_to_power_of_two": False},
        {
            "frame_opts.frame_length_ms": 32.0,
            "frame_opts.frame_shift_ms": 12.5,
            "frame_opts.round_to_power_of_two": False,
        },
    ),
    (
        {"preemphasis_coefficient": 0.0, "remove_dc_offset": False},
        {"frame_opts.preemph_coeff": 0.0, "frame_opts.remove_dc_offset": False},
    ),
    (
        {"num_mel_bins": 64, "low_freq": 60.0, "high_freq": -400.0},
        {
            "mel_opts.num_bins": 64,
            "mel_opts.low_freq": 60.0,
            "mel_opts.high_freq": -400.0,
        },
    ),
    ({"high_freq": 7000.0}, {"mel_opts.high_freq": 7000.0}),
    ({"use_energy": True}, {"use_energy": True}),
    (
        {"use_energy": True, "energy_floor": 1.0, "snip_edges": False},
        {"use_energy": True, "energy_floor": 1.0, "frame_opts.snip_edges": False},
    ),
    ({"use_power": False}, {"use_power": False}),
]


@pytest.mark.parametrize(("signal"), ["speechlike", SPEECH[0].name])
@pytest.mark.parametrize(("options", "knf_options"), OPTIONS)
def test_each_kaldi_option_matches_kaldi_native_fbank(
    signal: str, options: dict[str, Any], knf_options: dict[str, Any]
) -> None:
    y = SIGNALS[signal]()
    actual = ours(y, MelParams(kind="fbank", sr=SR, **options))
    expected = kaldi_native(y, **knf_options)
    assert_close_to_float32_kaldi(
        actual, expected, power=options.get("use_power", True)
    )


def transformers_kaldi(y: np.ndarray, *, bins: int, window: str) -> np.ndarray:
    """transformers' float64 numpy port of Kaldi's fbank at 16 kHz, (bins, frames).

    ``spectrogram`` and the Kaldi ``mel_filter_bank`` as the Speech2Text,
    SeamlessM4T and AST extractors call them (window of 400, hop 160, FFT 512).
    """
    from transformers.audio_utils import mel_filter_bank, spectrogram, window_function

    filters = mel_filter_bank(
        num_frequency_bins=257,
        num_mel_filters=bins,
        min_frequency=20,
        max_frequency=SR // 2,
        sampling_rate=SR,
        norm=None,
        mel_scale="kaldi",
        triangularize_in_mel_space=True,
    )
    out: np.ndarray = spectrogram(
        y,
        window_function(400, window, periodic=False),
        frame_length=400,
        hop_length=160,
        fft_length=512,
        power=2.0,
        center=False,
        preemphasis=0.97,
        mel_filters=filters,
        log_mel="log",
        mel_floor=1.192092955078125e-07,
        remove_dc_offset=True,
    )
    return out


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_default_fbank_is_the_float64_kaldi_arithmetic_of_transformers(
    signal: str,
) -> None:
    y = SIGNALS[signal]()
    expected = transformers_kaldi(y, bins=23, window="povey")
    assert_close(ours(y, MelParams(kind="fbank", sr=SR)), expected)


def test_linear_filterbank_matches_kaldi_native_fbank() -> None:
    y = speechlike(SR)
    actual = ours(y, MelParams(kind="fbank", sr=SR, use_log_fbank=False))
    expected = kaldi_native(y, use_log_fbank=False)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)


def test_kaldi_native_fbank_refuses_asts_128_bins_and_melcli_says_which() -> None:
    opts = knf.FbankOptions()
    opts.mel_opts.num_bins = 128
    with pytest.raises(Exception, match="num_mel_bins too large"):
        knf.OnlineFbank(opts)
    p = MelParams(kind="fbank", sr=SR, num_mel_bins=128, window_type="hanning")
    fbank._filters.cache_clear()
    with pytest.warns(
        UserWarning, match=r"1 of 128 Kaldi mel filters holds no FFT bin \(bin 3: "
    ):
        F = ours(speechlike(SR), p)
    assert fbank.empty_filters(SR, params=p) == [3]
    assert (F[3] == np.float32(np.log(fbank.EPS))).all()
    # Its neighbours hold sound wherever the signal does.
    assert (F[[2, 4]] > F[3]).all(axis=0).mean() > 0.5


# ------------------------------------------------------------ transformers
def _quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        # transformers warns about empty Kaldi filters at 128 bins, as melcli does.
        warnings.simplefilter("ignore", UserWarning)
        return fn()


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_speech2text_matches_transformers(signal: str) -> None:
    from transformers import Speech2TextFeatureExtractor

    y = SIGNALS[signal]()
    extractor = Speech2TextFeatureExtractor()
    assert extractor.mel_filters is not None  # the numpy path: no torchaudio
    expected = extractor(y, sampling_rate=SR, return_tensors="np")["input_features"][0]
    actual = ours(y, melcli.preset_params("speech2text"))
    assert actual.shape == (80, 1 + (len(y) - 400) // 160)
    assert_close(actual, expected.T)


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_seamless_m4t_matches_transformers(signal: str) -> None:
    from transformers import SeamlessM4TFeatureExtractor

    y = SIGNALS[signal]()
    extractor = SeamlessM4TFeatureExtractor()
    expected = extractor(y, sampling_rate=SR, return_tensors="np")["input_features"][0]
    actual = ours(y, melcli.preset_params("seamless-m4t"))
    frames = 1 + (len(y) - 400) // 160
    assert actual.shape == (160, (frames + 1) // 2)
    assert_close(actual, expected.T)


def ast_reference(y: np.ndarray) -> np.ndarray:
    """ASTFeatureExtractor's numpy path, step by step (the class needs torch)."""
    fb = transformers_kaldi(y, bins=128, window="hann").T  # symmetric Hann
    fb = np.pad(fb, ((0, max(0, 1024 - len(fb))), (0, 0)))[:1024]
    return ((fb - (-4.2677393)) / (4.5689974 * 2)).T


@pytest.mark.filterwarnings("ignore:1 of 128 Kaldi mel filters")
@pytest.mark.parametrize("signal", list(SIGNALS))
def test_ast_matches_its_extractors_numpy_path(signal: str) -> None:
    y = SIGNALS[signal]()
    expected = _quiet(lambda: ast_reference(y))
    actual = ours(y, melcli.preset_params("ast"))
    assert actual.shape == (128, 1024)
    assert_close(actual, expected)


@pytest.mark.filterwarnings("ignore:1 of 128 Kaldi mel filters")
# With torch installed, transformers says the same of its own filters when the
# extractor is made (the empty row the preset's notes describe).
@pytest.mark.filterwarnings("ignore:At least one mel filter has all zero values")
def test_ast_extractor_itself_where_it_runs_without_torch() -> None:
    """transformers 5 refuses to build ASTFeatureExtractor without torch (hence
    the step-by-step reference above); where it builds, it is the reference."""
    import importlib.util

    from transformers import ASTFeatureExtractor

    if importlib.util.find_spec("torch") is None:
        try:
            extractor = ASTFeatureExtractor()
        except ImportError:
            with pytest.raises(ImportError, match="PyTorch"):
                ASTFeatureExtractor()
            return
    else:
        extractor = ASTFeatureExtractor()
    y = _long()
    out = _quiet(lambda: extractor(y, sampling_rate=SR, return_tensors="np"))
    assert_close(ours(y, melcli.preset_params("ast")), out["input_values"][0].T)


@pytest.mark.parametrize("signal", ["speechlike", "long"])
def test_wenet_matches_kaldi_native_fbank(signal: str) -> None:
    y = SIGNALS[signal]()
    expected = kaldi_native(y * 32768, **{"mel_opts.num_bins": 80})
    assert_close_to_float32_kaldi(ours(y, melcli.preset_params("wenet")), expected)


def test_extractor_defaults_are_the_presets() -> None:
    from transformers import SeamlessM4TFeatureExtractor, Speech2TextFeatureExtractor

    for cls, name in (
        (Speech2TextFeatureExtractor, "speech2text"),
        (SeamlessM4TFeatureExtractor, "seamless-m4t"),
    ):
        extractor = cls()
        p = melcli.preset_params(name)
        assert extractor.num_mel_bins == p.num_mel_bins
        assert extractor.sampling_rate == p.sr
    assert (
        SeamlessM4TFeatureExtractor().stride
        == melcli.preset_params("seamless-m4t").frame_stack
    )


# ------------------------------------------------------------------ steps
def test_num_frames_pads_with_zero_frames_then_normalises() -> None:
    y = speechlike(SR, seconds=1.0)
    plain = ours(y, MelParams(kind="fbank", sr=SR))
    padded = ours(
        y, MelParams(kind="fbank", sr=SR, num_frames=200, shift=1.0, divisor=2.0)
    )
    assert padded.shape == (23, 200)
    np.testing.assert_allclose(padded[:, : plain.shape[1]], (plain + 1) / 2, atol=1e-6)
    assert (padded[:, plain.shape[1] :] == 0.5).all()
    cut = ours(y, MelParams(kind="fbank", sr=SR, num_frames=10))
    np.testing.assert_array_equal(cut, plain[:, :10])


def test_cmvn_mean_var_gives_zero_mean_unit_variance_per_bin() -> None:
    F = ours(speechlike(SR), MelParams(kind="fbank", sr=SR, cmvn="mean-var"))
    np.testing.assert_allclose(F.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(F.std(axis=1), 1, atol=1e-4)


def test_cmvn_leaves_a_constant_bin_centred_instead_of_dividing_by_zero() -> None:
    F = ours(np.zeros(SR, np.float32), MelParams(kind="fbank", sr=SR, cmvn="mean-var"))
    assert (F == 0).all()


def test_frame_stack_pads_an_odd_count_and_interleaves_frames() -> None:
    y = speechlike(SR, seconds=1.0)
    plain = ours(y, MelParams(kind="fbank", sr=SR))
    assert plain.shape[1] % 2 == 0
    y_odd = y[:-160]
    plain = ours(y_odd, MelParams(kind="fbank", sr=SR))
    t = plain.shape[1]
    assert t % 2 == 1
    stacked = ours(y_odd, MelParams(kind="fbank", sr=SR, frame_stack=2))
    assert stacked.shape == (46, (t + 1) // 2)
    np.testing.assert_array_equal(stacked[:23], plain[:, ::2])
    np.testing.assert_array_equal(stacked[23:, :-1], plain[:, 1::2])
    assert (stacked[23:, -1] == 0).all()


def test_dither_is_seeded_and_changes_the_output() -> None:
    y = speechlike(SR)
    base = MelParams(kind="fbank", sr=SR, dither=1.0, waveform_scale=32768.0)
    a, b = ours(y, base), ours(y, base)
    np.testing.assert_array_equal(a, b)
    other = ours(y, base.replace(seed=1))
    plain = ours(y, base.replace(dither=0.0))
    assert not np.array_equal(a, other)
    assert 0 < np.abs(a - plain).max() < 5


def test_multichannel_fbank_is_each_channel_alone() -> None:
    y = np.stack([speechlike(SR, seed=1), 0.5 * speechlike(SR, seed=2)])
    p = MelParams(kind="fbank", sr=SR, mono=False, cmvn="mean", use_energy=True)
    F = ours(y, p)
    assert F.shape[:2] == (2, 24)
    for c in range(2):
        np.testing.assert_allclose(F[c], ours(y[c], p.replace(mono=True)), atol=1e-5)


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"num_mel_bins": 0}, "num_mel_bins"),
        ({"frame_shift": 0.0}, "frame_shift"),
        ({"window_type": "hanning2"}, "window_type"),
        ({"preemphasis_coefficient": 1.5}, "preemphasis_coefficient"),
        ({"high_freq": 9000.0}, "high_freq"),
        ({"high_freq": -8000.0}, "high_freq"),
        ({"low_freq": 500.0, "high_freq": 400.0}, "low_freq"),
        ({"frame_length": 0.01}, "frame_length"),
        ({"cmvn": "global"}, "cmvn"),
        ({"cmvn_ddof": 2}, "cmvn_ddof"),
        ({"frame_stack": 0}, "frame_stack"),
        ({"num_frames": 0}, "num_frames"),
    ],
)
def test_bad_fbank_settings_name_the_parameter(
    changes: dict[str, Any], param: str
) -> None:
    with pytest.raises(ParameterError) as info:
        MelParams(kind="fbank", sr=SR, **changes).validate()
    assert info.value.param == param


@pytest.mark.parametrize("name", ["num_frames", "cmvn", "frame_stack"])
def test_model_steps_need_kind_fbank(name: str) -> None:
    value = {"num_frames": 10, "cmvn": "mean", "frame_stack": 2}[name]
    with pytest.raises(ParameterError, match="needs kind='fbank'"):
        MelParams(**{name: value}).validate()


def test_a_signal_shorter_than_a_frame_fails_in_words(tmp_path: Path) -> None:
    with pytest.raises(melcli.AudioError, match="shorter than one frame"):
        ours(np.zeros(300, np.float32), MelParams(kind="fbank", sr=SR))


# --------------------------------------------------------------- streaming
def _blocks(y: np.ndarray, sizes: list[int]) -> list[tuple[np.ndarray, bool]]:
    out, i = [], 0
    for k, size in enumerate(sizes):
        last = k == len(sizes) - 1
        chunk = y[i:] if last else y[i : i + size]
        out.append((chunk[np.newaxis], last))
        i += size
    return out


@pytest.mark.parametrize("snip_edges", [True, False])
@pytest.mark.parametrize("sizes", [[5000, 3, 777, 40000], [100, 100, 100, 100000], [1]])
def test_stream_frames_equal_the_whole_signal(
    snip_edges: bool, sizes: list[int]
) -> None:
    y = speechlike(SR, seconds=3.0)
    p = MelParams(
        kind="fbank", sr=SR, snip_edges=snip_edges, dither=0.5, use_energy=True
    )
    whole = fbank.fbank(y, sr=SR, params=p)
    parts = list(fbank.stream_frames(_blocks(y, sizes), sr=SR, params=p))
    streamed = np.concatenate(parts, axis=1)[0].T
    np.testing.assert_array_equal(streamed, whole)


STEREO = MelParams(
    kind="fbank",
    sr=SR,
    mono=False,
    use_energy=True,
    cmvn="mean-var",
    cmvn_ddof=1,
    frame_stack=3,
    snip_edges=False,
)


@pytest.mark.parametrize(
    "preset", ["speech2text", "seamless-m4t", "ast", "wenet", "stereo"]
)
@pytest.mark.slow
def test_fbank_streams_long_files_with_the_in_memory_numbers(
    preset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import soundfile as sf

    y = _long()
    params = STEREO if preset == "stereo" else melcli.preset_params(preset)
    if preset == "stereo":
        y = np.stack([y, 0.3 * y[::-1]])
    src = tmp_path / "long.wav"
    sf.write(src, y.T, SR, subtype="FLOAT")
    assert stream.can_stream(params)
    expected = _quiet(lambda: ours(y, params))
    monkeypatch.setattr(stream, "STREAM_SECONDS", 5.0)  # 13 s streams
    job = Job(src=src, rel="long.wav", npy=tmp_path / "out" / "long.npy", png=None)
    result = _quiet(lambda: process_one(job, params=params))
    assert result.status is Status.WRITTEN, result.reason
    assert "db_write" in result.timings  # the streaming path ran
    actual = np.load(job.npy)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


# ------------------------------------------------------------ command line
@pytest.mark.usefixtures("isolated")
def test_command_kind_fbank_with_no_other_option_is_kaldi_native_default(
    tmp_path: Path,
) -> None:
    import soundfile as sf
    from click.testing import CliRunner

    from melcli.cli import cli

    y = speechlike(SR)
    src = tmp_path / "in" / "a.wav"
    src.parent.mkdir()
    sf.write(src, y, SR, subtype="FLOAT")
    out = tmp_path / "out"
    args = [
        "mel",
        str(src),
        "-o",
        str(out),
        "-j",
        "1",
        "--kind",
        "fbank",
        "--sr",
        "16000",
    ]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert_close_to_float32_kaldi(np.load(out / "a.npy"), kaldi_native(y))


@pytest.mark.usefixtures("isolated")
def test_presets_command_lists_the_fbank_presets_with_sources() -> None:
    from click.testing import CliRunner

    from melcli.cli import cli

    result = CliRunner().invoke(cli, ["presets", "ast", "seamless-m4t"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "ast: Audio Spectrogram Transformer" in text
    assert "--kind fbank" in text
    assert "--window-type hanning" in text
    assert "--num-mel-bins 128" in text
    assert "--num-frames 1024" in text
    assert "--frame-stack 2" in text
    assert "--cmvn mean-var" in text
    assert "feature_extraction_seamless_m4t.py" in text
    assert "num_mel_bins too large" in " ".join(text.split())


@pytest.mark.usefixtures("isolated")
@pytest.mark.filterwarnings("ignore:1 of 128 Kaldi mel filters")
def test_preset_ast_from_the_command_line_is_the_reference(tmp_path: Path) -> None:
    import soundfile as sf
    from click.testing import CliRunner

    from melcli.cli import cli

    y = speechlike(SR)
    src = tmp_path / "a.wav"
    sf.write(src, y, SR, subtype="FLOAT")
    out = tmp_path / "out"
    args = ["mel", str(src), "-o", str(out), "-j", "1", "--preset", "ast"]
    fbank._filters.cache_clear()  # the warning comes with the filters' making
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    # The empty filter is the model's own (its notes say so): nothing to act on.
    assert "warning" not in result.stderr
    expected = _quiet(lambda: ast_reference(y))
    assert_close(np.load(out / "a.npy"), expected)


def test_every_fbank_setting_changes_the_fingerprint() -> None:
    base = MelParams(kind="fbank", sr=SR)
    changes: list[dict[str, Any]] = [
        {"frame_length": 20.0},
        {"frame_shift": 12.0},
        {"dither": 1.0},
        {"preemphasis_coefficient": 0.9},
        {"remove_dc_offset": False},
        {"window_type": "hamming"},
        {"round_to_power_of_two": False},
        {"snip_edges": False},
        {"num_mel_bins": 40},
        {"low_freq": 30.0},
        {"high_freq": -400.0},
        {"use_energy": True},
        {"energy_floor": 1.0},
        {"use_log_fbank": False},
        {"use_power": False},
        {"waveform_scale": 32768.0},
        {"num_frames": 100},
        {"cmvn": "mean"},
        {"cmvn_ddof": 1},
        {"cmvn_eps": 1e-7},
        {"frame_stack": 2},
    ]
    prints = {base.replace(**c).validate().fingerprint() for c in changes}
    assert len(prints) == len(changes)
    assert base.fingerprint() not in prints


def test_an_overflowing_linear_filterbank_fails_in_words(tmp_path: Path) -> None:
    import soundfile as sf

    src = tmp_path / "loud.wav"
    sf.write(src, 1e21 * speechlike(SR), SR, subtype="FLOAT")
    job = Job(src=src, rel="loud.wav", npy=tmp_path / "out" / "loud.npy", png=None)
    p = MelParams(kind="fbank", sr=SR, use_log_fbank=False, remove_dc_offset=False)
    result = process_one(job, params=p)
    assert result.status is Status.FAILED
    assert "sample values too large" in result.reason
    assert not job.npy.exists()


@pytest.mark.usefixtures("isolated")
@pytest.mark.filterwarnings("ignore:1 of 128 Kaldi mel filters")
def test_the_empty_filter_chosen_without_the_preset_is_warned_once(
    tmp_path: Path,
) -> None:
    import soundfile as sf
    from click.testing import CliRunner

    from melcli.cli import cli

    for name in ("a", "b"):
        sf.write(tmp_path / f"{name}.wav", speechlike(SR), SR, subtype="FLOAT")
    args = ["mel", str(tmp_path), "-o", str(tmp_path / "out"), "-j", "1"]
    args += ["--kind", "fbank", "--sr", str(SR), "--num-mel-bins", "128"]
    fbank._filters.cache_clear()  # the warning comes with the filters' making
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("1 of 128 Kaldi mel filters holds no FFT bin") == 1
