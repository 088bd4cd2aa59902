"""`kbbot examples`: staff teach the bot; the next answer uses what they taught, without a restart."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.surfaces.cli import cli

UNHEARD_OF = "蓝鲸小组下个季度想搞一次内部的'鲸落计划'，对应你们哪项服务"


@pytest.fixture
def run(kb_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_EMBEDDINGS", "fake")
    monkeypatch.delenv("KB_LLM", raising=False)
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_a_taught_example_is_used_by_the_next_answer_of_a_running_bot(run, kb_home: Path) -> None:
    from bot.chain import CatalogBot

    bot = CatalogBot(llm=None)  # an empty KB_HOME: the bundled catalog is ingested first
    before = bot.ask(UNHEARD_OF)
    assert not before.citations or before.citations[0].product != "培训服务"

    result = run("examples", "add", UNHEARD_OF, "--product", "培训服务", "--json")
    assert result.exit_code == 0, result.output
    stored = json.loads(result.output)
    assert stored["products"] == ["培训服务"] and stored["writer"] == "staff" and stored["lang"] == "zh"

    after = bot.ask(UNHEARD_OF)  # same process, no restart
    assert not after.abstained and after.citations[0].product == "培训服务"

    listed = json.loads(run("examples", "list", "--json", "--writer", "staff").output)
    assert [e["question"] for e in listed["active"]] == [UNHEARD_OF]


def test_a_taught_decline_is_declined(run) -> None:
    question = "培训服务的讲师能顺便帮我们看看孩子的数学作业吗"
    assert run("examples", "add", question, "--abstain").exit_code == 0
    from bot.chain import CatalogBot

    answer = CatalogBot(llm=None).ask(question)
    assert answer.abstained and not answer.citations


def test_export_writes_the_data_examples_format(run, tmp_path: Path) -> None:
    run("examples", "add", "我们想让你们的人常驻工厂半年", "--product", "驻场服务")
    out = tmp_path / "staff.jsonl"
    result = run("examples", "export", str(out), "--writer", "staff")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"question": "我们想让你们的人常驻工厂半年", "lang": "zh", "products": ["驻场服务"], "clause": None,
                      "verdict": None, "abstain": False, "writer": "staff", "covered_by": []}]
    assert run("examples", "export", str(out)).exit_code == 2  # never overwritten without --force


@pytest.mark.parametrize("args, message", [
    (["examples", "add", "有没有 ERP 咨询", "--product", "咨询服务"], "unknown product '咨询服务'"),
    (["examples", "add", "有没有 ERP 咨询"], "--product P"),
    (["examples", "add", "升级服务多少钱", "--abstain", "--product", "升级服务"], "--abstain takes no --product"),
    (["examples", "add", "升级服务包括测试吗", "--product", "升级服务", "--clause", "不存在的条款"], "clause is not text"),
])
def test_bad_examples_are_one_line_errors_and_nothing_is_stored(run, kb_home: Path, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (kb_home / "examples.jsonl").exists()
