"""Eval fixtures: a fake bot (the runner must not care which bot it measures) and set writers."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.models import Answer, Citation, Turn

CATEGORY = {"数据库转换服务": "系统运维服务", "信创服务": "系统运维服务", "现场服务": "现场服务",
            "驻场服务": "现场服务", "苍穹 PaaS 实验室": "现场服务", "说明": "说明"}


def cite(*products: str) -> list[Citation]:
    return [Citation(product=p, category=CATEGORY.get(p, "其他"), page=1, quote=f"{p}的条款") for p in products]


def answer(text: str = "", products: tuple[str, ...] = (), verdict: str | None = None,
           abstained: bool = False) -> Answer:
    return Answer(answer=text, citations=cite(*products), verdict=verdict, abstained=abstained,
                  catalog_version="2025-07-01")


class FakeBot:
    """Answers from a table keyed by question text; unknown questions are declined. Records every call."""

    def __init__(self, table: dict[str, Answer | Callable[[list[Turn]], Answer]]):
        self.table = table
        self.calls: list[tuple[str, list[Turn]]] = []

    def ask(self, question: str, history: list[Turn]) -> Answer:
        self.calls.append((question, list(history)))
        reply = self.table.get(question)
        if reply is None:
            return answer("抱歉，这个问题清单里没有。", abstained=True)
        return reply(history) if callable(reply) else reply


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n"
                            for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def fake_bot_factory() -> type[FakeBot]:
    return FakeBot
