"""Operator settings of the web app and API, read once from the environment at start-up."""
from __future__ import annotations

import os

from pydantic import BaseModel, Field

def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


class ServeSettings(BaseModel):
    """Limits are generous by default; tests and operators tighten them per deployment."""

    log_retention_days: int = Field(default=90, ge=1)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_question_chars: int = Field(default=2000, ge=1)
    rate_limit_per_minute: int = Field(default=240, ge=1)
    max_in_flight: int = Field(default=32, ge=1)

    @classmethod
    def from_env(cls) -> ServeSettings:
        return cls(
            log_retention_days=_env_int("KB_LOG_RETENTION_DAYS", 90),
            max_request_bytes=_env_int("KB_MAX_REQUEST_BYTES", 1_048_576),
            max_question_chars=_env_int("KB_MAX_QUESTION_CHARS", 2000),
            rate_limit_per_minute=_env_int("KB_RATE_LIMIT_PER_MINUTE", 240),
            max_in_flight=_env_int("KB_MAX_IN_FLIGHT", 32),
        )
