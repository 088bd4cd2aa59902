from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench.ingest_scaling import IngestRun, growth_exponent, time_ingest
from ingest import load_catalog
from tests.conftest import BUNDLED_CATALOG


def _run(entries: int, seconds: float) -> IngestRun:
    return IngestRun(label=str(entries), entries=entries, seconds=seconds)


def test_growth_exponent_tells_linear_from_quadratic() -> None:
    assert growth_exponent([_run(200, 2.0), _run(2000, 20.0)]) == pytest.approx(1.0)
    assert growth_exponent([_run(2000, 200.0), _run(200, 2.0)]) == pytest.approx(2.0)
    assert growth_exponent([_run(200, 2.0)]) is None


def test_cost_per_entry() -> None:
    assert _run(200, 3.0).ms_per_entry == pytest.approx(15.0)


@pytest.mark.slow
def test_bundled_ingest_is_timed_into_its_own_home(kb_home: Path, tmp_path: Path) -> None:
    catalog = load_catalog(BUNDLED_CATALOG)

    run = time_ingest(catalog, "bundled", tmp_path)

    assert run.entries == len(catalog.entries) and run.seconds > 0
    assert not kb_home.exists(), "the benchmark must not write into the user's KB_HOME"
    assert any(tmp_path.glob("ingest-bundled-*/*"))
