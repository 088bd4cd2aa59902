"""The decision module: fitted weights applied to signals; hard declines; the clause and pointer it picks."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.decide import DECISION_PATH, Decider, Judged, load_models, product_candidates
from bot.signals import Signals
from bot.verdict import Concept
from bot.understand import Understanding
from kb.examples import Example, Neighbour

CLAUSE = "升级测试：搭建升级测试环境，执行升级操作；"
TEXTS = {"升级服务": f"……{CLAUSE}……不包含二次开发", "数据迁移服务": "方案制定：……", "说明": "适用范围：……"}


def _models(tmp_path: Path, **thresholds: float) -> Path:
    """A hand-written model file: each model trusts exactly one feature, so the tests read plainly."""
    def model(feature: str, threshold: float = 0.5) -> dict:
        return {"features": [feature], "weights": [20.0], "bias": -10.0, "threshold": threshold}

    content = {"abstain": model("nn_abstain", thresholds.get("abstain", 0.5)), "product": model("nn_vote"),
               "scope": model("nn_scope"), "included": model("nn_included", thresholds.get("included", 0.5))}
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def _signals(*neighbours: Example, products: list[str] | None = None, kind: str = "which",
             reason: str | None = None, negated: frozenset[str] = frozenset(), followup: bool = False) -> Signals:
    u = Understanding(question="q", lang="zh", kind="abstain" if reason else kind, products=products or [],
                      abstain_reason=reason, followup=followup)
    return Signals(u, [Neighbour(e, 0.9 - 0.001 * i) for i, e in enumerate(neighbours)], [], negated)


def _decide(decider: Decider, signals: Signals, judged: Judged = Judged("not_listed")):
    return decider.decide(signals, judge=lambda product: judged, entry_text=TEXTS.get,
                          exclusions=lambda product: ["不包含二次开发"] if product == "升级服务" else [])


def test_the_shipped_models_load_and_say_how_they_were_fitted() -> None:
    models = load_models(DECISION_PATH)
    assert models.fitted["cv"] == "leave one writer out"
    assert models.fitted["models"]["included"]["precision"] >= 0.97
    for model in (models.abstain, models.product, models.scope, models.included):
        assert len(model.features) == len(model.weights) and 0.0 < model.threshold <= 1.0


def test_an_override_attempt_is_declined_whatever_the_neighbours_say(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    yes = Example(question="x", products=["升级服务"], verdict="included", clause=CLAUSE)
    decision = _decide(decider, _signals(yes, yes, reason="injection"))
    assert decision.abstain and decision.abstain_reason == "injection"


def test_neighbours_that_decline_decline(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    no = Example(question="升级服务多少钱", abstain=True)
    assert _decide(decider, _signals(no, no, no)).abstain
    assert not _decide(decider, _signals(Example(question="y", products=["升级服务"]))).abstain


def test_a_yes_quotes_the_clause_of_the_nearest_yes_example_when_the_judge_found_none(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    yes = Example(question="升级时给测试环境吗", products=["升级服务"], verdict="included", clause=CLAUSE)
    decision = _decide(decider, _signals(yes, yes, products=["升级服务"], kind="scope"))
    assert (decision.products[0], decision.verdict, decision.clause) == ("升级服务", "included", CLAUSE)


def test_a_yes_quotes_the_clause_the_near_yes_examples_vote_for_not_only_the_nearests(tmp_path: Path) -> None:
    """Two examples a hair further away that name one clause outvote the nearest naming another; a clause the
    entry no longer has never votes; with one voter each, the nearest wins."""
    texts = {**TEXTS, "升级服务": f"……{CLAUSE}……上线保障：完成正式升级，上线切换；……"}
    decider = Decider(_models(tmp_path))

    def example(clause: str) -> Example:
        return Example(question="升级完还管吗", products=["升级服务"], verdict="included", clause=clause)
    stale, live = example("上线保障：完成正式升级，不再有的字；"), example("上线保障：完成正式升级，上线切换；")

    def clause(*neighbours: Example) -> str | None:
        signals = _signals(*neighbours, products=["升级服务"], kind="scope")
        return decider.decide(signals, judge=lambda product: Judged("not_listed"), entry_text=texts.get,
                              exclusions=lambda product: []).clause
    assert clause(example(CLAUSE), live, live) == live.clause
    assert clause(example(CLAUSE), stale, stale) == CLAUSE
    assert clause(example(CLAUSE), live) == CLAUSE


def test_a_yes_the_judge_read_from_part_of_what_is_asked_quotes_the_clause_the_yes_examples_vote_for(tmp_path: Path) -> None:
    """"装好以后打 patch 也是你们负责吗": the judge's yes rests on 「安装部署」, which names only the time anchor
    装好; the near yes examples vote for the clause naming 补丁. A judge's clause naming all that is asked stays."""
    installs = "安装部署：完成产品环境的安装部署；"
    patches = "运维支持：包括产品补丁更新、数据备份；"
    texts = {**TEXTS, "私有云部署与运维支持服务": f"{installs}{patches}"}
    decider = Decider(_models(tmp_path))
    asked = (Concept("补丁", frozenset({"补丁", "patch"})), Concept("安装", frozenset({"安装", "装好"})))
    voter = Example(question="打补丁你们管吗", products=["私有云部署与运维支持服务"], verdict="included", clause=patches)

    def clause(own_coverage: float) -> str | None:
        judged = Judged("included", installs, 1.0, own_coverage=own_coverage, own_concepts=2, asked=asked)
        signals = _signals(voter, voter, products=["私有云部署与运维支持服务"], kind="scope")
        return decider.decide(signals, judge=lambda product: judged, entry_text=texts.get,
                              exclusions=lambda product: []).clause
    assert clause(own_coverage=0.5) == patches
    assert clause(own_coverage=1.0) == installs


