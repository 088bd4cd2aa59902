"""The runner end to end with a fake bot: files, order, format, CLI errors, and an independent recount."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import eval.cli
from bot.models import Turn
from eval.cli import eval_group
from eval.gate import load_thresholds
from eval.questions import load_question_set
from eval.runner import run_set
from tests.eval.conftest import FakeBot, answer, write_jsonl

RESULT_FIELDS = ["id", "question", "answer", "citations", "verdict", "abstained", "latency_ms", "catalog_version"]

# Written by "someone else": other id style, extra fields, fields in another order, optional ones left out.
OUTSIDE_SET = [
    {"question": "数据库转换服务包括工具授权吗？", "id": "QA/2025/001", "lang": "zh", "gold": ["数据库转换服务"],
     "facts": [["许可授权"]], "verdict": "included", "owner": "客户QA", "priority": "P1"},
    {"id": "QA/2025/002", "question": "那它和信创服务有什么区别？", "lang": "zh",
     "history": [{"role": "user", "content": "数据库转换服务是什么？"},
                 {"role": "assistant", "content": "提供数据库转换方案。"}],
     "gold": ["数据库转换服务", "信创服务"], "gold_all": ["信创服务", "数据库转换服务"], "abstain": False},
    {"id": "QA/2025/003", "question": "Is the PaaS lab a joint development model?", "lang": "en",
     "gold": ["苍穹PaaS实验室"], "facts": [["联合开发", "joint development"]], "verdict": "included",
     "notes": {"reviewer": "x"}},
    {"id": "QA/2025/004", "question": "升级服务打几折？", "lang": "zh", "gold": [], "abstain": True},
    {"id": "QA/2025/005", "question": "驻场服务包括软件授权吗？", "lang": "zh", "gold": ["驻场服务"], "verdict": "not_included"},
]


def outside_bot() -> FakeBot:
    def follow_up(history: list[Turn]) -> object:
        assert history and history[0].content == "数据库转换服务是什么？"
        return answer("两者区别……", ("数据库转换服务", "信创服务"))

    return FakeBot({
        "数据库转换服务包括工具授权吗？": answer("包括：提供工具下载及许可授权。", ("数据库转换服务",), "included"),
        "那它和信创服务有什么区别？": follow_up,
        "Is the PaaS lab a joint development model?": answer("Yes: 苍穹 PaaS 实验室模式联合开发", ("苍穹 PaaS 实验室",),
                                                           "included"),
        "升级服务打几折？": answer("抱歉，价格不在清单中。", abstained=True),
        "驻场服务包括软件授权吗？": answer("清单未提及软件授权。", ("驻场服务",), "included"),  # wrong verdict
    })


def independent_recount(set_path: Path, results_path: Path) -> dict[str, float]:
    """eval-format.md's definitions, recomputed from the two files only, without the eval package."""
    questions = [json.loads(line) for line in set_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = {r["id"]: r for r in map(json.loads, results_path.read_text(encoding="utf-8").splitlines())}
    norm = lambda name: "".join(name.split())  # noqa: E731
    hit1 = hit3 = answerable = all_ok = with_all = facts_met = facts_total = verdict_ok = with_verdict = 0
    abstain_ok = 0
    for q in questions:
        r = results[q["id"]]
        cited = [norm(c["product"]) for c in r["citations"]]
        gold = {norm(g) for g in q.get("gold", [])}
        if not q.get("abstain") and gold:
            answerable += 1
            hit1 += bool(cited) and cited[0] in gold
            hit3 += any(c in gold for c in cited[:3])
        if q.get("gold_all"):
            with_all += 1
            all_ok += all(norm(g) in cited for g in q["gold_all"])
        for alternatives in q.get("facts", []):
            facts_total += 1
            facts_met += any(a.lower() in r["answer"].lower() for a in alternatives)
        if q.get("verdict"):
            with_verdict += 1
            verdict_ok += (r["verdict"] in ("excluded", "not_listed")) if q["verdict"] == "not_included" \
                else r["verdict"] == q["verdict"]
        expected = bool(q.get("abstain"))
        abstain_ok += (r["abstained"] == expected) and (not r["abstained"] or not r["citations"])
    latencies = [r["latency_ms"] for r in results.values()]
    return {"hit@1": hit1 / answerable, "hit@3": hit3 / answerable, "gold_all": all_ok / with_all,
            "facts": facts_met / facts_total, "verdict": verdict_ok / with_verdict,
            "abstention": abstain_ok / len(questions),
            "latency_p50_ms": float(np.percentile(latencies, 50)), "latency_p95_ms": float(np.percentile(latencies, 95))}


def test_outside_set_runs_unchanged_and_report_matches_an_independent_recount(tmp_path: Path) -> None:
    set_path = write_jsonl(tmp_path / "outside.jsonl", OUTSIDE_SET)
    bot = outside_bot()
    out = tmp_path / "run"
    run_set(bot, load_question_set(set_path), out, set_name="outside.jsonl", retrieval=False, progress=False)

    assert {p.name for p in out.iterdir()} >= {"results.jsonl", "report.json", "report.md", "report.png"}
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [q["id"] for q in OUTSIDE_SET]  # the set's order
    assert all(list(line) == RESULT_FIELDS for line in lines)
    assert all(line["latency_ms"] >= 0 for line in lines)
    assert lines[0]["citations"][0] == {"product": "数据库转换服务", "category": "系统运维服务", "page": 1,
                                        "quote": "数据库转换服务的条款"}
    # untimed warm-up: the first question of each type (scope, comparison, abstain); then each once, in order
    assert [call[0] for call in bot.calls[:3]] == [OUTSIDE_SET[i]["question"] for i in (0, 1, 3)]
    assert [call[0] for call in bot.calls[3:]] == [q["question"] for q in OUTSIDE_SET]

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    scores = report["evaluation"]["scores"]
    mine = {"hit@1": scores["hit_at_1"]["value"], "hit@3": scores["hit_at_3"]["value"],
            "gold_all": scores["gold_all_recall"]["value"], "facts": scores["fact_coverage"]["value"],
            "verdict": scores["verdict_accuracy"]["value"], "abstention": scores["abstention_accuracy"]["value"],
            "latency_p50_ms": scores["latency_p50_ms"], "latency_p95_ms": scores["latency_p95_ms"]}
    assert mine == pytest.approx(independent_recount(set_path, out / "results.jsonl"))
    assert scores["verdict_accuracy"]["value"] == pytest.approx(2 / 3)  # the wrong 驻场服务 verdict counts
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "QA/2025/005" in markdown and "verdict included instead of not_included" in markdown


def test_a_bot_error_is_recorded_against_its_question_and_the_run_goes_on(tmp_path: Path) -> None:
    def boom(history: list[Turn]) -> object:
        raise RuntimeError("index gone")

    set_path = write_jsonl(tmp_path / "s.jsonl", OUTSIDE_SET[:1] + OUTSIDE_SET[3:4])
    bot = FakeBot({OUTSIDE_SET[0]["question"]: boom})
    run_set(bot, load_question_set(set_path), tmp_path / "run", "s", retrieval=False, progress=False, chart=False)
    first, second = [json.loads(x) for x in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert first["error"] == "RuntimeError: index gone" and first["citations"] == []
    assert second["abstained"] is True and "error" not in second


@pytest.fixture
def cli_with_fake_bot(monkeypatch: pytest.MonkeyPatch) -> FakeBot:
    bot = outside_bot()
    categories = {"数据库转换服务": "系统运维服务", "信创服务": "系统运维服务", "苍穹 PaaS 实验室": "现场服务",
                  "驻场服务": "现场服务"}
    monkeypatch.setattr(eval.cli, "open_bot", lambda with_search: (bot, categories, None))
    return bot


def test_cli_run_writes_a_run_and_gates(tmp_path: Path, cli_with_fake_bot: FakeBot) -> None:
    set_path = write_jsonl(tmp_path / "outside.jsonl", OUTSIDE_SET)
    out = tmp_path / "run"
    result = CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(out), "--no-retrieval", "--no-chart"])
    assert result.exit_code == 0, result.output
    assert "verdict" in result.output and (out / "report.md").exists()

    again = CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(out), "--no-retrieval"])
    assert again.exit_code == 2 and "already holds a run" in again.output  # nothing stored is overwritten

    gated = CliRunner().invoke(eval_group, ["score", str(set_path), str(out), "--gate", "dev"])
    minimums = load_thresholds("dev")
    assert gated.exit_code == 1 and f"verdict: 0.667 < {minimums['verdict']:.3f}" in gated.output
    assert f"included_precision: 0.667 < {minimums['included_precision']:.3f}" in gated.output  # a wrong yes, apart


