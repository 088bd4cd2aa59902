from __future__ import annotations

from kb.chunks import make_chunks
from kb.synthetic import make_catalog


def test_synthetic_catalogs_have_the_shape_of_the_real_one():
    catalog = make_catalog(200, "2026-01-01")
    assert len(catalog.entries) == 201 and catalog.entries[-1].id == "说明"
    assert len({e.id for e in catalog.entries}) == 201
    assert {e.category for e in catalog.entries[:-1]} == {"升级服务", "定制开发维护", "系统运维服务", "应用提升服务", "现场服务"}
    assert any(e.exclusions for e in catalog.entries) and any(not e.items for e in catalog.entries)
    assert 3 < len(make_chunks(catalog)) / len(catalog.entries) < 8


def test_synthetic_catalogs_are_deterministic_and_scale_to_20000():
    assert make_catalog(50, "v") == make_catalog(50, "v")
    big = make_catalog(20_000, "v")
    assert len({e.id for e in big.entries}) == 20_001