def test_a_no_names_the_product_the_examples_say_covers_the_need(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    no = Example(question="升级包括搬数据吗", products=["升级服务"], verdict="not_listed", covered_by=["数据迁移服务"])
    decision = _decide(decider, _signals(no, no, products=["升级服务"], kind="scope"))
    assert (decision.verdict, decision.pointer) == ("not_listed", "数据迁移服务")
    # ...an example that names the product second says nothing about it
    compared = Example(question="迁移包括升级吗", products=["数据迁移服务", "升级服务"], verdict="not_listed",
                       covered_by=["数据迁移服务"])
    assert _decide(decider, _signals(compared, products=["升级服务", "数据迁移服务"], kind="scope")).pointer is None


def test_the_judges_exclusion_wins_over_a_not_listed(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    no = Example(question="z", products=["升级服务"], verdict="not_listed")
    decision = _decide(decider, _signals(no, products=["升级服务"], kind="scope"), Judged("excluded", "不包含二次开发", 1.0))
    assert (decision.verdict, decision.clause) == ("excluded", "不包含二次开发")


def test_a_product_the_customer_does_not_want_is_no_candidate() -> None:
    vote = Example(question="z", products=["升级服务"])
    assert product_candidates(_signals(vote, negated=frozenset({"升级服务"}))) == []
    assert product_candidates(_signals(vote, kind="entitlement")) == ["升级服务", "说明"]


@pytest.mark.parametrize("threshold, expected", [(0.3, "included"), (0.999, "not_listed")])
def test_the_included_threshold_is_the_fitted_one(tmp_path: Path, threshold: float, expected: str) -> None:
    """A weak yes (half the weight on included neighbours) passes a low threshold only."""
    decider = Decider(_models(tmp_path, included=threshold))
    yes = Example(question="a", products=["升级服务"], verdict="included", clause=CLAUSE)
    no = Example(question="b", products=["升级服务"], verdict="not_listed")
    decision = _decide(decider, _signals(yes, no, products=["升级服务"], kind="scope"))
    assert decision.verdict == expected


def test_a_neighbours_exclusion_does_not_overrule_a_clause_that_states_it(tmp_path: Path) -> None:
    """A weak yes the judge supports becomes "not confirmed", never a no quoting some other exclusion."""
    decider = Decider(_models(tmp_path))
    excluded = Example(question="z", products=["升级服务"], verdict="excluded", clause="不包含二次开发")
    decision = _decide(decider, _signals(excluded, products=["升级服务"], kind="scope"), Judged("included", CLAUSE, 1.0))
    assert decision.verdict == "not_listed"
    decision = _decide(decider, _signals(excluded, products=["升级服务"], kind="scope"), Judged("not_listed"))
    assert (decision.verdict, decision.clause) == ("excluded", "不包含二次开发")


@pytest.mark.parametrize("scope_examples, expected", [(True, "included"), (False, None)])
def test_a_follow_up_the_cues_read_as_which_is_a_scope_question_when_the_fitted_model_says_so(
        tmp_path: Path, scope_examples: bool, expected: str | None) -> None:
    """"那它会先帮我们做评估吗？还是上来直接就搬" after a which-service answer: the cues say "which", the
    scope model (here: neighbours with verdicts) says yes/no; the product comes from the conversation."""
    decider = Decider(_models(tmp_path))
    yes = Example(question="a", products=["升级服务"], verdict="included" if scope_examples else None, clause=CLAUSE)
    decision = _decide(decider, _signals(yes, yes, products=["升级服务"], kind="which", followup=True))
    assert decision.products[0] == "升级服务" and decision.verdict == expected


def test_a_yes_no_question_about_the_general_notes_is_answered_as_its_examples_are(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    notes = Example(question="目录上的服务买了就都有吗", products=["说明"], verdict="excluded", clause="适用范围：……")
    decision = _decide(decider, _signals(notes, notes, products=["说明"], kind="scope"))
    assert (decision.products[0], decision.verdict, decision.clause) == ("说明", "excluded", "适用范围：……")
    unasked = Example(question="服务权益以什么为准", products=["说明"])
    assert _decide(decider, _signals(unasked, unasked, products=["说明"], kind="entitlement")).verdict is None


def test_a_no_from_the_neighbours_quotes_the_exclusion_that_names_what_was_asked(tmp_path: Path) -> None:
    """The neighbours say it is excluded; of the entry's exclusions the one naming the asked thing is quoted."""
    decider = Decider(_models(tmp_path))
    excluded = Example(question="z", products=["升级服务"], verdict="excluded", clause="不包含二次开发")
    judged = Judged("not_listed", closest_exclusion="不包含第三方产品")
    decision = decider.decide(_signals(excluded, products=["升级服务"], kind="scope"), judge=lambda product: judged,
                              entry_text=TEXTS.get, exclusions=lambda product: ["不包含二次开发", "不包含第三方产品"])
    assert (decision.verdict, decision.clause) == ("excluded", "不包含第三方产品")


def test_a_limit_that_excludes_nothing_is_no_no(tmp_path: Path) -> None:
    """Neighbours that call something excluded with 「具体服务内容以实际约定为准」 make it "not confirmed",
    quoting that limit: it is no exclusion (on blind1-9 it said "No" to 渗透测试, which the entry lists)."""
    decider = Decider(_models(tmp_path))
    hedge = "具体服务内容以实际约定为准"
    texts = {"升级服务": f"……{CLAUSE}……{hedge}"}
    excluded = Example(question="z", products=["升级服务"], verdict="excluded", clause=hedge)
    decision = decider.decide(_signals(excluded, products=["升级服务"], kind="scope"),
                              judge=lambda product: Judged("not_listed"), entry_text=texts.get,
                              exclusions=lambda product: [hedge])
    assert (decision.verdict, decision.clause) == ("not_listed", hedge)


@pytest.mark.parametrize("reason, named, declined", [(None, True, False), (None, False, True)])
def test_an_amount_a_named_entry_states_is_answered_whatever_the_neighbours_say(
        tmp_path: Path, reason: str | None, named: bool, declined: bool) -> None:
    """"现场服务包最多多少人天": declining neighbours do not decline it; an amount of no named product they still
    do (a price question never has an amount stated: tests/bot/test_chain.py)."""
    decider = Decider(_models(tmp_path))
    price = Example(question="x", abstain=True)
    signals = _signals(price, price, products=["现场服务包"] if named else [], kind="describe")
    signals.understanding.abstain_reason = reason
    signals.amount_stated = 1.0
    assert _decide(decider, signals).abstain is declined


def test_an_item_named_by_its_heading_is_a_yes_whatever_the_neighbours_say(tmp_path: Path) -> None:
    decider = Decider(_models(tmp_path))
    no = Example(question="b", products=["升级服务"], verdict="not_listed")
    named = Judged("included", CLAUSE, 1.0, named_heading=CLAUSE)
    decision = _decide(decider, _signals(no, no, products=["升级服务"], kind="scope"), named)
    assert (decision.verdict, decision.clause) == ("included", CLAUSE)
    # ...not when the question also meets an exclusion
    carved = Judged("not_listed", named_heading=CLAUSE, exclusion_coverage=0.5)
    assert _decide(decider, _signals(no, no, products=["升级服务"], kind="scope"), carved).verdict == "not_listed"


def test_a_follow_up_naming_a_heading_is_left_to_the_fitted_model(tmp_path: Path) -> None:
    """"那上线之后出了问题还管吗" after an answer quoting 上线保障: the heading's word is the previous answer's."""
    decider = Decider(_models(tmp_path))
    no = Example(question="b", products=["升级服务"], verdict="not_listed")
    yes = Example(question="a", products=["升级服务"], verdict="included", clause=CLAUSE)
    named = Judged("included", CLAUSE, 1.0, named_heading=CLAUSE)
    signals = _signals(no, no, products=["升级服务"], kind="scope", followup=True)
    assert _decide(decider, signals, named).verdict == "not_listed"
    signals = _signals(yes, yes, products=["升级服务"], kind="scope", followup=True)
    assert (_decide(decider, signals, named).verdict, _decide(decider, signals, named).clause) == ("included", CLAUSE)


def test_all_of_the_work_asked_against_a_clause_that_shares_it_is_no_yes(tmp_path: Path) -> None:
    """"金蝶替我们把开发全部做完吗" against 「…联合开发…」: not confirmed, quoting that clause, whatever the neighbours."""
    decider = Decider(_models(tmp_path))
    yes = Example(question="a", products=["升级服务"], verdict="included", clause=CLAUSE)
    joint = Judged("included", CLAUSE, 1.0, named_heading=CLAUSE, shared_work=CLAUSE)
    decision = _decide(decider, _signals(yes, yes, products=["升级服务"], kind="scope"), joint)
    assert (decision.verdict, decision.clause) == ("not_listed", CLAUSE)


def test_more_than_the_entry_states_is_not_listed_quoting_what_it_states(tmp_path: Path) -> None:
    """"现场服务包能不能给到30人天" against 「…不超过 12 人天或 24 人天…」, whatever the neighbours say."""
    decider = Decider(_models(tmp_path))
    yes = Example(question="a", products=["升级服务"], verdict="included", clause=CLAUSE)
    signals = _signals(yes, yes, products=["升级服务"], kind="scope")
    signals.amount_beyond = CLAUSE
    assert (_decide(decider, signals).verdict, _decide(decider, signals).clause) == ("not_listed", CLAUSE)


@pytest.mark.parametrize("question, own_concepts, exclusion, expected", [
    ("升级服务包括搭建测试环境吗", 2, 0.0, "included"),
    ("升级服务包括搭建测试环境吗", 1, 0.0, "not_listed"),  # one word is no full reading: the model decides
    ("升级服务包括搭建测试环境吗", 2, 0.5, "not_listed"),  # an exclusion names part of it
    ("搭建测试环境是金蝶自己人来做吗", 2, 0.0, "not_listed"),  # who does it: no clause listing the work says
])
def test_a_clause_naming_all_that_is_asked_is_a_yes_whatever_the_neighbours_say(
        tmp_path: Path, question: str, own_concepts: int, exclusion: float, expected: str) -> None:
    decider = Decider(_models(tmp_path))
    no = Example(question="b", products=["升级服务"], verdict="not_listed")
    signals = _signals(no, no, products=["升级服务"], kind="scope")
    signals.understanding.question = question
    judged = Judged("included", CLAUSE, 1.0, own_coverage=1.0, own_concepts=own_concepts, exclusion_coverage=exclusion)
    assert _decide(decider, signals, judged).verdict == expected


def test_a_scope_question_is_about_the_first_product_it_names(tmp_path: Path) -> None:
    """"升级服务包括数据迁移吗": the neighbours vote for 数据迁移服务, the question is about 升级服务."""
    decider = Decider(_models(tmp_path))
    other = Example(question="a", products=["数据迁移服务"], verdict="included", clause="方案制定：……")
    decision = _decide(decider, _signals(other, other, products=["升级服务", "数据迁移服务"], kind="scope"))
    assert decision.products[0] == "升级服务"


def test_a_comparisons_verdict_votes_only_for_its_first_product() -> None:
    """"环境部署服务包含日常运维吗，还是要另买私有云…" says no of 环境部署服务, nothing of 私有云."""
    from bot.decide import included_features

    compared = Example(question="a", products=["数据迁移服务", "升级服务"], verdict="not_listed")
    features = included_features(_signals(compared, products=["升级服务"], kind="scope"), "升级服务", Judged("not_listed"))
    assert features["nn_not_included"] == 0.0
    features = included_features(_signals(compared, products=["数据迁移服务"], kind="scope"), "数据迁移服务",
                                 Judged("not_listed"))
    assert features["nn_not_included"] > 0.0


def test_a_customer_not_yet_in_the_stage_an_entry_requires_is_not_listed(tmp_path: Path) -> None:
    """"还在实施期没上线，能买维护性开发吗" against 「客户进入维护期阶段，金蝶提供…」, whatever the neighbours say."""
    decider = Decider(_models(tmp_path))
    stage = "客户进入维护期阶段，金蝶提供基于标准产品进行功能改造完善的开发服务。"
    yes = Example(question="a", products=["维护性开发服务"], verdict="included", clause=stage)
    signals = _signals(yes, yes, products=["维护性开发服务"], kind="scope")
    for reached, expected in ((None, "included"), (stage, "not_listed")):
        signals.stage_not_reached = reached
        decision = decider.decide(signals, judge=lambda product: Judged("not_listed"), entry_text={"维护性开发服务": stage}.get,
                                  exclusions=lambda product: [])
        assert decision.verdict == expected


def test_a_no_points_to_another_product_the_question_names_when_its_entry_states_it(tmp_path: Path) -> None:
    """"升级服务cover数据迁移吗": 数据迁移服务, whatever product the neighbours' examples point to."""
    decider = Decider(_models(tmp_path))
    no = Example(question="升级包括搬数据吗", products=["升级服务"], verdict="not_listed", covered_by=["数据库转换服务"])
    signals = _signals(no, no, products=["升级服务", "数据迁移服务"], kind="scope")
    decision = decider.decide(signals, judge=lambda p: Judged("included" if p == "数据迁移服务" else "not_listed"),
                              entry_text=TEXTS.get, exclusions=lambda product: [])
    assert (decision.products[0], decision.verdict, decision.pointer) == ("升级服务", "not_listed", "数据迁移服务")


@pytest.mark.parametrize("compares, kind, expected", [(True, "describe", True), (True, "which", True),
                                                      (False, "describe", False), (True, "scope", False)])
def test_a_comparison_naming_fewer_than_two_products_compares_the_two_most_likely(
        tmp_path: Path, compares: bool, kind: str, expected: bool) -> None:
    """"升级，还是留在老版本做基础运维？两个服务差在哪" names neither by its catalog name: the product model's first
    two are compared when both are likely; a yes/no question stays one."""
    decider = Decider(_models(tmp_path))
    one_way = Example(question="a", products=["升级服务", "数据迁移服务"])
    other_way = Example(question="b", products=["数据迁移服务", "升级服务"])
    u = Understanding(question="q", lang="zh", kind=kind, compares=compares)
    signals = Signals(u, [Neighbour(e, 0.9 - 0.001 * i) for i, e in enumerate([one_way, other_way] * 2)], [])
    decision = _decide(decider, signals)
    assert decision.compare is expected
    if expected:
        assert set(decision.products) == {"升级服务", "数据迁移服务"}


@pytest.mark.parametrize("condition, clause", [
    ("customer_supplies", "安装部署：在客户（您）提供的基础设施上，……"),  # "服务器是你们出吗"
    ("per_engagement", "……按次对应用系统进行完整性……诊断……"),  # "是包年的吗，随时想诊断就诊断"
])
def test_the_named_entrys_own_condition_is_no_yes(tmp_path: Path, condition: str, clause: str) -> None:
    """Kingdee asked to supply what the entry has the customer supply, standing access to what it does per
    engagement: whatever the neighbours say, not listed, quoting that clause."""
    decider = Decider(_models(tmp_path))
    yes = Example(question="x", products=["升级服务"], verdict="included", clause=CLAUSE)
    u = Understanding(question="q", lang="zh", kind="scope", products=["升级服务"])
    signals = Signals(u, [Neighbour(yes, 0.9)] * 3, [], **{condition: clause})
    decision = _decide(decider, signals, Judged("included", CLAUSE, 1.0))
    assert (decision.verdict, decision.clause) == ("not_listed", clause)


def test_a_no_example_votes_for_the_product_that_covers_its_need_when_the_question_names_none(tmp_path: Path) -> None:
    """"老版本运维包括帮我们升到新版本吗" (not listed, covered by 升级服务) is a neighbour of "想升到新版本": the
    need belongs to 升级服务; for a question naming 数据迁移服务 it stays a vote about that product."""
    decider = Decider(_models(tmp_path))
    no = Example(question="a", products=["数据迁移服务"], verdict="not_listed", covered_by=["升级服务"])
    assert _decide(decider, _signals(no, no, no)).products[0] == "升级服务"
    named = _decide(decider, _signals(no, no, no, products=["数据迁移服务"], kind="describe"))
    assert named.products[0] == "数据迁移服务"
