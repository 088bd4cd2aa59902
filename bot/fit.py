"""Fit the decision module (bot.decide) on the example memory: `kbbot examples fit`.

Every example is run through the real pipeline (understanding, retrieval, clause judge) with its own
writer's examples left out of its neighbours, as an unseen customer's question would be. Labelled question
sets (eval format, `--questions`) can add rows too, each set its own group, with its conversation: their
questions are never in the memory, so they are read exactly as a customer's would be. Four logistic
regressions (scikit-learn) are then chosen by leave-one-writer-out cross-validation, so no writer's
style is on both sides of a split: regularisation by out-of-fold log-loss; the decline threshold by
out-of-fold accuracy; the "included" threshold as the lowest one whose out-of-fold precision is at least
INCLUDED_PRECISION (a wrong yes is a contractual promise). The final weights, fitted on all examples, and
the cross-validated scores go to data/decision/<embedder>.json."""
from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.decide import (abstain_features, candidate_features, included_features, product_candidates,
                        scope_features)
from bot.models import Turn
from kb.examples import Example
from kb.names import compact

if TYPE_CHECKING:
    from bot.chain import CatalogBot
    from eval.questions import Question

INCLUDED_PRECISION = 0.97
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


@dataclass
class Rows:
    """One model's training rows: feature dicts, labels, the writer (CV group) and the example index."""

    features: list[dict[str, float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    example: list[int] = field(default_factory=list)

    def add(self, values: dict[str, float], label: bool, writer: str, index: int) -> None:
        self.features.append(values)
        self.labels.append(int(label))
        self.writers.append(writer)
        self.example.append(index)

    def matrix(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        names = list(self.features[0])
        x = np.array([[row[name] for name in names] for row in self.features], dtype=np.float64)
        return names, x, np.array(self.labels), np.array(self.writers)


@dataclass(frozen=True)
class Labelled:
    """One question the fit learns from: what a right answer cites first (`products`), its verdict, whether
    it declines, and its cross-validation group (an example's writer, a question set's name)."""

    question: str
    products: tuple[str, ...]
    verdict: str | None
    abstain: bool
    group: str
    history: tuple[Turn, ...] = ()
    exclude_writers: tuple[str, ...] = ()  # an example's own writer: their examples must not vote on it

    @classmethod
    def from_example(cls, example: Example) -> Labelled:
        return cls(example.question, tuple(example.products), example.verdict, example.abstain, example.writer,
                   exclude_writers=(example.writer,))

    @classmethod
    def from_question(cls, question: Question, group: str) -> Labelled:
        """A question of a labelled set: its first gold product carries the verdict (not_included is a "no",
        whichever kind), and every product it must cite counts as right."""
        verdict = {"included": "included", "not_included": "not_listed"}.get(question.verdict or "")
        return cls(question.question, tuple(dict.fromkeys([*question.gold, *question.gold_all])), verdict,
                   question.abstain, group, tuple(question.history))


def collect_rows(bot: CatalogBot, examples: Sequence[Example | Labelled],
                 progress: Callable[[int], None] = lambda n: None) -> dict[str, Rows]:
    rows = {name: Rows() for name in ("abstain", "product", "scope", "included")}
    for index, item in enumerate(examples):
        item = item if isinstance(item, Labelled) else Labelled.from_example(item)
        context = bot.signals(item.question, item.history, exclude_writers=item.exclude_writers)
        signals = context.signals
        rows["abstain"].add(abstain_features(signals), item.abstain, item.group, index)
        progress(1)
        if item.abstain or not item.products:
            continue
        gold = {compact(p) for p in item.products}
        for candidate in product_candidates(signals):
            rows["product"].add(candidate_features(signals, candidate), compact(candidate) in gold, item.group, index)
        rows["scope"].add(scope_features(signals), item.verdict is not None, item.group, index)
        if item.verdict is not None and item.products[0] in bot._entries:
            product = item.products[0]
            judged = bot.judged(context, product)
            rows["included"].add(included_features(signals, product, judged), item.verdict == "included",
                                 item.group, index)
    return rows


def _model(c: float):  # noqa: ANN202 - sklearn has no type hints
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))


def _out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float) -> np.ndarray:
    from sklearn.model_selection import LeaveOneGroupOut

    predicted = np.zeros(len(y))
    for train, test in LeaveOneGroupOut().split(x, y, groups):
        if len(set(y[train])) < 2:
            predicted[test] = float(y[train][0])
            continue
        predicted[test] = _model(c).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return predicted


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _export(pipeline, names: list[str], threshold: float) -> dict:  # noqa: ANN001
    """The scaler folded into the weights: p = sigmoid(bias + w . raw features)."""
    scaler, regression = pipeline.named_steps["standardscaler"], pipeline.named_steps["logisticregression"]
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    weights = regression.coef_[0] / scale
    bias = float(regression.intercept_[0] - np.sum(regression.coef_[0] * scaler.mean_ / scale))
    return {"features": names, "weights": [round(float(w), 6) for w in weights], "bias": round(bias, 6),
            "threshold": round(float(threshold), 4)}