def test_cli_stops_on_a_malformed_set_before_asking_anything(tmp_path: Path, cli_with_fake_bot: FakeBot) -> None:
    set_path = write_jsonl(tmp_path / "bad.jsonl", OUTSIDE_SET[:2] + ['{"id": "x", "question": ]'])
    result = CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and f"{set_path}:3: not valid JSON" in result.output
    assert cli_with_fake_bot.calls == [] and not (tmp_path / "run").exists()


def test_cli_rejects_an_unknown_gate_before_asking(tmp_path: Path, cli_with_fake_bot: FakeBot) -> None:
    set_path = write_jsonl(tmp_path / "outside.jsonl", OUTSIDE_SET)
    result = CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(tmp_path / "r"), "--no-retrieval",
                                             "--no-chart", "--gate", "nonesuch"])
    assert result.exit_code == 2 and "no thresholds for 'nonesuch'" in result.output
    assert cli_with_fake_bot.calls == [] and not (tmp_path / "r").exists()


def test_results_split_into_the_same_lines_for_every_reader(tmp_path: Path) -> None:
    set_path = write_jsonl(tmp_path / "s.jsonl", OUTSIDE_SET[:2])
    odd = answer("第一行\u2028第二行\x85第三行", ("数据库转换服务",), "included")
    bot = FakeBot({OUTSIDE_SET[0]["question"]: odd})
    run_set(bot, load_question_set(set_path), tmp_path / "run", "s", retrieval=False, progress=False, chart=False)
    text = (tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8")
    assert len(text.splitlines()) == 2
    assert json.loads(text.splitlines()[0])["answer"] == odd.answer


def test_cli_score_recomputes_a_run_and_rejects_broken_results(tmp_path: Path, cli_with_fake_bot: FakeBot) -> None:
    set_path = write_jsonl(tmp_path / "outside.jsonl", OUTSIDE_SET)
    out = tmp_path / "run"
    CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(out), "--no-retrieval", "--no-chart"])
    before = json.loads((out / "report.json").read_text(encoding="utf-8"))["evaluation"]["scores"]
    rescored = CliRunner().invoke(eval_group, ["score", str(set_path), str(out)])
    assert rescored.exit_code == 0, rescored.output
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["evaluation"]["scores"] == before

    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    (out / "results.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    missing = CliRunner().invoke(eval_group, ["score", str(set_path), str(out)])
    assert missing.exit_code == 2 and "no line for 1 question(s), first 'QA/2025/005'" in missing.output
    (out / "results.jsonl").write_text(lines[0][:20] + "\n", encoding="utf-8")
    broken = CliRunner().invoke(eval_group, ["score", str(set_path), str(out)])
    assert broken.exit_code == 2 and "results.jsonl:1: Invalid JSON" in broken.output


def test_cli_warns_about_gold_names_the_catalog_lacks(tmp_path: Path, cli_with_fake_bot: FakeBot) -> None:
    set_path = write_jsonl(tmp_path / "typo.jsonl", OUTSIDE_SET[:1] + [{**OUTSIDE_SET[4], "gold": ["驻厂服务"]}])
    result = CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(tmp_path / "r"), "--no-retrieval",
                                             "--no-chart"])
    assert result.exit_code == 0
    assert "warning: gold products not in the catalog: 驻厂服务" in result.output
