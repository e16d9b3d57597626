"""Shared fixtures: paths to the source data (tests that need it skip where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The source data folder ../shared/data; skips the test where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"source data not found at {SHARED}")
    return SHARED
