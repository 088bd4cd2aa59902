from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot.models import Answer
from bot.surfaces.logbook import Logbook, default_log_path
from tests.surfaces.serving import full_logbook

ANSWERED = Answer(answer="ok", catalog_version="2025-07-01")
ABSTAINED = Answer(answer="sorry", abstained=True, catalog_version="2025-07-01")


def test_unanswered_lists_abstentions_and_unhelpful_answers_newest_first(logbook: Logbook) -> None:
    now = time.time()
    abstained = logbook.record("天气如何", ABSTAINED, surface="web", now=now - 30)
    helpful = logbook.record("升级服务包含什么", ANSWERED, surface="web", now=now - 20)
    unhelpful = logbook.record("数据迁移包括清洗吗", ANSWERED, surface="api", now=now - 10)
    assert logbook.set_feedback(helpful, helpful=True)
    assert logbook.set_feedback(unhelpful, helpful=False)
    assert [e.id for e in logbook.unanswered()] == [unhelpful, abstained]
    assert len(logbook.recent()) == 3


def test_feedback_on_an_unknown_exchange_changes_nothing(logbook: Logbook) -> None:
    assert not logbook.set_feedback(12345, helpful=False)


def test_rows_older_than_the_retention_are_pruned_within_the_hour(tmp_path: Path) -> None:
    book = Logbook(tmp_path / "log.sqlite3", retention_days=1)
    now = time.time()
    book.record("old", ABSTAINED, surface="web", now=now - 3 * 86_400)
    book.record("new", ABSTAINED, surface="web", now=now + 3_600)
    assert [e.question for e in book.recent()] == ["new"]
    book.close()


def test_rows_older_than_the_retention_are_pruned_on_opening(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    book = Logbook(path, retention_days=1)
    book.record("old", ABSTAINED, surface="web", now=time.time() - 3 * 86_400)
    book.close()
    reopened = Logbook(path, retention_days=1)
    assert reopened.recent() == []
    reopened.close()


def test_log_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    book = Logbook(path)
    book.record("persisted", ABSTAINED, surface="web")
    book.close()
    reopened = Logbook(path)
    assert [e.question for e in reopened.unanswered()] == ["persisted"]
    reopened.close()


def test_default_path_lives_under_kb_home(kb_home: Path) -> None:
    assert default_log_path() == kb_home / "logbook.sqlite3"


def test_a_write_on_a_full_disk_is_logged_and_answers_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    book = full_logbook(tmp_path / "log.sqlite3")
    with caplog.at_level(logging.ERROR, logger="bot.surfaces.logbook"):
        assert book.record("问题" * 2000, ANSWERED, surface="api") is None
    assert "database or disk is full" in caplog.text
    assert [e.question for e in book.recent()] == ["fills the last page"]
    book.close()


def test_text_sqlite_cannot_store_is_logged_not_raised(logbook: Logbook, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.surfaces.logbook"):
        assert logbook.record("升级服务\ud800", ANSWERED, surface="web") is None
    assert "not stored" in caplog.text
