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

from .errors import ParameterError, did_you_mean, one_of
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

    def to_json(self) -> dict[str, Any]:
        """Return what ``melcli presets --json`` prints for this preset.

        ``name``, ``summary``, ``settings`` (the :class:`MelParams` fields it
        pins), ``sources``, ``tested``, ``test`` and ``notes``, plain values.
        """
        return {
            "name": self.name,
            "summary": self.summary,
            "settings": dict(self.settings),
            "sources": list(self.sources),
            "tested": self.tested,
            "test": self.test,
            "notes": self.notes,
        }


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


#: Kaldi's filterbank as torchaudio.compliance.kaldi.fbank's defaults set it,
#: at 16 kHz, mono (the model families below each change a few of these).
_KALDI_16K = {
    "sr": 16000,
    "mono": True,
    "kind": "fbank",
    "frame_length": 25.0,
    "frame_shift": 10.0,
    "dither": 0.0,
    "preemphasis_coefficient": 0.97,
    "remove_dc_offset": True,
    "window_type": "povey",
    "round_to_power_of_two": True,
    "snip_edges": True,
    "low_freq": 20.0,
    "high_freq": 0.0,
    "use_energy": False,
    "energy_floor": 0.0,
    "use_log_fbank": True,
    "use_power": True,
    "waveform_scale": 1.0,
    "num_frames": None,
    "cmvn": "none",
    "cmvn_ddof": 0,
    "cmvn_eps": 0.0,
    "frame_stack": 1,
    "shift": 0.0,
    "divisor": 1.0,
}

#: AudioSet's mean and standard deviation of AST's filterbank (AST divides
#: by twice the standard deviation).
AST_MEAN, AST_STD = -4.2677393, 4.5689974

_TRANSFORMERS_KALDI_NUMPY = (
    "huggingface/transformers: src/transformers/audio_utils.py (spectrogram "
    "with center=False, remove_dc_offset, preemphasis, fft_length 512, "
    "log_mel='log', mel_floor 1.192092955078125e-07; mel_filter_bank with "
    "mel_scale='kaldi', triangularize_in_mel_space=True)"
)

_FBANK_PRESETS = (
    Preset(
        name="ast",
        summary="Audio Spectrogram Transformer (AudioSet): 128 Kaldi bins, 1024 "
        "frames, AudioSet-normalised",
        settings=_settings(
            **{
                **_KALDI_16K,
                "window_type": "hanning",
                "num_mel_bins": 128,
                "num_frames": 1024,
                "shift": -AST_MEAN,
                "divisor": 2 * AST_STD,
            }
        ),
        sources=(
            "huggingface/transformers: src/transformers/models/"
            "audio_spectrogram_transformer/feature_extraction_audio_spectrogram_"
            "transformer.py (ASTFeatureExtractor: ta_kaldi.fbank(waveform, "
            "sample_frequency=16000, window_type='hanning', num_mel_bins=128), "
            "the float waveform unscaled; max_length 1024: zero frames appended "
            "or frames cut; normalize: (x - (-4.2677393)) / (4.5689974 * 2))",
            "pytorch/audio: src/torchaudio/compliance/kaldi.py (fbank's "
            "defaults: frame_length 25, frame_shift 10, dither 0, preemphasis "
            "0.97, remove_dc_offset, round_to_power_of_two, snip_edges, low_freq "
            "20, high_freq 0, use_log_fbank, use_power, floor float32 eps; "
            "'hanning' is torch.hann_window(periodic=False))",
            "YuanGongND/ast: src/dataloader.py (the same fbank call, "
            "target_length 1024, AudioSet norm_mean -4.2677393, norm_std "
            "4.5689974)",
        ),
        tested=REFERENCE_CODE,
        test="transformers.audio_utils spectrogram, window_function(400, "
        "'hann', periodic=False) and the Kaldi mel_filter_bank called as "
        "ASTFeatureExtractor's numpy path calls them, then its padding and "
        "normalisation (the class itself requires torch)",
        notes="128 filters over 257 FFT bins at 16 kHz make the lowest filters "
        "narrower than the 31.25-Hz bin spacing, and one of them (row 3) holds "
        "no bin at all. Kaldi and kaldi-native-fbank stop "
        "there ('You may have set num_mel_bins too large'); torchaudio, which "
        "AST was trained with, writes log(float32 eps) = -15.94 in those rows, "
        "and so does melcli (without a warning: the row is the model's own; "
        "the same filters chosen without the preset get one). AST's own repository "
        "also subtracts the waveform's mean first; transformers does not, "
        "and neither does this preset.",
    ),
    Preset(
        name="speech2text",
        summary="Speech2Text (S2T): 80 Kaldi bins, utterance mean/variance normalised",
        settings=_settings(
            **{
                **_KALDI_16K,
                "num_mel_bins": 80,
                "waveform_scale": 32768.0,
                "cmvn": "mean-var",
            }
        ),
        sources=(
            "huggingface/transformers: src/transformers/models/speech_to_text/"
            "feature_extraction_speech_to_text.py (Speech2TextFeatureExtractor: "
            "waveform * 2**15; povey window of 400, hop 160, 80 bins from 20 Hz "
            "to sr // 2; utterance_cmvn: x - mean, then / std, numpy's std "
            "(ddof 0), no epsilon)",
            _TRANSFORMERS_KALDI_NUMPY,
        ),
        tested=REFERENCE_CODE,
        test="transformers.Speech2TextFeatureExtractor(), numpy path (torchaudio "
        "absent), one utterance, no padding",
        notes="A bin with zero variance (digital silence) is left centred at 0 "
        "where the reference divides by zero.",
    ),
    Preset(
        name="seamless-m4t",
        summary="SeamlessM4T / w2v-BERT 2.0: 80 Kaldi bins normalised per bin, "
        "2 frames stacked into 160 rows",
        settings=_settings(
            **{
                **_KALDI_16K,
                "num_mel_bins": 80,
                "waveform_scale": 32768.0,
                "cmvn": "mean-var",
                "cmvn_ddof": 1,
                "cmvn_eps": 1e-7,
                "frame_stack": 2,
            }
        ),
        sources=(
            "huggingface/transformers: src/transformers/models/seamless_m4t/"
            "feature_extraction_seamless_m4t.py (SeamlessM4TFeatureExtractor: "
            "waveform * 2**15; povey window of 400, hop 160, 80 bins from 20 Hz "
            "to sr // 2; do_normalize_per_mel_bins: (x - mean) / sqrt(var(ddof=1) "
            "+ 1e-7); pad_to_multiple_of 2 with 0.0; stride 2: (frames // 2, 160))",
            _TRANSFORMERS_KALDI_NUMPY,
        ),
        tested=REFERENCE_CODE,
        test="transformers.SeamlessM4TFeatureExtractor(), numpy code path, one "
        "utterance",
        notes="Row r < 80 of a stacked frame j is bin r of frame 2j, row 80 + r "
        "bin r of frame 2j + 1: the transpose of the model's (frames // 2, 160). "
        "For stereo input the extractor keeps the first channel; melcli "
        "averages the channels (--mono).",
    ),
    Preset(
        name="wenet",
        summary="WeNet recipes (Conformer/U2++, inference): 80 Kaldi bins of "
        "16-bit-range samples",
        settings=_settings(
            **{**_KALDI_16K, "num_mel_bins": 80, "waveform_scale": 32768.0}
        ),
        sources=(
            "wenet-e2e/wenet: wenet/dataset/processor.py (compute_fbank: "
            "waveform * (1 << 15); kaldi.fbank(num_mel_bins, frame_length, "
            "frame_shift, dither, energy_floor=0.0, sample_frequency))",
            "wenet-e2e/wenet: examples/librispeech/s0/conf/*.yaml (fbank_conf: "
            "num_mel_bins 80, frame_length 25, frame_shift 10; dither is for "
            "training only)",
        ),
        tested=REFERENCE_CODE,
        test="kaldi_native_fbank.OnlineFbank with the same options (dither 0) "
        "on the samples times 32768",
        notes="Global CMVN is per model (global_cmvn file) and is left to the "
        "model; training adds dither (--dither 0.1 or 1.0 --seed N).",
    ),
)