def _best_accuracy_threshold(y: np.ndarray, p: np.ndarray) -> float:
    candidates = np.unique(np.round(p, 3))
    return float(max(candidates, key=lambda t: (np.mean((p >= t) == y), -abs(t - 0.5)))) if len(candidates) else 0.5


def _precision_threshold(y: np.ndarray, p: np.ndarray, precision: float) -> float:
    """The lowest threshold whose yes answers are right at least `precision` of the time."""
    for t in sorted(np.unique(np.round(p, 3))):
        said_yes = p >= t
        if said_yes.sum() >= 10 and y[said_yes].mean() >= precision:
            return float(t)
    return 1.0


def _recall_at(y: np.ndarray, p: np.ndarray, precision: float) -> float:
    said_yes = p >= _precision_threshold(y, p, precision)
    return float(said_yes[y == 1].mean()) if (y == 1).any() else 0.0


def _product_accuracy(rows: Rows, p: np.ndarray) -> float:
    """Out-of-fold: the top-ranked candidate of each example is one of its products."""
    best: dict[int, tuple[float, int]] = {}
    for index, probability, label in zip(rows.example, p, rows.labels, strict=True):
        if index not in best or probability > best[index][0]:
            best[index] = (probability, label)
    return float(np.mean([label for _, label in best.values()])) if best else 0.0


def fit(rows: dict[str, Rows], only: Collection[str] = ()) -> dict:
    """Cross-validate, choose, refit on everything (or only the models named in `only`); returns
    data/decision/<embedder>.json's content."""
    result: dict = {"fitted": {"cv": "leave one writer out", "models": {}}}
    for name, model_rows in rows.items():
        if only and name not in only:
            continue
        names, x, y, groups = model_rows.matrix()
        folds = {c: _out_of_fold(x, y, groups, c) for c in C_GRID}
        losses = {c: _log_loss(y, folds[c]) for c in C_GRID}
        if name == "included":  # the objective is the yeses it may give at the required precision
            c = max(C_GRID, key=lambda c: _recall_at(y, folds[c], INCLUDED_PRECISION))
        else:
            c = min(losses, key=losses.get)
        oof = folds[c]
        report: dict = {"rows": int(len(y)), "positives": int(y.sum()), "writers": sorted(set(groups.tolist())),
                        "C": c, "log_loss": round(losses[c], 4)}
        if name == "included":
            threshold = _precision_threshold(y, oof, INCLUDED_PRECISION)
            said_yes = oof >= threshold
            report.update(precision=round(float(y[said_yes].mean()) if said_yes.any() else 1.0, 4),
                          recall=round(float(said_yes[y == 1].mean()), 4),
                          accuracy=round(float(np.mean(said_yes == y)), 4))
        elif name == "product":
            threshold = 0.5
            report["top1_accuracy"] = round(_product_accuracy(model_rows, oof), 4)
        else:
            threshold = _best_accuracy_threshold(y, oof)
            report["accuracy"] = round(float(np.mean((oof >= threshold) == y)), 4)
        report["threshold"] = threshold
        result[name] = _export(_model(c).fit(x, y), names, threshold)
        result["fitted"]["models"][name] = report
    return result


def merge_decision(current: dict, refitted: dict) -> dict:
    """`current` with the models `refitted` holds replaced (and their cross-validated scores): a new
    feature of one model need not move the thresholds of the other three."""
    merged = json.loads(json.dumps(current))
    for name, report in refitted["fitted"]["models"].items():
        merged[name] = refitted[name]
        merged["fitted"]["models"][name] = report
    return merged


def rows_from_json(data: dict) -> dict[str, Rows]:
    """Rows saved by `kbbot examples fit --rows`, to refit without running the pipeline again."""
    return {name: Rows(**fields) for name, fields in data.items()}


def write_decision(content: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
