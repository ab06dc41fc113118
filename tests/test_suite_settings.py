"""The test suite's own settings."""

from __future__ import annotations

import hypothesis

# -----------------------------------------------------------------------------
# No unit test measures speed: a busy machine must not fail one (TEAM.md).


def test_property_tests_have_no_deadline() -> None:
    # Hypothesis's default 200 ms per example failed test_tarshards at load 13.
    assert hypothesis.settings.default.deadline is None
