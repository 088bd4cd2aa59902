"""bot.fit: the decision module's weights come from leave-one-writer-out cross-validation, the exported
model computes what the fitted pipeline computes, and a "yes" threshold keeps out-of-fold precision."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot.chain import CatalogBot
from bot.decide import Model, load_models
from bot.fit import INCLUDED_PRECISION, Labelled, Rows, _out_of_fold, collect_rows, fit, rows_from_json
from bot.surfaces.cli import cli
from eval.questions import Question
from kb.examples import Example

FEATURES = ("signal", "noise")


def synthetic_rows(seed: int = 0, writers: int = 4, per_writer: int = 60) -> Rows:
    """Labels that one feature predicts with some overlap, the other feature pure noise."""
    rng = np.random.default_rng(seed)
    rows = Rows()
    for w in range(writers):
        for i in range(per_writer):
            label = bool(rng.random() < 0.5)
            values = {"signal": float(rng.normal(1.5 if label else -1.5)), "noise": float(rng.normal())}
            rows.add(values, label, f"writer{w}", w * per_writer + i)
    return rows


def fitted(rows: Rows) -> dict:
    return fit({"abstain": rows, "product": rows, "scope": rows, "included": rows})


def test_the_exported_model_is_the_fitted_pipeline() -> None:
    """The scaler is folded into the weights: applying them needs numpy only, and gives the same numbers."""
    from bot.fit import _model

    rows = synthetic_rows()
    names, x, y, _ = rows.matrix()
    content = fitted(rows)
    model = Model.model_validate(content["scope"])
    pipeline = _model(content["fitted"]["models"]["scope"]["C"]).fit(x, y)
    expected = pipeline.predict_proba(x)[:, 1]
    got = [model.probability(dict(zip(names, row))) for row in x]
    assert np.allclose(got, expected, atol=1e-5)
    assert abs(model.weights[names.index("signal")]) > 5 * abs(model.weights[names.index("noise")])


def test_a_writer_is_never_on_both_sides_of_a_split() -> None:
    """Flipping every label of one writer changes no out-of-fold prediction for that writer's rows."""
    rows = synthetic_rows()
    _, x, y, groups = rows.matrix()
    flipped = y.copy()
    flipped[groups == "writer0"] = 1 - flipped[groups == "writer0"]
    mine = groups == "writer0"
    assert np.allclose(_out_of_fold(x, y, groups, 1.0)[mine], _out_of_fold(x, flipped, groups, 1.0)[mine])
    assert not np.allclose(_out_of_fold(x, y, groups, 1.0)[~mine], _out_of_fold(x, flipped, groups, 1.0)[~mine])


def test_the_included_threshold_keeps_out_of_fold_precision() -> None:
    report = fitted(synthetic_rows(seed=3))["fitted"]["models"]["included"]
    assert report["precision"] >= INCLUDED_PRECISION
    assert 0.0 < report["recall"] < 1.0  # overlapping classes: the bar costs some yeses


def test_collected_rows_leave_the_writers_own_examples_out(catalog_bot: CatalogBot) -> None:
    """Fitting sees each example as an unseen customer's question: its writer's examples do not vote."""
    memory = catalog_bot.kb.example_memory()
    examples = [e for e in memory.examples if e.verdict == "included"][:3]
    examples += [e for e in memory.examples if e.abstain][:2]
    for example in examples:
        neighbours = catalog_bot.signals(example.question, exclude_writers=[example.writer]).signals.neighbours
        assert neighbours and all(n.example.writer != example.writer for n in neighbours)
    rows = collect_rows(catalog_bot, examples)
    assert len(rows["abstain"].labels) == 5 and sum(rows["abstain"].labels) == 2
    assert rows["included"].labels == [1, 1, 1]
    assert set(rows["included"].writers) == {e.writer for e in examples if e.verdict}


def test_fit_from_saved_rows_writes_weights_the_bot_reads(tmp_path: Path) -> None:
    saved = tmp_path / "rows.json"
    rows = synthetic_rows()
    saved.write_text(json.dumps({name: vars(rows) for name in ("abstain", "product", "scope", "included")}))
    assert rows_from_json(json.loads(saved.read_text()))["scope"].labels == rows.labels
    out = tmp_path / "decision.json"
    result = CliRunner().invoke(cli, ["examples", "fit", "--from-rows", str(saved), "--out", str(out)])
    assert result.exit_code == 0, result.output
    models = load_models(out)
    assert models.included.features == list(FEATURES)
    assert models.fitted["cv"] == "leave one writer out"


