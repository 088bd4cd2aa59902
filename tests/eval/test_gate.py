"""The CI gate: the dev set and the generated set through the real bot, against eval/thresholds.toml."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval.cli import eval_group, open_bot
from eval.gate import load_thresholds, violations
from eval.generate import generate_questions, write_question_set
from eval.questions import load_question_set
from eval.runner import Asker, run_set
from ingest import load_catalog

SETS = Path(__file__).resolve().parents[2] / "eval" / "sets"
BLIND = Path(__file__).resolve().parents[2] / "eval" / "blind"
# Every frozen blind set is gated: a new one without a [blindN] section in thresholds.toml fails here.
BLIND_SETS = sorted((path.stem for path in BLIND.glob("blind*.jsonl")), key=lambda stem: int(stem.removeprefix("blind")))


@pytest.fixture(scope="module")
def real_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Asker, dict[str, str]]]:
    """The shipped bot on a fresh KB of the bundled catalog (module-scoped twin of the kb_home fixture)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KB_HOME", str(tmp_path_factory.mktemp("kb_home")))
        for name in ("KB_CHROMA_URL", "KB_EMBEDDINGS", "KB_LLM", "KB_LLM_BASE_URL", "KB_LLM_API_KEY"):
            patch.delenv(name, raising=False)
        bot, categories, _ = open_bot(with_search=False)
        yield bot, categories


def _set_path(name: str, tmp_path: Path) -> Path:
    if name == "generated":
        path = tmp_path / "generated.jsonl"
        write_question_set(path, generate_questions(load_catalog()))
        return path
    return BLIND / f"{name}.jsonl" if name.startswith("blind") else SETS / f"{name}.jsonl"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dev", "generated", "dev_cantonese", *BLIND_SETS])
def test_scores_stay_above_thresholds(name: str, real_bot: tuple[Asker, dict[str, str]], tmp_path: Path) -> None:
    bot, categories = real_bot
    report = run_set(bot, load_question_set(_set_path(name, tmp_path)), tmp_path / "run", name,
                     categories=categories, retrieval=False, progress=False, chart=False)
    problems = violations(report.evaluation.scores, load_thresholds(name))
    failures = "\n".join(f"  {o.id} {o.question}: {'; '.join(o.problems)}" for o in report.evaluation.failures)
    assert not problems, f"{name}: " + "; ".join(problems) + f"\nfailures:\n{failures}"


@pytest.mark.slow
def test_retrieval_command_scores_the_kb_search_directly(real_bot: tuple[Asker, dict[str, str]]) -> None:
    """`kbbot eval retrieval` on the KB the bot above uses (same KB_HOME, already built)."""
    result = CliRunner().invoke(eval_group, ["retrieval", str(SETS / "dev.jsonl"), "-k", "5", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert set(scores) == {"hit_rate@1", "hit_rate@3", "mrr", "ndcg@3", "ndcg@5"}
    assert scores["hit_rate@1"] <= scores["hit_rate@3"] and 0.0 < scores["mrr"] <= 1.0
