"""The writer kit: built from the catalog alone, and its checker catches what would make a blind set unfair."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.writer_kit import build_kit


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("writer_kit")
    build_kit(out)
    return out


def _check(kit: Path, tmp_path: Path, rows: list[dict], *options: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    # A writer runs it with a plain python3, from the kit, outside the project: so does the test.
    return subprocess.run([sys.executable, "-I", str(kit / "check.py"), "evalset", str(path), *options],
                          capture_output=True, text=True, cwd=tmp_path, check=False)


GOOD = {"id": "b1-001", "question": "升级的时候会先搭个测试环境给我们试吗", "history": [], "lang": "zh",
        "gold": ["升级服务"], "gold_all": [], "facts": [["测试环境"]], "verdict": "included", "abstain": False}


def test_kit_holds_the_catalog_the_format_and_nothing_of_the_bot(kit: Path) -> None:
    names = sorted(p.name for p in kit.iterdir())
    assert names == sorted(["BRIEF.md", "catalog_clauses.md", "check.py", "eval-format.md",
                            "kingdee-special-services-catalog-2025-07-01.txt", "products.json"])
    products = json.loads((kit / "products.json").read_text(encoding="utf-8"))
    assert len(products) == 25 and "说明" in products and "苍穹 PaaS 实验室" in products
    clauses = (kit / "catalog_clauses.md").read_text(encoding="utf-8")
    assert clauses.count("\n## ") + clauses.startswith("## ") == 25
    assert "24 人天" in clauses  # the catalog's own spacing, which facts must copy


def test_a_good_set_passes_and_is_summarised(kit: Path, tmp_path: Path) -> None:
    english = GOOD | {"id": "b1-002", "question": "Does the upgrade include a test environment?", "lang": "en"}
    decline = {"id": "b1-003", "question": "升级服务多少钱", "lang": "zh", "abstain": True}
    done = _check(kit, tmp_path, [GOOD, english, decline], "--prefix", "b1-")
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("0 problems; 3 questions; English 1 (33 %); abstain 1 (33 %)")


@pytest.mark.parametrize(("change", "reason"), [
    ({"facts": [["24人天"]], "gold": ["现场服务包"]}, "check the spacing"),
    ({"facts": [["数据迁移"]]}, "not in the gold product's clauses"),
    ({"gold": ["升级服务包"]}, "unknown product"),
    ({"lang": "en"}, "mostly Chinese"),
    ({"abstain": True}, "an abstain question has no gold"),
    ({"verdict": "maybe"}, "verdict must be"),
    ({"history": [{"role": "bot", "content": "x"}]}, "history turn"),
    ({"gold_all": ["培训服务"]}, "must also be in gold"),
    ({"id": "x-001"}, "id must start with 'b1-'"),
])
def test_a_bad_line_is_named_with_its_reason(kit: Path, tmp_path: Path, change: dict, reason: str) -> None:
    done = _check(kit, tmp_path, [GOOD | change], "--prefix", "b1-")
    assert done.returncode == 1
    assert done.stdout.startswith("1: ") and reason in done.stdout.splitlines()[0]


def test_too_few_questions_and_duplicate_ids_are_problems(kit: Path, tmp_path: Path) -> None:
    done = _check(kit, tmp_path, [GOOD, GOOD], "--min", "3")
    assert done.returncode == 1
    assert "2: duplicate id (first on line 1)" in done.stdout
    assert "only 2 questions; at least 3 are asked for" in done.stdout


def test_examples_need_clauses_copied_exactly(kit: Path, tmp_path: Path) -> None:
    path = tmp_path / "examples.jsonl"
    row = {"question": "升级前会搭测试环境吗", "lang": "zh", "products": ["升级服务"], "clause": "搭一个测试环境",
           "verdict": "included", "abstain": False, "writer": "w1"}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(kit / "check.py"), "examples", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "clause is not copied exactly" in done.stdout
