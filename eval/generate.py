"""`kbbot eval generate`: the question set generated from a catalog's structure (templates in kb.seed)."""
from __future__ import annotations

import json
from pathlib import Path

from kb.seed import generate_questions, item_topic, key_phrase

__all__ = ["generate_questions", "item_topic", "key_phrase", "write_question_set"]


def write_question_set(path: Path, lines: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
