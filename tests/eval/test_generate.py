from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eval.cli import eval_group
from eval.generate import generate_questions, item_topic, key_phrase
from eval.questions import load_question_set
from ingest import load_catalog

SMALL_CATALOG = """发布日期 2026-01-01

1 / 1

专项服务产品清单

类别 服务产品 服务说明

测试类别

巡检服务

金蝶为客户（您）提供巡检服务，服务内容如下：

1）远程巡检：每季度一次远程检查；

2）巡检报告：提供书面报告。

不包含硬件维修。

说明：

（1）适用范围：以合同为准。
"""


def test_generate_covers_every_entry_item_and_exclusion_of_the_bundled_catalog(tmp_path: Path) -> None:
    catalog = load_catalog()
    out = tmp_path / "generated.jsonl"
    result = CliRunner().invoke(eval_group, ["generate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    load_question_set(out)  # the public format, loadable as any other set
    declines = [line for line in lines if line["abstain"]]
    assert declines and all(not line["gold"] and not line["facts"] for line in declines)
    siblings = [line for line in lines if line["clause"]["kind"] == "sibling"]
    assert siblings and all(line["verdict"] == "not_included" for line in siblings)
    covered = {(line["gold"][0], line["clause"]["kind"], line["clause"]["text"]) for line in lines if line["gold"]}
    for entry in catalog.entries:
        assert any(p == entry.product and kind == "entry" for p, kind, _ in covered), entry.product
        for item in entry.items:
            assert (entry.product, "item", item) in covered
        for clause in entry.exclusions:
            assert (entry.product, "exclusion", clause) in covered
    by_clause = {line["clause"]["text"]: line for line in lines}
    assert by_clause["不包含二次开发及第三方产品导致的问题"]["verdict"] == "not_included"
    assert by_clause["不含已退出产品生命周期的金蝶产品"]["verdict"] == "not_included"
    assert by_clause["具体服务内容以实际约定为准"]["verdict"] is None
    included = [line for line in lines if line["verdict"] == "included"]
    assert len(included) == sum(len(e.items) for e in catalog.entries if e.product != "说明")
    flat = "".join(" ".join(e.text for e in catalog.entries).split())
    assert all(any("".join(a.split()) in flat for a in fact) for line in lines for fact in line["facts"])


def test_generate_from_another_catalog_file(tmp_path: Path) -> None:
    source = tmp_path / "other-catalog-2026-01-01.txt"
    source.write_text(SMALL_CATALOG, encoding="utf-8")
    lines = generate_questions(load_catalog(source))
    questions = {line["question"]: line for line in lines}
    assert questions["巡检服务包括远程巡检吗？"]["verdict"] == "included"
    assert questions["巡检服务包括硬件维修吗？"]["verdict"] == "not_included"
    assert questions["巡检服务包括硬件维修吗？"]["facts"] == [["硬件维修"]]


def test_topics_are_headings_or_key_phrases() -> None:
    assert item_topic("方案执行：提供工具下载及许可授权，执行转换方案；") == "方案执行"
    assert item_topic("制定详细的迁移方案和实施计划；") == "制定详细的迁移方案和实施计划"
    assert key_phrase("对客户（您）原有系统迁移进行全面的评估和统筹规划；") == "原有系统迁移进行全面的评估和统筹规划"


def test_generate_reports_a_missing_catalog_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(eval_group, ["generate", "--out", str(tmp_path / "g.jsonl"),
                                             "--catalog", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert not (tmp_path / "g.jsonl").exists()