def test_only_refits_the_named_model_and_keeps_the_others(tmp_path: Path) -> None:
    saved = tmp_path / "rows.json"
    saved.write_text(json.dumps({name: vars(synthetic_rows(seed=5)) for name in ("abstain", "product", "scope", "included")}))
    out = tmp_path / "decision.json"
    assert CliRunner().invoke(cli, ["examples", "fit", "--from-rows", str(saved), "--out", str(out)]).exit_code == 0
    before = json.loads(out.read_text())
    saved.write_text(json.dumps({name: vars(synthetic_rows(seed=6)) for name in ("abstain", "product", "scope", "included")}))
    result = CliRunner().invoke(cli, ["examples", "fit", "--from-rows", str(saved), "--out", str(out), "--only", "included"])
    assert result.exit_code == 0, result.output
    after = json.loads(out.read_text())
    assert after["included"] != before["included"]
    assert all(after[name] == before[name] for name in ("abstain", "product", "scope"))
    assert after["fitted"]["models"]["scope"] == before["fitted"]["models"]["scope"]


def test_only_needs_a_decision_file_to_keep_the_others_from(tmp_path: Path) -> None:
    saved = tmp_path / "rows.json"
    saved.write_text(json.dumps({name: vars(synthetic_rows()) for name in ("abstain", "product", "scope", "included")}))
    result = CliRunner().invoke(cli, ["examples", "fit", "--from-rows", str(saved), "--out", str(tmp_path / "none.json"),
                                      "--only", "included"])
    assert result.exit_code != 0 and "does not exist" in result.output


@pytest.mark.parametrize("label", [True, False])
def test_one_class_folds_do_not_break_the_fit(label: bool) -> None:
    """A writer whose rows all share one label (a writer of declines only) still gets predictions."""
    rows = synthetic_rows(writers=3)
    for i in range(20):
        rows.add({"signal": 0.0, "noise": 0.0}, label, "one_sided", 10_000 + i)
    report = fitted(rows)["fitted"]["models"]["scope"]
    assert report["rows"] == len(rows.labels)


def test_an_example_needs_a_product_to_be_a_row(catalog_bot: CatalogBot) -> None:
    declined = Example(question="你们CEO是谁", lang="zh", products=[], abstain=True, writer="t")
    rows = collect_rows(catalog_bot, [declined])
    assert rows["abstain"].labels == [1] and rows["product"].labels == [] and rows["included"].labels == []


def test_a_question_set_learns_as_one_more_writer_with_its_conversation(catalog_bot: CatalogBot) -> None:
    """A labelled question set's rows are its own CV group, a follow-up is read with the turns before it
    (its own words name no product), and not_included is a "no"."""
    follow_up = Question(id="q1", question="那它包括功能测试吗", lang="zh", gold=["升级服务"], verdict="not_included",
                         history=[{"role": "user", "content": "升级服务包括搭建测试环境吗？"},
                                  {"role": "assistant", "content": "包括，升级服务会搭建升级测试环境。"}])
    declined = Question(id="q2", question="你们CEO是谁", lang="zh", abstain=True)
    rows = collect_rows(catalog_bot, [Labelled.from_question(q, "set:dev") for q in (follow_up, declined)])
    assert rows["abstain"].writers == ["set:dev", "set:dev"] and rows["abstain"].labels == [0, 1]
    assert rows["included"].labels == [0] and rows["included"].writers == ["set:dev"]
    assert sum(rows["product"].labels) == 1  # 升级服务, the product of the conversation
    alone = collect_rows(catalog_bot, [Labelled(follow_up.question, ("升级服务",), "not_listed", False, "set:dev")])
    assert alone["product"].features != rows["product"].features


def test_question_sets_need_the_pipeline_run(tmp_path: Path) -> None:
    saved = tmp_path / "rows.json"
    saved.write_text(json.dumps({name: vars(synthetic_rows()) for name in ("abstain", "product", "scope", "included")}))
    questions = tmp_path / "set.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "升级服务包括什么", "lang": "zh", "gold": ["升级服务"]}) + "\n")
    result = CliRunner().invoke(cli, ["examples", "fit", "--from-rows", str(saved), "--out", str(tmp_path / "d.json"),
                                      "--questions", str(questions)])
    assert result.exit_code != 0 and "--questions" in result.output
