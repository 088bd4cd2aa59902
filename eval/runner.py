"""Ask every question of a set through the bot, warm and timed, and write the run directory."""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from bot.models import Answer, Turn
from eval.questions import Question
from eval.report import Report, write_report
from eval.results import RESULTS_FILE, ResultLine, write_results
from eval.retrieval import (
    qrels_from_questions,
    retrieval_scores,
    run_from_results,
    run_from_search,
    write_trec_qrels,
    write_trec_run,
)
from eval.scoring import evaluate


SCRATCH_PREFIX = "kbbot-eval-"
SCRATCH_MAX_AGE_S = 3600
_scratch: list[Path] = []  # this process's scratch folders, removed at exit


class Asker(Protocol):
    def ask(self, question: str, history: list[Turn]) -> Answer: ...


def _warm_up(bot: Asker, questions: list[Question]) -> None:
    """Ask the first question of each type once, untimed: caches, lazy imports and model loads on every
    code path (follow-ups, English, abstention...) then stay out of anyone's latency."""
    firsts: dict[str, Question] = {}
    for question in questions:
        firsts.setdefault(question.type, question)
    for question in firsts.values():
        try:
            bot.ask(question.question, history=list(question.history))
        except Exception:  # noqa: BLE001 - the timed pass records the error against its question
            pass


def ask_all(bot: Asker, questions: list[Question], progress: bool = True) -> list[ResultLine]:
    """One ResultLine per question, in order, each timed alone after a warm-up. `progress`: a tqdm bar on
    stderr (the CLI passes whether stderr is a terminal, so a piped run prints nothing extra)."""
    from tqdm import tqdm

    results = []
    with tqdm(total=len(questions), desc="asking", unit="q", disable=not progress, leave=False) as bar:
        bar.set_postfix_str("warming up")
        _warm_up(bot, questions)
        bar.set_postfix_str("")
        for question in questions:
            started = time.perf_counter()
            try:
                answer = bot.ask(question.question, history=list(question.history))
            except Exception as error:  # noqa: BLE001 - one crashing question is a wrong answer, not a lost run
                results.append(ResultLine.from_error(question, error, (time.perf_counter() - started) * 1000))
            else:
                results.append(ResultLine.from_answer(question, answer, (time.perf_counter() - started) * 1000))
            bar.update()
    return results


def code_version() -> str | None:
    """`git describe` of the code that answered, so a committed baseline says what it measured."""
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).resolve().parent,
                              capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def make_report(set_name: str, questions: list[Question], results: list[ResultLine],
                categories: dict[str, str] | None = None,
                retrieval: dict[str, dict[str, float]] | None = None) -> Report:
    versions = sorted({r.catalog_version for r in results if r.catalog_version})
    return Report(set=set_name, catalog_version=", ".join(versions) or None, code_version=code_version(),
                  generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  evaluation=evaluate(questions, results, categories), retrieval=retrieval or {})


def run_set(bot: Asker, questions: list[Question], out: Path, set_name: str,
            categories: dict[str, str] | None = None,
            retrieval: bool = True, search: Callable[[str], list[str]] | None = None,
            progress: bool = True, chart: bool = True) -> Report:
    """Ask, score and write results.jsonl, report.json, report.md, report.png and the TREC files.

    `retrieval` adds ranx scores of the citation order (and of `search`, when given) to the report."""
    out.mkdir(parents=True, exist_ok=True)
    results = ask_all(bot, questions, progress=progress)
    write_results(out / RESULTS_FILE, results)
    qrels = qrels_from_questions(questions)
    write_trec_qrels(out / "qrels.trec", qrels)
    citation_run = run_from_results(results)
    write_trec_run(out / "run.citations.trec", citation_run, "citations")
    retrieval_report: dict[str, dict[str, float]] = {}
    if retrieval:
        retrieval_report["citations"] = retrieval_scores(qrels, citation_run)
        if search is not None:
            search_run = run_from_search(questions, search)
            write_trec_run(out / "run.search.trec", search_run, "search")
            retrieval_report["search"] = retrieval_scores(qrels, search_run)
    report = make_report(set_name, questions, results, categories, retrieval_report)
    write_report(out, report, chart=chart)
    return report


def scratch_run_dir(now: Callable[[], float] = time.time) -> Path:
    """A fresh folder under the temp dir for a run whose files are handed on at once (the staff page: Gradio
    copies the chart and results into its own cache as it answers). Removed when this process exits; any
    left by a killed process are removed by a later run once an hour old."""
    base = Path(tempfile.gettempdir())
    for folder in base.glob(f"{SCRATCH_PREFIX}*"):
        try:
            status = folder.lstat()  # never follow a link someone planted in a shared temp dir
        except OSError:
            continue
        if (folder.is_dir() and not folder.is_symlink() and status.st_uid == os.getuid()
                and now() - status.st_mtime > SCRATCH_MAX_AGE_S):
            shutil.rmtree(folder, ignore_errors=True)
    if not _scratch:
        atexit.register(_remove_scratch)
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=base))
    _scratch.append(folder)
    return folder


def _remove_scratch() -> None:
    for folder in _scratch:
        shutil.rmtree(folder, ignore_errors=True)
