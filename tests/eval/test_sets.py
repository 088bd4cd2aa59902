"""The bundled question sets: loadable, labelled with the catalog's own names, facts checkable."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from eval.questions import load_question_set
from ingest.models import entry_id
from ingest import load_catalog

SETS = Path(__file__).resolve().parents[2] / "eval" / "sets"


@pytest.fixture(scope="module")
def catalog_text() -> tuple[set[str], str]:
    catalog = load_catalog()
    flat = re.sub(r"\s+", "", " ".join(entry.text for entry in catalog.entries))
    return {entry.id for entry in catalog.entries}, flat


@pytest.mark.parametrize("name", ["dev.jsonl", "dev_holdout.jsonl", "example.jsonl"])
def test_labels_are_catalog_products_and_facts_are_catalog_wording(name: str, catalog_text) -> None:
    products, flat = catalog_text
    questions = load_question_set(SETS / name)
    for q in questions:
        assert {entry_id(p) for p in q.gold + q.gold_all} <= products, q.id
        assert set(q.gold_all) <= set(q.gold), q.id
        assert q.abstain or q.gold, q.id
        for alternatives in q.facts:
            assert any(entry_id(a) in flat for a in alternatives), (q.id, alternatives)


def test_dev_set_has_the_required_mix() -> None:
    questions = load_question_set(SETS / "dev.jsonl")
    per_product = Counter(entry_id(p) for q in questions for p in q.gold)
    assert len(questions) >= 160
    assert len(per_product) == 25 and min(per_product.values()) >= 4  # 24 products + 说明
    assert sum(q.lang == "en" for q in questions) >= 20
    assert sum(bool(q.history) for q in questions) >= 15
    assert sum(bool(q.gold_all) for q in questions) >= 10
    assert sum(q.abstain for q in questions) >= 20
    for verdict in ("included", "not_included"):
        asked = {entry_id(p) for q in questions if q.verdict == verdict for p in q.gold}
        assert asked >= set(per_product) - {"说明"}, verdict
