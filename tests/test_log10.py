"""transform.scaled_log10: numpy's ln scaled, in place of np.log10 (issue 19)."""

from __future__ import annotations

import numpy as np

from melcli import transform as tf


def test_scaled_log10_is_log10_within_float32_steps() -> None:
    # Every power a spectrogram holds, from below amin to overflow's edge.
    x = np.float32(10.0) ** np.linspace(-12, 38, 200_001, dtype=np.float32)
    exact = np.log10(x.astype(np.float64))
    for factor in (1.0, 10.0):
        got = tf.scaled_log10(x.copy(), factor=factor)
        assert got.dtype == np.float32
        step = np.spacing(np.abs(factor * exact).astype(np.float32))
        assert (np.abs(got - factor * exact) <= 4 * np.maximum(step, 1e-7)).all()


def test_scaled_log10_writes_into_its_argument() -> None:
    x = np.array([1.0, 10.0, 1e-10, 100.0], np.float32)
    out = tf.scaled_log10(x, factor=10.0)
    assert out is x
    np.testing.assert_allclose(out, [0.0, 10.0, -100.0, 20.0], atol=1e-5)


def test_power_to_db_peak_is_exactly_zero_and_clamp_exact() -> None:
    rng = np.random.default_rng(19)
    S = (10.0 ** rng.uniform(-14, 4, (2, 64, 300))).astype(np.float32)
    S_db = tf.power_to_db(S, ref="max", top_db=80.0)
    assert S_db.max() == 0.0
    assert S_db.min() == np.float32(-80.0)
    assert S_db[np.unravel_index(S.argmax(), S.shape)] == 0.0


def test_log_power_base_10_and_natural() -> None:
    S = np.array([[1e-12, 1e-3, 1.0, 5e3]], np.float32)
    np.testing.assert_allclose(
        tf.log_power(S, base=10, amin=1e-10, clamp=None),
        np.log10(np.maximum(S, 1e-10)),
        atol=2e-6,
    )
    np.testing.assert_array_equal(
        tf.log_power(S, amin=1e-5), np.log(np.maximum(S, np.float32(1e-5)))
    )
    assert tf.log_power(S, base=10, clamp=8.0).min() == np.float32(
        tf.log_power(S, base=10).max() - np.float32(8.0)
    )