#: Every preset, by name.
PRESETS: Mapping[str, Preset] = MappingProxyType(
    {p.name: p for p in (*_PRESETS, *_FBANK_PRESETS)}
)


def get(name: str) -> Preset:
    """Return the preset called ``name``, in any case (``"Whisper"`` too).

    As ``--preset`` takes it: the names are lower case, and one typed as a
    model's own name (``WHISPER``, ``AST``) means that preset.

    Raises
    ------
    ParameterError
        If there is none, listing the names.
    """
    preset = PRESETS.get(name.lower()) if isinstance(name, str) else None
    if preset is None:
        raise ParameterError(one_of("preset", name, list(PRESETS)), param="preset")
    return preset


def preset_params(name: str, **overrides: Any) -> MelParams:
    """Return the settings of preset ``name``, with ``overrides`` applied.

    Examples
    --------
    >>> import melcli
    >>> melcli.preset_params("whisper").n_mels
    80
    >>> melcli.preset_params("whisper", n_mels=128).n_mels
    128

    Raises
    ------
    ParameterError
        If there is no preset ``name``, or an override is no setting (as
        ``--n-mel`` is no option: the nearest is named).

    Warns
    -----
    UserWarning
        If a ``kind`` override does not read the preset's settings
        (``preset_params("whisper", kind="fbank")`` is Kaldi's 23 bins, none
        of Whisper's), as ``--preset whisper --kind fbank`` warns.
    """
    preset = get(name)
    fields = list(MelParams.__dataclass_fields__)
    for key in overrides:
        if key not in fields:
            raise ParameterError(
                f"{key!r} is not a setting (a MelParams field)"
                + did_you_mean(key, fields),
                param=key,
            )
    params = preset.params(**overrides)
    if (said := _kind_drops(preset, overrides)) is not None:
        import warnings

        warnings.warn(said, UserWarning, stacklevel=2)
    return params


def _kind_drops(preset: Preset, overrides: Mapping[str, Any]) -> str | None:
    """Say which of ``preset``'s settings a ``kind`` override leaves unread."""
    kind = overrides.get("kind", preset.settings.get("kind", "mel"))
    if kind == preset.settings.get("kind", "mel"):
        return None
    from .applies import inapplicable

    kept = [k for k in preset.settings if k not in overrides]
    dropped = [name for name, _ in inapplicable(kind, kept)]
    if not dropped:
        return None
    listed = ", ".join(dropped[:4]) + (
        f" and {len(dropped) - 4} more" if len(dropped) > 4 else ""
    )
    return (
        f"kind={kind!r} does not read preset {preset.name}'s {listed}: the "
        f"output is not {preset.name}'s"
    )


__all__ = [
    "DOCUMENTED_ARITHMETIC",
    "PRESETS",
    "REFERENCE_CODE",
    "Preset",
    "get",
    "preset_params",
]
