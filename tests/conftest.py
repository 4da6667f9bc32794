"""Shared test fixtures: the location of ``../shared`` reference data; Hypothesis profiles.

Hypothesis profiles (property tests keep their own ``max_examples``):

- ``ci`` — derandomized (examples seeded from each test's own code, so every run tests the
  same inputs until the test or Hypothesis changes), no deadline, no example database,
  ``print_blob`` to reproduce a failure, no timing-based ``too_slow`` health check.
- ``dev`` — random examples on every run, no deadline, ``print_blob``; failures are saved
  in the local example database and replayed first.

Selection: ``HYPOTHESIS_PROFILE=dev`` (or ``=ci``) when set; otherwise ``ci`` — the default
is what CI runs, since ``.ci/run`` calls plain ``python -m pytest`` (with or without a ``CI``
variable). ``pytest --hypothesis-profile=NAME`` overrides both. A ``--hypothesis-seed=N``
without an explicit profile switches to ``dev``, because a derandomized run ignores seeds:

    HYPOTHESIS_PROFILE=dev .venv/bin/python -m pytest tests/engine   # new examples each run
    .venv/bin/python -m pytest tests/engine --hypothesis-seed=38     # one random run, replayable
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", derandomize=False, deadline=None, print_blob=True)
PROFILE_ENV = "HYPOTHESIS_PROFILE"
# Loaded on import, before any test module builds its @settings (which inherit from it).
settings.load_profile(os.environ.get(PROFILE_ENV, "").strip() or "ci")


def pytest_configure(config: pytest.Config) -> None:
    explicit = os.environ.get(PROFILE_ENV, "").strip() or config.getoption(
        "--hypothesis-profile", None
    )
    if config.getoption("--hypothesis-seed", None) is not None and not explicit:
        settings.load_profile("dev")


def shared_path(*parts: str) -> Path:
    """Path under ``../shared``; skips the calling test when it is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (only present beside the project checkout)")
    return path


@pytest.fixture(scope="session", autouse=True)
def _session_table_loaded_once() -> None:
    """Load the NYSE session table in the main thread before any test runs.

    ``engine.settlement.session_table`` silences exchange_calendars' pandas deprecation
    warnings with ``warnings.catch_warnings``, which changes process-wide filters and is not
    thread-safe: loaded for the first time in a test server's worker thread while pytest
    resets its own filters, the warning could escape as an error (a 500 in that test).
    """
    from engine.settlement import session_table

    session_table()
