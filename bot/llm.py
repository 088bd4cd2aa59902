"""Optional generative phrasing through any OpenAI-compatible chat model (KB_LLM=openai:<model>)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class LLMConfigError(ValueError):
    """KB_LLM names something we cannot build; the message is meant for the user."""


def chat_model_from_env() -> BaseChatModel | None:
    """None when KB_LLM is unset: the extractive answerer needs no model."""
    spec = os.environ.get("KB_LLM", "").strip()
    if not spec:
        return None
    provider, _, model = spec.partition(":")
    if provider != "openai" or not model:
        raise LLMConfigError(f"KB_LLM={spec!r} is not supported; use openai:<model> (any OpenAI-compatible server).")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=os.environ.get("KB_LLM_BASE_URL") or None,
        api_key=os.environ.get("KB_LLM_API_KEY") or "not-needed",
        temperature=0,
        timeout=30,
        max_retries=1,
    )
