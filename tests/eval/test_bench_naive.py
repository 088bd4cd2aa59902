from __future__ import annotations

import pytest

from eval.bench.naive import NaivePipeline, attribute_chunk
from eval.questions import load_question_set
from eval.runner import ask_all
from eval.scoring import evaluate
from ingest import load_catalog
from ingest.models import Entry
from tests.conftest import BUNDLED_CATALOG, REPO


def _entry(product: str, text: str) -> Entry:
    return Entry(id=product, product=product, category="c", page=1, description=text, text=text)


def test_a_chunk_is_attributed_to_the_entry_holding_its_largest_part() -> None:
    entries = [_entry("升级服务", "升级服务 提供升级方案 升级测试"),
               _entry("数据迁移服务", "数据迁移服务 保障将原系统数据迁移至目标系统")]
    chunk = "测试\n数据迁移服务\n保障将原系统数据迁移\n至目标系统"

    assert attribute_chunk(chunk, entries).product == "数据迁移服务"


def test_whitespace_does_not_change_the_attribution() -> None:
    entries = [_entry("A", "alpha beta gamma"), _entry("B", "delta epsilon")]

    assert attribute_chunk("alphabeta\ngam", entries).product == "A"


@pytest.mark.slow
def test_naive_pipeline_cites_catalog_entries_for_three_questions() -> None:
    catalog = load_catalog(BUNDLED_CATALOG)
    pipeline = NaivePipeline(BUNDLED_CATALOG, catalog)
    questions = load_question_set(REPO / "eval" / "sets" / "dev.jsonl")[:3]
    products = {entry.product for entry in catalog.entries}

    results = ask_all(pipeline, questions, progress=False)

    for question, result in zip(questions, results):
        assert result.id == question.id and result.error is None and not result.abstained
        assert 1 <= len(result.citations) <= pipeline.k
        assert {citation.product for citation in result.citations} <= products
        assert result.catalog_version == catalog.catalog_version
    assert pipeline.chunk_count > 1
    assert evaluate(questions, results).scores.hit_at_1.total == 3
