"""Shared fixtures and fakes. Package-specific fixtures live in tests/<package>/conftest.py."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_CATALOG = REPO / "data" / "catalog" / "kingdee-special-services-catalog-2025-07-01.txt"


@pytest.fixture
def kb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty knowledge-base home, so no test touches the user's KB."""
    home = tmp_path / "kb_home"
    monkeypatch.setenv("KB_HOME", str(home))
    monkeypatch.delenv("KB_CHROMA_URL", raising=False)
    return home
