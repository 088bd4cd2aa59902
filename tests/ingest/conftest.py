"""Fixtures for ingest tests."""
from __future__ import annotations

import pytest

from tests.conftest import BUNDLED_CATALOG


@pytest.fixture(scope="session")
def bundled_text() -> str:
    return BUNDLED_CATALOG.read_text(encoding="utf-8")
