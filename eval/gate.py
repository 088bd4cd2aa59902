"""The CI gate: a run's scores against the minimums in eval/thresholds.toml."""
from __future__ import annotations

import tomllib
from pathlib import Path

from eval.scoring import Scores

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.toml")


class GateConfigError(ValueError):
    """thresholds.toml has no such set, or names a metric the report does not have."""


def load_thresholds(name: str, path: Path = THRESHOLDS_FILE) -> dict[str, float]:
    try:
        with path.open("rb") as handle:
            config = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise GateConfigError(f"{path}: cannot read thresholds ({error})") from None
    if name not in config:
        raise GateConfigError(f"{path}: no thresholds for {name!r} (known: {', '.join(sorted(config))})")
    return {metric: float(minimum) for metric, minimum in config[name].items()}


def violations(scores: Scores, thresholds: dict[str, float]) -> list[str]:
    """One line per metric below its minimum. A metric with nothing to score fails too: a gate that
    silently passes because the set lost its verdict questions is no gate."""
    values = scores.metrics()
    problems = []
    for metric, minimum in thresholds.items():
        if metric not in values:
            raise GateConfigError(f"unknown metric {metric!r} in thresholds (known: {', '.join(values)})")
        value = values[metric]
        if value is None:
            problems.append(f"{metric}: no questions to score (minimum {minimum:.3f})")
        elif value < minimum:
            problems.append(f"{metric}: {value:.3f} < {minimum:.3f}")
    return problems
