"""The STFT power by blocks in reused buffers: the same numbers as plain numpy.

:class:`melcli.transform.PowerBlocks` casts each block's samples to float64,
windows the frames, calls numpy's FFT ufunc directly and squares, every step
into buffers kept from one block to the next. These tests hold it to the
arithmetic it replaces, written out with numpy's public calls on the whole
signal at once, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from melcli import MelParams
from melcli import transform as tf


def plain_power(y: np.ndarray, params: MelParams) -> np.ndarray:
    """``|STFT| ** power`` frames first, as librosa's arithmetic, in one go."""
    x = tf._frames_source(y, params)
    frames = np.lib.stride_tricks.sliding_window_view(x, params.n_fft, axis=-1)
    frames = frames[..., :: params.effective_hop_length, :]
    if params.drop_last_frame:
        frames = frames[..., :-1, :]
    window = tf.stft_window(params.window, params.effective_win_length, params.n_fft)
    D = np.fft.rfft(frames * window, axis=-1).astype(np.complex64)
    if params.stft_eps:
        S = np.square(D.real) + np.square(D.imag) + np.float32(params.stft_eps)
        return np.sqrt(S) if params.power == 1.0 else S
    if params.power == 1.0:
        return np.abs(D)
    return np.square(D.real) + np.square(D.imag)


def signal(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 0.3).astype(np.float32)


SETTINGS = [
    {},
    {"n_fft": 400, "hop_length": 160, "win_length": 300},
    {"n_fft": 1001, "hop_length": 250},  # odd: the other FFT ufunc
    {"power": 1.0},
    {"power": 1.0, "stft_eps": 1e-9},
    {"window": "hamming", "center": False},
    {"drop_last_frame": True, "pad_mode": "reflect"},
]


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("shape", [(30_000,), (2, 30_000), (3, 1, 9_000)])
def test_blocks_of_every_size_give_plain_numpy_bits(
    settings: dict[str, object], shape: tuple[int, ...]
) -> None:
    params = MelParams(**settings).validate()  # type: ignore[arg-type]
    y = signal(shape)
    want = plain_power(y, params)
    block, t = tf._power_blocks(y, params)
    assert t == want.shape[-2]
    got = np.empty_like(want)
    # Growing, shrinking and growing again: buffers made for one size are
    # reused (in part) for the next.
    start, sizes = 0, [3, 1, 7, 2, 16, 5]
    with tf.frame_buffers(params.n_fft):
        for i in range(t):
            if start >= t:
                break
            stop = min(start + sizes[i % len(sizes)], t)
            block(start, stop, got[..., start:stop, :])
            start = stop
    assert start == t
    np.testing.assert_array_equal(got, want)


def test_a_block_returned_is_not_overwritten_by_the_next() -> None:
    params = MelParams().validate()
    y = signal((20_000,))
    want = plain_power(y, params)
    block, _ = tf._power_blocks(y, params)
    first = block(0, 8)
    second = block(8, 16)
    np.testing.assert_array_equal(first, want[:8])
    np.testing.assert_array_equal(second, want[8:16])


@pytest.mark.parametrize("kind", ["stft", "mel"])
def test_whole_transforms_across_many_blocks(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = MelParams(kind=kind).validate()  # type: ignore[arg-type]
    y = signal((2, 40_000), seed=3)
    want = plain_power(y, params)  # (2, t, n_bins)
    if kind == "mel":
        want = np.matmul(tf.mel_basis(22050, params=params), np.swapaxes(want, -1, -2))
    else:
        want = np.swapaxes(want, -1, -2)
    monkeypatch.setattr(tf, "BLOCK_FRAMES", 5)
    if kind == "stft":
        got = tf.spectrogram(y, params=params)
        np.testing.assert_array_equal(got, want)
    else:
        got = tf.mel_power(y, sr=22050, params=params)
        # The banded product only reorders float32 additions.
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-9)


@pytest.mark.parametrize("n_fft", [2048, 400, 1001, 16, 7])
def test_the_fft_is_numpys_rfft(n_fft: int) -> None:
    a = signal((3, 4, n_fft), seed=n_fft).astype(np.float64)
    out = np.empty((3, 4, 1 + n_fft // 2), np.complex128)
    got = tf._rfft(n_fft)(a, out)
    np.testing.assert_array_equal(got, np.fft.rfft(a, axis=-1))
    assert np.shares_memory(got, out)


def test_without_numpys_fft_ufunc_rfft_itself_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy.fft

    monkeypatch.setattr(numpy.fft, "_pocketfft_umath", None, raising=False)
    tf._rfft.cache_clear()
    try:
        a = signal((5, 512), seed=9).astype(np.float64)
        out = np.empty((5, 257), np.complex128)
        got = tf._rfft(512)(a, out)
        np.testing.assert_array_equal(got, np.fft.rfft(a, axis=-1))
        assert np.shares_memory(got, out)
    finally:
        tf._rfft.cache_clear()


def test_frame_buffers_are_restored_with_the_error_settings() -> None:
    before_size, before_err = np.getbufsize(), np.geterr()
    with np.errstate(over="ignore"), tf.frame_buffers(1001):
        assert np.getbufsize() == 992  # numpy takes multiples of 16
        assert np.geterr()["over"] == "ignore"  # the caller's, kept
    assert np.getbufsize() == before_size
    seen = []

    def fails() -> None:
        with tf.frame_buffers(7):
            seen.append(np.getbufsize())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fails()
    assert seen == [16]
    assert np.getbufsize() == before_size
    assert np.geterr() == before_err
