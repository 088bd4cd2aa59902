"""The bot: grounded, cited answers from the catalog. `CatalogBot` is imported on first use, so the
surfaces can import `bot.models` without loading LangChain."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.chain import CatalogBot

__all__ = ["CatalogBot"]


def __getattr__(name: str) -> Any:
    if name == "CatalogBot":
        from bot.chain import CatalogBot

        return CatalogBot
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
