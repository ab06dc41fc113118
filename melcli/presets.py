"""Model presets: the settings a model's own feature extractor pins.

Each :class:`Preset` names every setting of :class:`~melcli.params.MelParams`
that the model's front end fixes, where each fact comes from (repository and
file), and what melcli's tests compare it with: the reference code itself
where it installs from PyPI without model weights and without torch, or else
the reference's documented arithmetic written independently in the test with
numpy and librosa (``tests/test_presets.py``).

On the command line ``--preset NAME`` fills in these settings; any option
given explicitly (command line, environment or config file) still wins. In
Python::

    params = melcli.preset_params("whisper")                 # a MelParams
    params = melcli.preset_params("panns", n_mels=128)        # with an override
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import ParameterError
from .params import MelParams

#: Tested against the reference implementation, run in the test.
REFERENCE_CODE = "reference code"
#: Tested against the reference's arithmetic, rewritten in the test.
DOCUMENTED_ARITHMETIC = "documented arithmetic"


@dataclass(frozen=True)
class Preset:
    """The front end of one model, as melcli settings.

    Attributes
    ----------
    name : str
        What ``--preset`` takes.
    summary : str
        One line: the model and its output.
    settings : Mapping[str, Any]
        :class:`MelParams` fields the model pins.
    sources : tuple of str
        Where each fact comes from: ``"owner/repo: path (what)"``.
    tested : str
        :data:`REFERENCE_CODE` or :data:`DOCUMENTED_ARITHMETIC`.
    test : str
        What exactly the test compares with.
    notes : str
        Differences from the reference, and what the preset leaves to the user.
    """

    name: str
    summary: str
    settings: Mapping[str, Any]
    sources: tuple[str, ...]
    tested: str
    test: str
    notes: str = ""

    def params(self, **overrides: Any) -> MelParams:
        """Return the validated settings of this preset, with ``overrides``."""
        return MelParams(**{**self.settings, **overrides}).validate()


def _settings(**values: Any) -> Mapping[str, Any]:
    unknown = set(values) - set(MelParams.__dataclass_fields__)
    assert not unknown, unknown
    return MappingProxyType(values)


#: The STFT every preset below shares: a periodic Hann window of n_fft samples,
#: centred frames with reflect padding (torch.stft's and librosa-based
#: front ends' convention), mono input.
_CENTRED_HANN = {
    "mono": True,
    "win_length": None,
    "window": "hann",
    "center": True,
    "pad_mode": "reflect",
    "pad_length": None,
    "drop_last_frame": False,
    "stft_eps": 0.0,
    "kind": "mel",
}

_WHISPER_LOG = {
    "power": 2.0,
    "fmin": 0.0,
    "fmax": 8000.0,
    "htk": False,
    "norm": "slaney",
    "scale": "log10",
    "amin": 1e-10,
    "clamp": 8.0,
    "shift": 4.0,
    "divisor": 4.0,
}

_WHISPER_SOURCES = (
    "openai/whisper: whisper/audio.py (SAMPLE_RATE 16000, N_FFT 400, HOP_LENGTH "
    "160; log_mel_spectrogram: torch.stft with torch.hann_window(N_FFT), which "
    "centres and reflect-pads; stft[..., :-1].abs() ** 2; clamp(min=1e-10).log10(); "
    "maximum(x, x.max() - 8.0); (x + 4.0) / 4.0; pad_or_trim to N_SAMPLES = 30 s)",
    "openai/whisper: whisper/assets/mel_filters.npz (librosa.filters.mel(sr=16000, "
    "n_fft=400, n_mels=80 or 128): Slaney scale and norm, 0 to 8000 Hz)",
    "huggingface/transformers: src/transformers/models/whisper/"
    "feature_extraction_whisper.py (_np_extract_fbank_features, the numpy port)",
)

_WHISPER_NOTES = (
    "Whisper pads or trims the audio to 30 s (3000 frames) before the "
    "spectrogram, so the clamp's peak is that of the 30-s window; melcli "
    "transforms the whole file unless told: add --clip-duration 30 for the exact "
    "model input (tested from the command line against the same extractor). "
    "Whisper resamples with ffmpeg; melcli with --res-type."
)

_PRESETS = (
    Preset(
        name="whisper",
        summary="OpenAI Whisper (up to large-v2): 80 log10-mel bands, (x + 4) / 4",
        settings=_settings(
            sr=16000,
            n_fft=400,
            hop_length=160,
            n_mels=80,
            **{**_CENTRED_HANN, **_WHISPER_LOG, "drop_last_frame": True},
        ),
        sources=_WHISPER_SOURCES,
        tested=REFERENCE_CODE,
        test="transformers.WhisperFeatureExtractor(feature_size=80), numpy path, "
        "on audio padded to 30 s",
        notes=_WHISPER_NOTES,
    ),
    Preset(
        name="whisper-v3",
        summary="OpenAI Whisper large-v3: 128 log10-mel bands, (x + 4) / 4",
        settings=_settings(
            sr=16000,
            n_fft=400,
            hop_length=160,
            n_mels=128,
            **{**_CENTRED_HANN, **_WHISPER_LOG, "drop_last_frame": True},
        ),
        sources=_WHISPER_SOURCES,
        tested=REFERENCE_CODE,
        test="transformers.WhisperFeatureExtractor(feature_size=128), numpy path, "
        "on audio padded to 30 s",
        notes=_WHISPER_NOTES,
    ),
    Preset(
        name="panns",
        summary="PANNs CNN14 (AudioSet tagging): 64 mel bands in dB, ref 1.0",
        settings=_settings(
            sr=32000,
            n_fft=1024,
            hop_length=320,
            n_mels=64,
            fmin=50.0,
            fmax=14000.0,
            htk=False,
            norm="slaney",
            power=2.0,
            scale="db",
            ref=1.0,
            amin=1e-10,
            top_db=None,
            **_CENTRED_HANN,
        ),
        sources=(
            "qiuqiangkong/audioset_tagging_cnn: pytorch/models.py (Cnn14: "
            "Spectrogram(n_fft=window_size, hop_length=hop_size, window='hann', "
            "center=True, pad_mode='reflect'); LogmelFilterBank(sr, n_fft, "
            "n_mels=mel_bins, fmin, fmax, ref=1.0, amin=1e-10, top_db=None))",
            "qiuqiangkong/audioset_tagging_cnn: the Cnn14 32 kHz checkpoint's "
            "settings (sample_rate 32000, window_size 1024, hop_size 320, "
            "mel_bins 64, fmin 50, fmax 14000)",
            "qiuqiangkong/torchlibrosa: torchlibrosa/stft.py (LogmelFilterBank: "
            "librosa.filters.mel with its defaults, Slaney; power_to_db as "
            "librosa's; Spectrogram power 2.0)",
        ),
        tested=DOCUMENTED_ARITHMETIC,
        test="librosa.stft(center=True, pad_mode='reflect') ** 2, "
        "librosa.filters.mel(fmin=50, fmax=14000), librosa.power_to_db(ref=1.0, "
        "amin=1e-10, top_db=None), in the test (torchlibrosa needs torch)",
    ),
    Preset(
        name="hifigan",
        summary="HiFi-GAN vocoder (V1 config): 80 ln-mel bands of magnitude",
        settings=_settings(
            sr=22050,
            n_fft=1024,
            hop_length=256,
            n_mels=80,
            fmin=0.0,
            fmax=8000.0,
            htk=False,
            norm="slaney",
            power=1.0,
            scale="log",
            amin=1e-5,
            clamp=None,
            **{**_CENTRED_HANN, "pad_length": (1024 - 256) // 2, "stft_eps": 1e-9},
        ),
        sources=(
            "jik876/hifi-gan: meldataset.py (mel_spectrogram: reflect pad of "
            "int((n_fft - hop_size) / 2) each side, torch.stft(center=False, "
            "window=torch.hann_window(win_size)), sqrt(re^2 + im^2 + 1e-9), "
            "librosa mel basis, dynamic_range_compression_torch: "
            "log(clamp(x, min=1e-5)))",
            "jik876/hifi-gan: config_v1.json (sampling_rate 22050, n_fft 1024, "
            "hop_size 256, win_size 1024, num_mels 80, fmin 0, fmax 8000)",
        ),
        tested=DOCUMENTED_ARITHMETIC,
        test="the reflect pad, uncentred librosa.stft, sqrt(|X|^2 + 1e-9), "
        "librosa.filters.mel and log(max(x, 1e-5)), in the test (the repository "
        "is not a package, and needs torch)",
        notes="The padding is melcli's --center with --pad-length 384 "
        "(torch.stft itself runs uncentred on the padded signal); the 1e-9 in "
        "the square root is --stft-eps (it moves quiet passages by up to 0.04).",
    ),
    Preset(
        name="tacotron2",
        summary="NVIDIA Tacotron 2 / WaveGlow: 80 ln-mel bands of magnitude",
        settings=_settings(
            sr=22050,
            n_fft=1024,
            hop_length=256,
            n_mels=80,
            fmin=0.0,
            fmax=8000.0,
            htk=False,
            norm="slaney",
            power=1.0,
            scale="log",
            amin=1e-5,
            clamp=None,
            **_CENTRED_HANN,
        ),
        sources=(
            "NVIDIA/tacotron2: hparams.py (sampling_rate 22050, filter_length 1024, "
            "hop_length 256, win_length 1024, n_mel_channels 80, mel_fmin 0, "
            "mel_fmax 8000)",
            "NVIDIA/tacotron2: stft.py (STFT: reflect pad of filter_length / 2 "
            "each side, scipy get_window('hann', fftbins=True), magnitude "
            "sqrt(real^2 + imag^2))",
            "NVIDIA/tacotron2: layers.py (TacotronSTFT.mel_spectrogram: "
            "librosa mel basis, then audio_processing.py "
            "dynamic_range_compression: log(clamp(x, min=1e-5)))",
        ),
        tested=DOCUMENTED_ARITHMETIC,
        test="centred reflect-padded librosa.stft magnitude, librosa.filters.mel "
        "and log(max(x, 1e-5)), in the test (the repository is not a package, "
        "and needs torch)",
    ),
    Preset(
        name="clap",
        summary="LAION CLAP (HTSAT): 64 HTK mel bands in dB, ref 1.0",
        settings=_settings(
            sr=48000,
            n_fft=1024,
            hop_length=480,
            n_mels=64,
            fmin=50.0,
            fmax=14000.0,
            htk=True,
            norm=None,
            power=2.0,
            scale="db",
            ref=1.0,
            amin=1e-10,
            top_db=None,
            **_CENTRED_HANN,
        ),
        sources=(
            "huggingface/transformers: src/transformers/models/clap/"
            "feature_extraction_clap.py (mel_filters: mel_filter_bank(norm=None, "
            "mel_scale='htk'), used with truncation='fusion'; "
            "_np_extract_fbank_features: spectrogram(window_function(1024, "
            "'hann'), hop_length, power=2.0, log_mel='dB'))",
            "huggingface/transformers: src/transformers/audio_utils.py "
            "(spectrogram: centred, reflect padding, mel_floor 1e-10, "
            "power_to_db(reference=1.0, min_value=1e-10, db_range=None))",
            "LAION-AI/CLAP: the HTSAT models' audio_cfg (sample_rate 48000, "
            "window_size 1024, hop_size 480, mel_bins 64, fmin 50, fmax 14000)",
        ),
        tested=REFERENCE_CODE,
        test="transformers.audio_utils mel_filter_bank, window_function and "
        "spectrogram called as ClapFeatureExtractor._np_extract_fbank_features "
        "calls them with its HTK filters (the class itself requires torch)",
        notes="The HTK filters are those of transformers' truncation='fusion' "
        "path; its 'rand_trunc' path uses librosa's Slaney filters instead "
        "(add --slaney-mel --norm slaney). CLAP's 10-s repeat-padding and "
        "fusion crops are left to the user.",
    ),
)

#: Every preset, by name.
PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _PRESETS})


def get(name: str) -> Preset:
    """Return the preset called ``name``.

    Raises
    ------
    ParameterError
        If there is none, listing the names.
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise ParameterError(
            f"preset={name!r} must be one of {', '.join(PRESETS)}", param="preset"
        ) from None


def preset_params(name: str, **overrides: Any) -> MelParams:
    """Return the settings of preset ``name``, with ``overrides`` applied.

    Examples
    --------
    >>> import melcli
    >>> melcli.preset_params("whisper").n_mels
    80
    >>> melcli.preset_params("whisper", n_mels=128).n_mels
    128
    """
    return get(name).params(**overrides)


__all__ = [
    "DOCUMENTED_ARITHMETIC",
    "PRESETS",
    "REFERENCE_CODE",
    "Preset",
    "get",
    "preset_params",
]
