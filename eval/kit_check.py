"""The writer kit's checker, copied into the kit as check.py: standard library only, because a writer runs it
with a plain `python3`, outside the project and its venv.

    python3 check.py evalset FILE [--min 110] [--prefix b86-]
    python3 check.py examples FILE

It reads products.json and catalog_clauses.md from its own folder. Facts must be copied with the catalog's
own spacing ("24 人天", not "24人天"), because the public format matches facts as plain substrings: a fact
that a correct answer cannot contain would count against the bot, not the writer.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

KIT = Path(__file__).resolve().parent
FACT_LENGTH = (2, 12)
HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _key(name: str) -> str:
    return "".join(name.split())


def load_kit(kit: Path = KIT) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Known product names (by whitespace-free key) and each product's clause lines."""
    names = json.loads((kit / "products.json").read_text(encoding="utf-8"))
    products = {_key(name): name for name in names}
    clauses: dict[str, list[str]] = {}
    current: str | None = None
    for line in (kit / "catalog_clauses.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = _key(line[3:])
            clauses[current] = []
        elif current and line.strip():
            clauses[current].append(line.lstrip("- ").strip())
    return products, clauses


def _language_problem(question: str, lang: str) -> str | None:
    han, latin = len(HAN.findall(question)), len(LATIN.findall(question))
    if lang == "en" and han > latin:
        return 'lang is "en" but the question is mostly Chinese'
    if lang == "zh" and han == 0:
        return 'lang is "zh" but the question has no Chinese characters'
    return None


def _product_problems(field: str, names: object, products: dict[str, str]) -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return [f"{field} must be a list of product names"]
    return [f"{field}: unknown product {n!r} (see products.json)" for n in names if _key(n) not in products]


def _history_problems(history: object) -> list[str]:
    if not isinstance(history, list):
        return ["history must be a list"]
    for turn in history:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or not isinstance(turn.get("content"), str):
            return ['every history turn is {"role": "user"|"assistant", "content": "..."}']
    return []


def _fact_problems(facts: object, gold: list[str], clauses: dict[str, list[str]]) -> list[str]:
    if not isinstance(facts, list) or not all(isinstance(f, list) and f and all(isinstance(a, str) for a in f) for f in facts):
        return ["facts must be a list of non-empty lists of strings"]
    if facts and not gold:
        return ["facts need a gold product to be copied from"]
    text = "\n".join(line for name in gold for line in clauses.get(_key(name), []))
    problems = []
    for fact in facts:
        for alternative in fact:
            if not FACT_LENGTH[0] <= len(alternative) <= FACT_LENGTH[1]:
                problems.append(f"fact {alternative!r}: keep it {FACT_LENGTH[0]}-{FACT_LENGTH[1]} characters")
            elif alternative.lower() not in text.lower():
                spaced = " (check the spacing)" if _key(alternative).lower() in _key(text).lower() else ""
                problems.append(f"fact {alternative!r} is not in the gold product's clauses{spaced}")
    return problems


def check_question(row: dict, products: dict[str, str], clauses: dict[str, list[str]]) -> list[str]:
    """Every problem of one question-set line, as short reasons."""
    problems: list[str] = []
    if not isinstance(row.get("id"), str) or not row["id"].strip():
        problems.append("id must be a non-empty string")
    question = row.get("question")
    if not isinstance(question, str) or not question.strip():
        return problems + ["question must be a non-empty string"]
    lang = row.get("lang")
    if lang not in ("zh", "en"):
        problems.append('lang must be "zh" or "en"')
    elif (reason := _language_problem(question, lang)):
        problems.append(reason)
    gold, gold_all = row.get("gold", []), row.get("gold_all", [])
    problems += _product_problems("gold", gold, products) + _product_problems("gold_all", gold_all, products)
    problems += _history_problems(row.get("history", []))
    verdict, abstain = row.get("verdict"), row.get("abstain", False)
    if verdict not in ("included", "not_included", None):
        problems.append('verdict must be "included", "not_included" or null')
    if not isinstance(abstain, bool):
        problems.append("abstain must be true or false")
    if abstain and (gold or gold_all or row.get("facts") or verdict):
        problems.append("an abstain question has no gold, gold_all, facts or verdict")
    if not abstain and not gold:
        problems.append("a question the catalog answers needs gold")
    if verdict and not gold:
        problems.append("a verdict needs the gold product it is about")
    if isinstance(gold_all, list) and gold_all and isinstance(gold, list) and not set(map(_key, gold_all)) <= set(map(_key, gold)):
        problems.append("every gold_all product must also be in gold")
    if isinstance(gold, list):
        problems += _fact_problems(row.get("facts", []), gold + (gold_all if isinstance(gold_all, list) else []), clauses)
    return problems


def check_example(row: dict, products: dict[str, str], clauses: dict[str, list[str]]) -> list[str]:
    """Every problem of one example-memory line (data/examples/BRIEF.md)."""
    problems = []
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        return ["question must be a non-empty string"]
    if row.get("lang") not in ("zh", "en"):
        problems.append('lang must be "zh" or "en"')
    elif (reason := _language_problem(row["question"], row["lang"])):
        problems.append(reason)
    names = row.get("products", [])
    problems += _product_problems("products", names, products)
    verdict, abstain, clause = row.get("verdict"), row.get("abstain", False), row.get("clause")
    if verdict not in ("included", "excluded", "not_listed", None):
        problems.append('verdict must be "included", "excluded", "not_listed" or null')
    if abstain and (names or clause or verdict):
        problems.append("an abstain example has no products, clause or verdict")
    if not abstain and not names:
        problems.append("an answerable example needs products")
    if verdict in ("included", "excluded") and not clause:
        problems.append(f"a verdict {verdict!r} needs the clause that states it")
    if clause and isinstance(names, list):
        lines = [line for name in names for line in clauses.get(_key(name), [])]
        if not any(clause.strip() in line for line in lines):
            problems.append("clause is not copied exactly from the product's lines in catalog_clauses.md")
    if not isinstance(row.get("writer"), str) or not row["writer"].strip():
        problems.append("writer must be your writer id")
    return problems


def _rows(path: Path) -> list[tuple[int, dict | None, str | None]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append((number, None, f"not valid JSON ({error.msg})"))
            continue
        rows.append((number, row, None) if isinstance(row, dict) else (number, None, "a line must be a JSON object"))
    return rows


def _share(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.0f} %)" if total else "0"


def summarise_set(rows: list[dict]) -> str:
    total = len(rows)
    verdicts = [r.get("verdict") for r in rows]
    return "; ".join([
        f"{total} questions",
        f"English {_share(sum(r.get('lang') == 'en' for r in rows), total)}",
        f"abstain {_share(sum(bool(r.get('abstain')) for r in rows), total)}",
        f"scope {_share(sum(v is not None for v in verdicts), total)} "
        f"(included {verdicts.count('included')}, not_included {verdicts.count('not_included')})",
        f"comparisons {_share(sum(bool(r.get('gold_all')) for r in rows), total)}",
        f"follow-ups {_share(sum(bool(r.get('history')) for r in rows), total)}",
    ])


def check_file(kind: str, path: Path, minimum: int = 0, prefix: str | None = None, kit: Path = KIT) -> tuple[list[str], str]:
    """(problems as "LINE: reason", summary) for a question set or an examples file."""
    products, clauses = load_kit(kit)
    problems: list[str] = []
    good: list[dict] = []
    seen: dict[str, int] = {}
    for number, row, error in _rows(path):
        if row is None:
            problems.append(f"{number}: {error}")
            continue
        reasons = check_question(row, products, clauses) if kind == "evalset" else check_example(row, products, clauses)
        if kind == "evalset" and isinstance(row.get("id"), str):
            if row["id"] in seen:
                reasons.append(f"duplicate id (first on line {seen[row['id']]})")
            seen.setdefault(row["id"], number)
            if prefix and not row["id"].startswith(prefix):
                reasons.append(f"id must start with {prefix!r}")
        problems += [f"{number}: {reason}" for reason in reasons]
        good.append(row)
    if len(good) < minimum:
        problems.append(f"only {len(good)} questions; at least {minimum} are asked for")
    summary = summarise_set(good) if kind == "evalset" else f"{len(good)} examples"
    return problems, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a question set or an examples file against the catalog.")
    parser.add_argument("kind", choices=("evalset", "examples"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--min", type=int, default=0, help="the fewest questions asked for")
    parser.add_argument("--prefix", help="every id must start with this")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"error: {args.file} is not a file", file=sys.stderr)
        return 2
    problems, summary = check_file(args.kind, args.file, args.min, args.prefix)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problems; {summary}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
