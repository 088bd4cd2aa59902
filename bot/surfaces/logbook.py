"""Conversation and feedback log (SQLite under KB_HOME), so staff can see what the bot could not answer.

Rows older than the retention period are pruned whenever the log is opened or written, so the log never
keeps customer questions longer than the operator allows. The log serves staff, not the customer: when a
write fails (a full disk, a locked or damaged file) the failure is logged and the answer still goes out.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from pydantic import BaseModel

from bot.models import Answer
from kb.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    surface TEXT NOT NULL,
    session TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    verdict TEXT,
    citations TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    feedback INTEGER,
    feedback_at REAL,
    kind TEXT NOT NULL DEFAULT 'answer'
);
CREATE INDEX IF NOT EXISTS exchanges_created_at ON exchanges (created_at);
"""
# Kinds of rows: an answered question, or a customer asking for a person (the hand-off button).
ANSWER, HAND_OFF = "answer", "handoff"

_SECONDS_PER_DAY = 86_400
# Retention is counted in days: deleting old rows once an hour is soon enough, and a DELETE (a second
# write transaction) after every answer cost the serving path as much as the insert.
_PRUNE_EVERY_SECONDS = 3_600
logger = logging.getLogger(__name__)


class LoggedExchange(BaseModel):
    id: int
    created_at: float
    surface: str
    session: str
    question: str
    answer: str
    abstained: bool
    feedback: int | None
    kind: str = ANSWER


def default_log_path() -> Path:
    """Beside the knowledge base, so one KB_HOME holds everything a deployment keeps."""
    return Settings.from_env().home / "logbook.sqlite3"


class Logbook:
    """Thread-safe: Gradio and the API write from worker threads."""

    def __init__(self, path: Path, retention_days: int = 90) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._pruned_at = float("-inf")
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(exchanges)")}
        if "kind" not in columns:  # a log written before hand-offs existed
            self._db.execute(f"ALTER TABLE exchanges ADD COLUMN kind TEXT NOT NULL DEFAULT '{ANSWER}'")
        self.prune()

    def prune(self, now: float | None = None) -> int:
        now = now if now is not None else time.time()
        cutoff = now - self.retention_days * _SECONDS_PER_DAY
        with self._lock:
            self._pruned_at = now
            return self._db.execute("DELETE FROM exchanges WHERE created_at < ?", (cutoff,)).rowcount

    def record(self, question: str, answer: Answer, *, surface: str, session: str = "",
               now: float | None = None) -> int | None:
        """Store one answered question; returns its id for later feedback, None when it could not be stored."""
        created_at = now if now is not None else time.time()
        citations = json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False)
        try:
            with self._lock:
                row_id = self._db.execute(
                    "INSERT INTO exchanges (created_at, surface, session, question, answer, abstained, verdict,"
                    " citations, catalog_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (created_at, surface, session, question, answer.answer, int(answer.abstained), answer.verdict,
                     citations, answer.catalog_version),
                ).lastrowid
        except (sqlite3.Error, ValueError) as error:  # ValueError: text SQLite cannot encode
            logger.error("conversation log %s: an exchange was not stored: %s", self.path, error)
            return None
        if created_at - self._pruned_at >= _PRUNE_EVERY_SECONDS:
            try:
                self.prune(now=created_at)
            except sqlite3.Error as error:
                logger.error("conversation log %s: old exchanges were not pruned: %s", self.path, error)
        return int(row_id)

    def record_hand_off(self, question: str, message: str, *, surface: str, session: str = "",
                        now: float | None = None) -> int | None:
        """A customer pressed "转人工 / Talk to a person" after `question` (their last): listed for staff with
        its conversation (the earlier exchanges of the same surface and session)."""
        created_at = now if now is not None else time.time()
        try:
            with self._lock:
                row_id = self._db.execute(
                    "INSERT INTO exchanges (created_at, surface, session, question, answer, abstained, verdict,"
                    " citations, catalog_version, kind) VALUES (?, ?, ?, ?, ?, 0, NULL, '[]', '', ?)",
                    (created_at, surface, session, question, message, HAND_OFF),
                ).lastrowid
        except (sqlite3.Error, ValueError) as error:
            logger.error("conversation log %s: a hand-off was not stored: %s", self.path, error)
            return None
        return int(row_id)

    def set_feedback(self, exchange_id: int, helpful: bool) -> bool:
        try:
            with self._lock:
                changed = self._db.execute(
                    "UPDATE exchanges SET feedback = ?, feedback_at = ? WHERE id = ?",
                    (1 if helpful else -1, time.time(), exchange_id),
                ).rowcount
        except sqlite3.Error as error:
            logger.error("conversation log %s: feedback on exchange %s was not stored: %s", self.path, exchange_id,
                         error)
            return False
        return changed == 1

    def unanswered(self, limit: int = 200) -> list[LoggedExchange]:
        """Abstentions, answers marked unhelpful and hand-offs to a person, newest first."""
        return self._select(f"WHERE abstained = 1 OR feedback = -1 OR kind = '{HAND_OFF}'", limit)

    def recent(self, limit: int = 200) -> list[LoggedExchange]:
        return self._select("", limit)

    def conversation(self, exchange_id: int, turns: int = 10, window_seconds: float = 3_600) -> list[LoggedExchange]:
        """The exchange and up to `turns` - 1 earlier ones of its conversation, oldest first: those of the
        same surface and session (a chat page; an API client's address) in the `window_seconds` before it.
        A 👎 on "这个服务包括…" means nothing without the turn that named the service. Empty when the id
        is unknown (pruned)."""
        with self._lock:
            row = self._db.execute("SELECT surface, session, created_at FROM exchanges WHERE id = ?",
                                   (exchange_id,)).fetchone()
        if row is None:
            return []
        surface, session, created_at = row
        if not session:  # nothing ties it to other exchanges
            return self._select("WHERE id = ?", 1, (exchange_id,))
        earlier = self._select("WHERE surface = ? AND session = ? AND created_at >= ?"
                               " AND (created_at < ? OR (created_at = ? AND id <= ?))", turns,
                               (surface, session, created_at - window_seconds, created_at, created_at, exchange_id))
        return earlier[::-1]

    def _select(self, where: str, limit: int, parameters: tuple = ()) -> list[LoggedExchange]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_at, surface, session, question, answer, abstained, feedback, kind FROM exchanges "
                f"{where} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*parameters, limit),
            ).fetchall()
        return [
            LoggedExchange(id=r[0], created_at=r[1], surface=r[2], session=r[3], question=r[4], answer=r[5],
                           abstained=bool(r[6]), feedback=r[7], kind=r[8])
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
