"""Operator settings of the web app and API, read once from the environment at start-up."""
from __future__ import annotations

import ipaddress
import os

from pydantic import BaseModel, Field, ValidationError, field_validator

from bot.hygiene import MAX_QUESTION_CHARS


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
    max_question_chars: int = Field(default=MAX_QUESTION_CHARS, ge=1)
    rate_limit_per_minute: int = Field(default=240, ge=1)
    max_in_flight: int = Field(default=32, ge=1)
    # Answers are CPU-bound Python: a few threads served first-come first-served beat 40 threads sharing
    # the GIL (32 API clients: p95 408 -> see BENCHMARKS.md), and the in-flight cap still bounds the queue.
    answer_workers: int = Field(default=2, ge=1)
    body_timeout_seconds: int = Field(default=10, ge=1)
    # A conversation's history costs the bot time in proportion to its length (product names and follow-ups
    # are looked for in it): a request carries at most this much of it, beyond it gets 400.
    max_history_messages: int = Field(default=100, ge=0)
    max_history_chars: int = Field(default=16_000, ge=0)
    # Connections (bot/surfaces/connections.py): a request head must arrive within the header timeout, an
    # idle keep-alive connection is closed after the keep-alive timeout, and no client address (trusted
    # proxies aside) may hold more than its share of the server's connections.
    header_timeout_seconds: int = Field(default=10, ge=1)
    keep_alive_seconds: int = Field(default=5, ge=1)
    max_connections: int = Field(default=1000, ge=1)
    max_connections_per_client: int = Field(default=128, ge=1)
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses whose X-Forwarded-For counts")
    staff_password: str | None = Field(default=None, repr=False, description="user `staff`; None leaves /staff open")

    @classmethod
    def from_env(cls) -> ServeSettings:
        """Raises ValueError naming the environment variable at fault."""
        values: dict[str, object] = {field: _env_int(variable, cls.model_fields[field].default)
                                     for field, variable in ENV_VARIABLES.items()}
        values["staff_password"] = os.environ.get("KB_STAFF_PASSWORD") or None
        values["trusted_proxies"] = [item.strip() for item in os.environ.get("KB_TRUSTED_PROXIES", "").split(",")
                                     if item.strip()]
        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise ValueError(f"{ENV_NAMES[str(error['loc'][0])]}: {error['msg']}") from exc

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise ValueError(f"{proxy!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from exc
        return proxies


ENV_VARIABLES = {
    "log_retention_days": "KB_LOG_RETENTION_DAYS",
    "max_request_bytes": "KB_MAX_REQUEST_BYTES",
    "max_question_chars": "KB_MAX_QUESTION_CHARS",
    "rate_limit_per_minute": "KB_RATE_LIMIT_PER_MINUTE",
    "max_in_flight": "KB_MAX_IN_FLIGHT",
    "answer_workers": "KB_ANSWER_WORKERS",
    "body_timeout_seconds": "KB_BODY_TIMEOUT_SECONDS",
    "max_history_messages": "KB_MAX_HISTORY_MESSAGES",
    "max_history_chars": "KB_MAX_HISTORY_CHARS",
    "header_timeout_seconds": "KB_HEADER_TIMEOUT_SECONDS",
    "keep_alive_seconds": "KB_KEEP_ALIVE_SECONDS",
    "max_connections": "KB_MAX_CONNECTIONS",
    "max_connections_per_client": "KB_MAX_CONNECTIONS_PER_CLIENT",
}
ENV_NAMES = {**ENV_VARIABLES, "trusted_proxies": "KB_TRUSTED_PROXIES", "staff_password": "KB_STAFF_PASSWORD"}
